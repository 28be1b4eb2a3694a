"""`jobs resume` sends what the killed run had not sent, with apply's batching fallback: a
run killed right after the service refused a request holding several offers (HTTP 400, one
private offer per request) is resumed with every change applied, no false failure."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply.journal import Journal
from reconciler.emulator.server import EmbeddedEmulator
from reconciler.errors import EXIT_OK
from tests.apply.cli_support import EMU, run, setup_project
from tests.apply.test_journal_tearing import converged

INTERRUPTED = 130
EXAMPLE_OFFERS = 10  # the publisher's example offers


@pytest.mark.emulator(job_latency=0.05, multi_offer_requests="refused")
def test_jobs_resume_after_a_kill_in_a_refused_multi_offer_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator
) -> None:
    setup_project(tmp_path, monkeypatch, emu)
    original = Journal.write

    def write(journal: Journal, record: dict[str, Any], *, sync: bool = True) -> None:
        original(journal, record, sync=sync)
        if record.get("t") == "refused" and record.get("split"):
            raise KeyboardInterrupt  # the run dies before it sends the offers one by one

    with monkeypatch.context() as patch:
        patch.setattr(Journal, "write", write)
        code, out, err = run("apply", "--auto-approve", *EMU)
    assert code == INTERRUPTED, out + err
    code, out, err = run("jobs", "resume", "--format", "json", *EMU)
    assert code == EXIT_OK, out + err
    summary = json.loads(out)["summary"]
    assert summary["failed"] == 0 and summary["succeeded"] == EXAMPLE_OFFERS, summary
    converged(emu)
