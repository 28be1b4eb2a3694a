"""SIGKILL a real `reconciler apply` process after its journal shows a submitted job, run
again, and check the end state: every offer exactly once, nothing left to plan."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from reconciler.api.connect import open_client
from reconciler.settings import load_settings
from tests.apply.cli_support import run
from tests.apply.conftest import EXAMPLES

EXAMPLE_OFFERS = 10


LATENCY = "RECONCILER_EMULATOR_JOB_LATENCY"  # the emulator's pace: kept for the subprocesses


def _env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AZURE_", "RECONCILER_", "GITHUB_")) or k == LATENCY
    }
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return env


def _reconciler(project: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args],
        cwd=project,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _in_project(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """This process as the subprocesses see it: in the project, none of their cut variables."""
    monkeypatch.chdir(project)
    for name in list(os.environ):
        if name.startswith(("AZURE_", "RECONCILER_", "GITHUB_")) and name != LATENCY:
            monkeypatch.delenv(name)


def _submitted(project: Path) -> bool:
    folder = project / ".reconciler" / "journal"
    if not folder.is_dir():
        return False
    return any('"t": "submitted"' in p.read_text() for p in folder.glob("*.jsonl"))


@pytest.mark.parametrize("again", ["apply", "jobs-resume"])
def test_killed_apply_converges_on_the_next_run(
    tmp_path: Path, again: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path
    shutil.copytree(EXAMPLES, project / "offers")
    # One offer per request, one request at a time: the run is long enough to be killed
    # (ten requests one after another, then their jobs polled). The run after it stays short:
    # jobs polled every 0.2 s, and a request cut off by the kill resolved after 1 s, not 5.
    (project / "reconciler.toml").write_text(
        "[api]\nlost-response-wait = 1.0\n"
        "[apply]\nmax-resources-per-request = 1\nmax-concurrent-requests = 1\n"
        "poll-interval = 0.2\n"
    )
    emulator = ["--emulator", "--emulator-data", "emu"]
    first = _reconciler(project, "apply", "offers", "--auto-approve", *emulator)
    deadline = time.monotonic() + 60
    while not _submitted(project):
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "no job was submitted"
        time.sleep(0.002)
    still_running = first.poll() is None
    first.send_signal(signal.SIGKILL)
    first.communicate()
    assert still_running, "apply finished before it could be killed"

    # Only the killed run and the run after it need processes of their own; the looks in
    # between run the same commands in-process (no interpreter start-up each time).
    _in_project(project, monkeypatch)
    code, listing, err = run("jobs", "list", "--format", "json")
    assert code == 0, err
    (open_journal,) = json.loads(listing)
    assert open_journal["requests"] >= 1

    args = ["apply", "offers", "--auto-approve"] if again == "apply" else ["jobs", "resume"]
    second = _reconciler(project, *args, "--format", "json", *emulator)
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    result = json.loads(out)
    assert result["exit_code"] == 0

    code, replan, err = run("plan", "offers", "--format", "json", *emulator)
    assert code == 0, err
    assert json.loads(replan)["has_changes"] is False

    settings = load_settings(project)
    with open_client(settings, emulator=True, emulator_data=project / "emu", env={}) as client:
        names = Counter(str(o["name"]) for o in client.list_offers())
    assert len(names) == EXAMPLE_OFFERS
    assert max(names.values()) == 1, names

    code, leftover, err = run("jobs", "list", "--format", "json")
    assert code == 0, err
    assert json.loads(leftover) == []
