"""Reliability suite options: tests marked ``slow`` are skipped by default (none is, today).

``pytest --run-slow`` or ``RECONCILER_SLOW=1`` runs them; ``RECONCILER_KILL_POINTS=N`` adds
N random kill points to the kill loop (whose named phases always run).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-slow",
        action="store_true",
        default=False,
        help="run tests marked slow (the 50-point kill loop); or set RECONCILER_SLOW=1",
    )


def run_slow(config: pytest.Config) -> bool:
    # The option exists only when this folder is given on the command line (pytest reads
    # addoption hooks of initial conftests only); the variable works from anywhere.
    option = bool(config.getoption("--run-slow", default=False))
    return option or os.environ.get("RECONCILER_SLOW") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if run_slow(config):
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow or RECONCILER_SLOW=1")
    here = Path(__file__).parent
    for item in items:
        # Only this folder's cases: other areas decide for their own slow tests.
        if "slow" in item.keywords and here in Path(str(item.path)).parents:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Apply's lock lives under the user's state directory: a scratch one per test."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state-home"))
