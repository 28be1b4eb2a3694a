"""SIGKILL a real ``reconciler apply`` process at seeded random moments, run again, check.

Each kill point is its own project and emulator state (``--emulator --emulator-data``, which
persists jobs and offers across processes like the real service). The apply is killed after a
delay drawn from a seeded generator (``random.Random(f"kill-{n}")``), which lands anywhere from
start-up through planning, submission, journal writes and polling; then the next run (``apply``
again, or ``jobs resume`` followed by ``apply``) must converge:

* exit code 0, every offer name exactly once live, the next plan empty, no open journal.

The first ``QUICK_POINTS`` points run in every CI run; all ``RECONCILER_KILL_POINTS`` (default
50) run when slow tests are enabled (``RECONCILER_SLOW=1`` or ``--run-slow``; nightly).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from reconciler.api.connect import open_client
from reconciler.settings import load_settings
from tests.reliability.support import EXAMPLES, PUBLISHER_OFFERS, PYTHON, subprocess_env

QUICK_POINTS = 5
ALL_POINTS = int(os.environ.get("RECONCILER_KILL_POINTS", "50"))
# An uninterrupted run of this project takes about 1.5 s on a CI runner (start-up included);
# the window reaches a little past it so some kills land after the last job finished.
KILL_WINDOW = (0.25, 2.0)


def _points() -> list[object]:
    points: list[object] = []
    for n in range(max(ALL_POINTS, QUICK_POINTS)):
        marks = [pytest.mark.slow] if n >= QUICK_POINTS else []
        points.append(pytest.param(n, marks=marks, id=f"kill-{n:02d}"))
    return points


def _project(root: Path) -> Path:
    shutil.copytree(EXAMPLES, root / "offers", ignore=shutil.ignore_patterns("partner"))
    # Small requests, two at a time: many journal records and jobs to be killed between.
    (root / "reconciler.toml").write_text(
        "[apply]\nmax-resources-per-request = 1\nmax-concurrent-requests = 2\n"
        "[api]\nlost-response-wait = 1.0\n"
    )
    return root


def _run(project: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "reconciler", *args],
        cwd=project, env=subprocess_env(), capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


EMULATOR = ("--emulator", "--emulator-data", "emu")


@pytest.mark.timeout(180)
@pytest.mark.parametrize("point", _points())
def test_apply_killed_at_a_random_point_converges_on_the_next_run(
    point: int, tmp_path: Path
) -> None:
    rng = random.Random(f"kill-{point}")
    delay = rng.uniform(*KILL_WINDOW)
    again = rng.choice(["apply", "jobs-resume"])
    project = _project(tmp_path)

    victim = subprocess.Popen(
        [PYTHON, "-m", "reconciler", "apply", "offers", "--auto-approve", *EMULATOR],
        cwd=project, env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    time.sleep(delay)
    victim.send_signal(signal.SIGKILL)
    _, err = victim.communicate(timeout=30)
    assert "Traceback" not in err

    if again == "jobs-resume":
        resumed = _run(project, "jobs", "resume", "--format", "json", *EMULATOR)
        assert resumed.returncode == 0, resumed.stderr
        assert "Traceback" not in resumed.stderr
    second = _run(project, "apply", "offers", "--auto-approve", "--format", "json", *EMULATOR)
    assert second.returncode == 0, f"kill after {delay:.2f}s: {second.stderr}"
    assert "Traceback" not in second.stderr
    assert json.loads(second.stdout)["exit_code"] == 0

    replan = _run(project, "plan", "offers", "--format", "json", *EMULATOR)
    assert replan.returncode == 0, replan.stderr
    assert json.loads(replan.stdout)["has_changes"] is False, f"kill after {delay:.2f}s"

    settings = load_settings(project)
    with open_client(settings, emulator=True, emulator_data=project / "emu", env={}) as client:
        names = Counter(str(o["name"]) for o in client.list_offers() if o["state"] != "deleted")
    assert len(names) == PUBLISHER_OFFERS, names
    assert max(names.values()) == 1, f"duplicate after a kill at {delay:.2f}s: {names}"

    leftover = _run(project, "jobs", "list", "--format", "json")
    assert leftover.returncode == 0, leftover.stderr
    assert json.loads(leftover.stdout) == [], f"kill after {delay:.2f}s left a journal open"
