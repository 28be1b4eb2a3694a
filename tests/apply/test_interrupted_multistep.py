"""An interrupted multi-step change (recreate, withdraw-edit-republish) is finished by the
next run, whichever it is: `apply`, `apply PATHS`, `apply plan.json` and `jobs resume` all
finish the open steps of the journal first (then plan), never dropping a step."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.emulator.server import EmbeddedEmulator
from reconciler.errors import EXIT_JOBS_RUNNING, EXIT_OK
from tests.apply.cli_support import EMU, run, setup_project
from tests.apply.test_multistep_cli import (
    CSP,
    CSP_NAME,
    CUSTOMER,
    CUSTOMER_NAME,
    edit,
    live_ones,
    plan_exit,
    states,
    withdrawn,
)

RECREATE = (CSP, CSP_NAME, "discountPercentage: 5", "discountPercentage: 6")
REPUBLISH = (CUSTOMER, CUSTOMER_NAME, "discountPercentage: 10", "discountPercentage: 11")
FLAGS = ("--allow-republish", "--auto-approve")
# (first run, next run): the interrupted run and the one that must finish it
RUNS = {
    "apply": (("apply", *FLAGS), ("apply", *FLAGS)),
    "apply PATHS": (("apply", *FLAGS), ("apply", "offers", *FLAGS)),
    "jobs resume": (("apply", *FLAGS), ("jobs", "resume")),
    "apply plan.json": (("apply", "plan.json"), ("apply", "plan.json")),
}
CASES = [
    pytest.param(RECREATE, "apply", id="recreate-apply"),
    pytest.param(REPUBLISH, "apply", id="republish-apply"),
    pytest.param(RECREATE, "apply PATHS", id="recreate-apply-paths"),
    pytest.param(REPUBLISH, "jobs resume", id="republish-jobs-resume"),
    pytest.param(RECREATE, "apply plan.json", id="recreate-saved-plan"),
]


@pytest.mark.emulator(job_latency=0.05)
@pytest.mark.parametrize(("case", "runs"), CASES)
def test_a_timed_out_multi_step_change_is_finished_by_the_next_run(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    emu: EmbeddedEmulator,
    case: tuple[str, str, str, str],
    runs: str,
) -> None:
    path, name, old, new = case
    first_run, next_run = RUNS[runs]
    setup_project(tmp_path, monkeypatch, emu)
    code, out, err = run("apply", "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    (first,) = live_ones(emu, name)
    edit(path, old, new)
    code, out, err = run("plan", "--allow-republish", "--out", "plan.json", *EMU)
    assert code == EXIT_OK, out + err
    # Jobs slower than the run's --timeout: it ends with exit 6 after its first step.
    emu.admin.settings(job_latency=0.6)
    code, out, err = run(*first_run, "--timeout", "0.3", *EMU)
    assert code == EXIT_JOBS_RUNNING, out + err
    emu.admin.settings(job_latency=0.05)
    code, out, err = run(*next_run, *EMU)
    assert code == EXIT_OK, out + err
    (now,) = live_ones(emu, name)  # one live offer per name: the new one
    if path == CSP:
        assert now != first and withdrawn(states(emu, name)[first])
    else:
        assert now == first
    assert plan_exit(".") == EXIT_OK
    code, out, err = run("jobs", "list")
    assert "No open apply journals" in out, out + err
