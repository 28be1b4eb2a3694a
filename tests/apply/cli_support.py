"""Run `reconciler ...` in-process (click's runner) against a test emulator with controls.

The command's own code runs end to end -- planning, settling the journal, applying,
reporting, the exit code -- only the client it opens is pointed at the test's emulator
(so the test can inject faults and read the emulator's statistics).
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from reconciler.api.connect import connect_emulator
from reconciler.emulator.server import EmbeddedEmulator
from tests.apply.conftest import EXAMPLES, client, fast_settings
from tests.support.inprocess import run_reconciler

EMU = ["--emulator", "--emulator-data", "emu"]
FAST = """\
[api]
lost-response-wait = 1.0
backoff-seconds = 0.01
[apply]
poll-interval = 0.02
timeout = 30
"""


def setup_project(root: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator) -> Path:
    """A project with the publisher's example offers whose `--emulator` is *emu*."""
    shutil.copytree(EXAMPLES, root / "offers", ignore=shutil.ignore_patterns("partner"))
    (root / "reconciler.toml").write_text(FAST)
    monkeypatch.chdir(root)
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT", "RECONCILER_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)

    def open_client(settings: Any, **options: Any) -> Any:
        return connect_emulator(
            emu,
            settings,
            account=options.get("account"),
            env={},
            writes=bool(options.get("writes")),
        )

    monkeypatch.setattr("reconciler.api.connect.open_client", open_client)
    return root / "offers"


run = run_reconciler


def posts(emu: EmbeddedEmulator) -> int:
    return int(emu.admin.stats().get("POST configure", 0))


@contextmanager
def fault_at_post(emu: EmbeddedEmulator, nth: int, kind: str) -> Iterator[None]:
    """Inject *kind* on the *nth* `POST configure` from now (a watcher arms it in time:
    steps of one change are seconds apart, the watcher looks every few milliseconds)."""
    start = posts(emu)
    stop = threading.Event()

    def watch() -> None:
        if nth == 1:
            emu.admin.add_fault(kind, "configure", method="POST", count=1)
            return
        while not stop.is_set():
            if posts(emu) - start >= nth - 1:
                emu.admin.add_fault(kind, "configure", method="POST", count=1)
                return
            time.sleep(0.003)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    if nth == 1:
        thread.join()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        emu.admin.clear_faults()


def git(root: Path, *args: str) -> None:
    """A git command in *root* with a fixed author (the tests commit offer files)."""
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def live(emu: EmbeddedEmulator) -> dict[str, dict[str, object]]:
    """Every offer not deleted, by name, each read by id (whole resources, not summaries)."""
    with client(emu, fast_settings(Path.cwd())) as c:
        listed = [o for o in c.list_offers() if o.get("state") != "deleted"]
        return {str(o["name"]): c.get_offer(str(o["id"])) for o in listed}
