"""Shared test fixtures. Subsystem fixtures live in tests/<subsystem>/conftest.py."""

from __future__ import annotations

import compileall
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.secrets import REGISTRY
from tests.support.schedule import LONG_MODULES, module_of, spread

ROOT = Path(__file__).resolve().parents[1]


# The emulator's jobs take a realistic 30 s by default; the suite's tests that are not about
# job timing run with jobs done at the next read (the tests about 30 s jobs set the latency
# and speed up the emulator's clock: no real wait).
os.environ.setdefault("RECONCILER_EMULATOR_JOB_LATENCY", "0")


def pytest_configure(config: pytest.Config) -> None:
    # The suite starts four workers and about 150 `reconciler` processes (subprocesses and
    # act's workflow steps). Without bytecode each of them compiles the package from source
    # again, and each worker rewrites every test module again: about 30 s of CPU on two cores.
    # So the suite keeps bytecode (in the ignored __pycache__ folders) even when the
    # environment asks for none, and the first process compiles the package once before the
    # workers start (they inherit the environment set here).
    if hasattr(config, "workerinput"):
        return
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.dont_write_bytecode = False
    for package in ("reconciler", "bench"):
        compileall.compile_dir(ROOT / package, quiet=1, workers=1)


@pytest.fixture(autouse=True)
def _scratch_state_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plan and apply keep per-account state (apply history, kept journals, the lock) under
    $XDG_STATE_HOME/reconciler, and apply looks through every account's folder there: a test
    gets a scratch one (its subprocesses inherit it), never the user's own, which the suite
    would otherwise fill with a folder per emulator it starts (thousands, each one more for
    every later apply to look through)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state-home")))


@pytest.fixture(autouse=True)
def _fresh_secret_registry() -> Iterator[None]:
    # Secrets registered by one test must not redact (or hide leaks in) another test's output.
    REGISTRY.clear()
    yield
    REGISTRY.clear()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Each xdist worker collects and orders the tests itself: the same order on every worker
    # (xdist checks), from the worker count each one finds in its environment. (A worker's own
    # --dist reads "no": the scheduling mode is the controller's, worksteal in addopts.)
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        items[:] = spread(items, workers)
    else:  # one process: the long modules first, the short ones after (stable order)
        items.sort(key=lambda item: module_of(item) not in LONG_MODULES)
