"""Fixtures for apply: a TLS emulator with test controls, clients of both accounts over real
HTTP, and a scratch project (offer files + journal) as the working directory."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from reconciler.api.client import ProductIngestionClient
from reconciler.api.connect import connect_emulator
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.server import EmbeddedEmulator
from reconciler.settings import ApiSettings, ApplySettings, Settings

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "offers"


def fast_settings(root: Path, **apply: Any) -> Settings:
    api = ApiSettings(retries=6, backoff_seconds=0.01, retry_max_seconds=10, lost_response_wait=0.5)
    options = {"poll_interval": 0.02, "timeout": 30, **apply}
    return Settings(api=api, apply=ApplySettings(**options), root=root)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch project with a copy of the example offers; the working directory."""
    shutil.copytree(EXAMPLES, tmp_path / "offers")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def emu(request: pytest.FixtureRequest) -> Iterator[EmbeddedEmulator]:
    marker = request.node.get_closest_marker("emulator")
    options = {"job_latency": 0.05, **(marker.kwargs if marker else {})}
    with EmbeddedEmulator(EmulatorConfig(tls=True, admin=True, **options)) as emulator:
        yield emulator


@contextmanager
def client(
    emulator: EmbeddedEmulator, settings: Settings, account: str = "publisher"
) -> Iterator[ProductIngestionClient]:
    with connect_emulator(emulator, settings, account=account, env={}, writes=True) as c:
        yield c


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "emulator(**config): EmulatorConfig fields for `emu`")


@pytest.fixture(autouse=True)
def _state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Apply's lock lives under the user's state directory: a scratch one per test."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state-home"))
