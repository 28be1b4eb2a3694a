"""SIGKILL a real ``reconciler apply`` process at every kind of moment, run again, check.

Each kill point is its own project and emulator state (``--emulator --emulator-data``, which
persists jobs and offers across processes like the real service). Instead of random delays
(which mostly hit start-up on a fast machine and needed 50 runs to cover the rest), each point
kills at a named phase, watched in the journal as it is written: during start-up and planning,
right after the journal opened, after the first intent (request maybe on the wire), after the
first job id, after the first job result, and in the middle of the results. The next run
(``apply`` again, or ``jobs resume`` followed by ``apply``, alternating) must converge:
only the killed run needs a process of its own; the runs after it are the same command
invoked in-process (click's runner, same working folder, same ``--emulator-data``), which
spares a Python start-up per step.

* exit code 0, every offer name exactly once live, the next plan empty, no open journal.

A second loop kills a run holding a recreate and a withdraw-edit-republish at every journal
phase of their two steps; the next plain ``apply`` must finish both (the new CSP offer live,
the old one withdrawn; the customer offer republished in place), with the same end state.

Every point runs in every CI run; ``RECONCILER_KILL_POINTS=N`` adds N seeded random-delay
points on top (for a soak run).
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
from tests.support.inprocess import run_reconciler

# (phase, journal records of that kind seen before the kill: 0 = a fixed delay instead)
PHASES: list[tuple[str, int]] = [
    ("startup", 0),
    ("open", 1),
    ("intent", 1),
    ("submitted", 1),
    ("result", 1),
    ("result", 5),
]
EXTRA_POINTS = int(os.environ.get("RECONCILER_KILL_POINTS", "0"))
# An uninterrupted run of this project takes about 1.5 s on a CI runner (start-up included).
KILL_WINDOW = (0.25, 2.0)
STARTUP_KILL = 0.4  # seconds: the process is still importing, planning or listing


def _points() -> list[object]:
    points: list[object] = [
        pytest.param(n, id=f"{phase}-{count}") for n, (phase, count) in enumerate(PHASES)
    ]
    for n in range(EXTRA_POINTS):
        points.append(pytest.param(len(PHASES) + n, id=f"random-{n:02d}"))
    return points


def _records(project: Path, kind: str) -> int:
    folder = project / ".reconciler" / "journal"
    if not folder.is_dir():
        return 0
    return sum(p.read_text().count(f'"t": "{kind}"') for p in folder.glob("*.jsonl"))


def _kill_when_due(victim: subprocess.Popen[str], project: Path, point: int) -> str:
    """Wait for the point's phase, then SIGKILL; returns what the kill hit (for messages)."""
    if point < len(PHASES):
        phase, count = PHASES[point]
        if count == 0:
            time.sleep(STARTUP_KILL)
        else:
            deadline = time.monotonic() + 60
            while _records(project, phase) < count and victim.poll() is None:
                assert time.monotonic() < deadline, f"no {phase} record in 60 s"
                time.sleep(0.002)
        what = f"{phase} #{count}"
    else:
        delay = random.Random(f"kill-{point}").uniform(*KILL_WINDOW)
        time.sleep(delay)
        what = f"{delay:.2f}s"
    victim.send_signal(signal.SIGKILL)
    return what


def _project(root: Path) -> Path:
    shutil.copytree(EXAMPLES, root / "offers", ignore=shutil.ignore_patterns("partner"))
    # Small requests, two at a time: many journal records and jobs to be killed between.
    # Polls every 20 ms (the emulator's jobs finish at their first read) instead of the
    # local default of 0.5 s: the phases are watched in the journal, not timed.
    (root / "reconciler.toml").write_text(
        "[apply]\nmax-resources-per-request = 1\nmax-concurrent-requests = 2\n"
        "poll-interval = 0.02\n"
        "[api]\nlost-response-wait = 0.5\nbackoff-seconds = 0.01\n"
    )
    return root


_run = run_reconciler


EMULATOR = ("--emulator", "--emulator-data", "emu")
LATENCY = "RECONCILER_EMULATOR_JOB_LATENCY"  # the emulator's pace: kept


@pytest.mark.timeout(180)
@pytest.mark.parametrize("point", _points())
def test_apply_killed_at_every_phase_converges_on_the_next_run(
    point: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    again = ("apply", "jobs-resume")[point % 2]
    project = _project(tmp_path)
    # The in-process runs see what the killed process saw (subprocess_env's environment).
    for name in list(os.environ):
        if name.startswith(("AZURE_", "RECONCILER_", "GITHUB_", "ACTIONS_")) and name != LATENCY:
            monkeypatch.delenv(name)
    monkeypatch.chdir(project)

    victim = subprocess.Popen(
        [PYTHON, "-m", "reconciler", "apply", "offers", "--auto-approve", *EMULATOR],
        cwd=project, env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    delay = _kill_when_due(victim, project, point)
    _, err = victim.communicate(timeout=30)
    assert "Traceback" not in err
    # The point was reached before the run ended: the run really was killed there.
    assert victim.returncode == -signal.SIGKILL, f"no kill at {delay}: the run ended first"

    if again == "jobs-resume":
        code, _, err = _run("jobs", "resume", "--format", "json", *EMULATOR)
        assert code == 0, err
        assert "Traceback" not in err
    code, out, err = _run("apply", "offers", "--auto-approve", "--format", "json", *EMULATOR)
    assert code == 0, f"kill at {delay}: {err}"
    assert "Traceback" not in err
    assert json.loads(out)["exit_code"] == 0

    code, out, err = _run("plan", "offers", "--format", "json", *EMULATOR)
    assert code == 0, err
    assert json.loads(out)["has_changes"] is False, f"kill at {delay}"

    settings = load_settings(project)
    with open_client(settings, emulator=True, emulator_data=project / "emu", env={}) as client:
        names = Counter(str(o["name"]) for o in client.list_offers() if o["state"] != "deleted")
    assert len(names) == PUBLISHER_OFFERS, names
    assert max(names.values()) == 1, f"duplicate after a kill at {delay}: {names}"

    code, out, err = _run("jobs", "list", "--format", "json")
    assert code == 0, err
    assert json.loads(out) == [], f"kill at {delay} left a journal open"


# Kill points of a run holding a recreate (CSP offer: create, then withdraw the old one) and
# a withdraw-edit-republish (customer offer: withdraw, then update live): one request per
# step, so intents 1-2 are the first steps and 3-4 the second ones.
MULTI_STEP_PHASES: list[tuple[str, int]] = [
    ("open", 1),
    ("intent", 1),
    ("submitted", 1),
    ("result", 1),
    ("intent", 3),
    ("submitted", 3),
]
RECREATE = ("offers/csp-promotion.yaml", "discountPercentage: 5", "discountPercentage: 6")
REPUBLISH = ("offers/customer-percentage.yaml", "discountPercentage: 10", "discountPercentage: 11")
# Two of ten offers replaced or republished is over the safety guard's share: reviewed here.
MULTI_STEP = ("--allow-republish", "--force", "--auto-approve")


def _live_by_name(project: Path) -> dict[str, list[str]]:
    settings = load_settings(project)
    with open_client(settings, emulator=True, emulator_data=project / "emu", env={}) as client:
        offers = [o for o in client.list_offers() if o["state"] == "live"]
    found: dict[str, list[str]] = {}
    for offer in offers:
        found.setdefault(str(offer["name"]), []).append(str(offer["id"]))
    return found


@pytest.mark.timeout(180)
@pytest.mark.parametrize(
    ("phase", "count"), MULTI_STEP_PHASES, ids=[f"{p}-{c}" for p, c in MULTI_STEP_PHASES]
)
def test_a_recreate_and_a_republish_killed_at_every_phase_are_finished_by_the_next_apply(
    phase: str, count: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path)
    for name in list(os.environ):
        if name.startswith(("AZURE_", "RECONCILER_", "GITHUB_", "ACTIONS_")) and name != LATENCY:
            monkeypatch.delenv(name)
    monkeypatch.chdir(project)
    code, _, err = _run("apply", "offers", "--auto-approve", *EMULATOR)
    assert code == 0, err
    before = _live_by_name(project)
    for path, old, new in (RECREATE, REPUBLISH):
        file = project / path
        file.write_text(file.read_text().replace(old, new, 1))
    seen = _records(project, phase)

    victim = subprocess.Popen(
        [PYTHON, "-m", "reconciler", "apply", "offers", *MULTI_STEP, *EMULATOR],
        cwd=project, env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while _records(project, phase) < seen + count and victim.poll() is None:
        assert time.monotonic() < deadline, f"no {phase} record in 60 s"
        time.sleep(0.002)
    victim.send_signal(signal.SIGKILL)
    _, err = victim.communicate(timeout=30)
    assert victim.returncode == -signal.SIGKILL, f"no kill at {phase} #{count}: {err}"

    # The next plain apply (what CI runs on the next push) finishes both changes.
    code, out, err = _run("apply", "offers", *MULTI_STEP, *EMULATOR)
    assert code == 0, f"kill at {phase} #{count}: {out}{err}"
    assert "Traceback" not in err
    after = _live_by_name(project)
    assert all(len(ids) == 1 for ids in after.values()), after
    assert set(after) == set(before)
    csp, customer = "Contoso Analytics CSP margin 2027", "Woodgrove Bank Analytics discount 2027"
    assert after[csp] != before[csp]  # the new offer replaced the old one
    assert after[customer] == before[customer]  # republished in place
    code, out, err = _run("plan", "offers", "--format", "json", *EMULATOR)
    assert code == 0, err
    assert json.loads(out)["has_changes"] is False, f"kill at {phase} #{count}"
    code, out, err = _run("jobs", "list", "--format", "json")
    assert code == 0 and json.loads(out) == [], f"kill at {phase} #{count} left a journal open"
