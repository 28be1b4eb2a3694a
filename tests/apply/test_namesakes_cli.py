"""Two live offers with one name (a duplicate made by hand in Partner Center): with no
journal telling which one this tool made, the plan blocks that one file, asking for `id:`,
while every other change goes out; once the file pins its offer, the plan offers the
withdraw of the other, and apply leaves one live offer."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reconciler.emulator.server import EmbeddedEmulator
from reconciler.errors import EXIT_OK
from tests.apply.cli_support import EMU, run, setup_project
from tests.apply.test_multistep_cli import CSP, CSP_NAME, CUSTOMER, edit, live_ones


@pytest.mark.emulator(job_latency=0.05)
def test_a_hand_made_duplicate_is_named_then_withdrawn_once_the_file_pins_its_offer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator
) -> None:
    setup_project(tmp_path, monkeypatch, emu)
    ours, duplicate = _applied_then_made_again_by_hand(emu)

    # A fresh checkout (a new CI runner): no journal tells which of the two this tool made.
    shutil.rmtree(tmp_path / ".reconciler" / "journal")
    # Another file's change still goes out; the CSP file alone waits for an id.
    edit(CUSTOMER, "discountPercentage: 10", "discountPercentage: 11")
    code, out, err = run("apply", "--allow-republish", "--auto-approve", "--format", "json", *EMU)
    outcomes = {c["offer_name"]: c for c in json.loads(out)["changes"]}
    assert outcomes["Woodgrove Bank Analytics discount 2027"]["status"] == "succeeded", out + err
    assert "`id:`" in out + err and duplicate in out + err
    assert sorted(live_ones(emu, CSP_NAME)) == sorted([ours, duplicate])  # nothing guessed

    edit(CSP, "name: ", f"id: {ours}\nname: ")
    code, out, err = run("plan", CSP, *EMU)
    assert "withdraw" in out and duplicate in out, out + err
    code, out, err = run("apply", CSP, "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    assert live_ones(emu, CSP_NAME) == [ours]
    code, out, err = run("plan", "--detailed-exitcode", *EMU)
    assert code == EXIT_OK, out + err


@pytest.mark.emulator(job_latency=0.05)
def test_the_offer_a_journal_records_creating_is_kept_and_its_namesake_withdrawn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator
) -> None:
    setup_project(tmp_path, monkeypatch, emu)
    ours, duplicate = _applied_then_made_again_by_hand(emu, CSP)
    code, out, err = run("plan", CSP, *EMU)
    assert "withdrawn" in out and duplicate in out, out + err
    code, out, err = run("apply", CSP, "--auto-approve", "--force", *EMU)
    assert code == EXIT_OK, out + err
    assert live_ones(emu, CSP_NAME) == [ours]
    code, out, err = run("plan", CSP, "--detailed-exitcode", *EMU)
    assert code == EXIT_OK, out + err


def _applied_then_made_again_by_hand(emu: EmbeddedEmulator, *paths: str) -> tuple[str, str]:
    """Apply (the CSP offer among *paths*, or all files), then seed the same offer a second
    time, by hand: the ids of ours and of the duplicate."""
    code, out, err = run("plan", CSP, "--out", "first.json", *EMU)
    assert code == EXIT_OK, out + err
    create = json.loads(Path("first.json").read_text())["changes"][0]["steps"][0]["resources"]
    code, out, err = run("apply", *paths, "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    (ours,) = live_ones(emu, CSP_NAME)
    emu.admin.seed(create)
    (duplicate,) = set(live_ones(emu, CSP_NAME)) - {ours}
    return ours, duplicate
