"""An interrupted multi-step change (recreate, withdraw-edit-republish) is finished by the
next plain `reconciler apply`: the open steps of the journal go first, then the plan."""

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

CASES = [
    (CSP, CSP_NAME, "discountPercentage: 5", "discountPercentage: 6"),
    (CUSTOMER, CUSTOMER_NAME, "discountPercentage: 10", "discountPercentage: 11"),
]


@pytest.mark.emulator(job_latency=0.05)
@pytest.mark.parametrize(("path", "name", "old", "new"), CASES, ids=["recreate", "republish"])
def test_a_timed_out_multi_step_change_is_finished_by_the_next_plain_apply(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    emu: EmbeddedEmulator,
    path: str,
    name: str,
    old: str,
    new: str,
) -> None:
    setup_project(tmp_path, monkeypatch, emu)
    code, out, err = run("apply", "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    (first,) = live_ones(emu, name)
    emu.admin.settings(job_latency=0.6)
    edit(path, old, new)
    code, out, err = run("apply", "--allow-republish", "--auto-approve", "--timeout", "0.3", *EMU)
    assert code == EXIT_JOBS_RUNNING, out + err
    emu.admin.settings(job_latency=0.05)
    # The next plain apply (what CI runs): the open steps first, then the plan.
    code, out, err = run("apply", "--allow-republish", "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    (now,) = live_ones(emu, name)
    if path == CSP:
        assert now != first and withdrawn(states(emu, name)[first])
    else:
        assert now == first
    assert plan_exit(".") == EXIT_OK
