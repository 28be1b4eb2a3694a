"""Apply's first wave as a pipeline, through `reconciler apply` against the emulator: each
offer's guard read, its submission and its job's polls follow each other per offer, so a
job can finish -- and be recorded -- before the last offer is even sent. The report, the
journal and the next plan must not notice the overlap."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply.pipeline import next_task
from reconciler.emulator.server import EmbeddedEmulator
from reconciler.errors import EXIT_OK, ReconcilerError
from tests.apply.cli_support import EMU, FAST, run, setup_project

EDITED = (
    "csp-promotion-restricted.yaml",
    "csp-promotion.yaml",
    "customer-absolute.yaml",
    "customer-percentage.yaml",
    "customer-renewal.yaml",
)

# One request at a time, and a status poll due as soon as a job's answer came: with
# every request taking 20 ms, the first job is polled between the later offers' reads
# and submissions.
ONE_LANE = """\
max-resources-per-request = 1
max-concurrent-requests = 1
poll-interval = 0.001
"""


def records(root: Path) -> list[dict[str, Any]]:
    (journal,) = (root / ".reconciler" / "journal").glob("*.jsonl")
    return [json.loads(line) for line in journal.read_text().splitlines()]


@pytest.mark.emulator(job_latency=0.0, request_latency=0.02)
def test_a_job_done_before_the_last_submission_keeps_report_and_journal_right(
    emu: EmbeddedEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    offers = setup_project(tmp_path, monkeypatch, emu)
    for path in offers.glob("*.yaml"):
        path.write_text(path.read_text().replace("state: live", "state: draft"))
    code, out, err = run("apply", "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    for journal in (tmp_path / ".reconciler" / "journal").glob("*.jsonl"):
        journal.unlink()  # the creates' run; the updates below write a journal of their own
    for name in EDITED:
        path = offers / name
        path.write_text(path.read_text().replace("amy@contoso.com", "ben@contoso.com"))
    (tmp_path / "reconciler.toml").write_text(FAST.replace("poll-interval = 0.02\n", ONE_LANE))

    code, out, err = run("apply", "--auto-approve", "--force", "--format", "json", *EMU)

    assert code == EXIT_OK, out + err
    report = json.loads(out)
    assert report["summary"]["succeeded"] == len(EDITED), report["summary"]
    assert [c["status"] for c in report["changes"]] == ["succeeded"] * len(EDITED)
    assert report["journal_closed"] is True
    kinds = [(r["t"], r.get("req")) for r in records(tmp_path)]
    intents = [n for n, (t, _) in enumerate(kinds) if t == "intent"]
    results = [n for n, (t, _) in enumerate(kinds) if t == "result"]
    assert len(intents) == len(results) == len(EDITED)
    # The overlap itself: a job's result is in the journal before the last intent.
    assert results[0] < intents[-1], kinds
    # Per request: intent, then its job id, then its result; each once.
    for req in {r for t, r in kinds if t == "intent"}:
        order = [t for t, r in kinds if r == req]
        assert order == ["intent", "submitted", "result"], (req, kinds)
    assert kinds[-1][0] == "closed"
    code, out, _ = run("plan", "--detailed-exitcode", *EMU)
    assert code == EXIT_OK, out


@pytest.mark.emulator(job_latency=0.0)
def test_a_journal_header_that_cannot_be_written_sends_nothing(
    emu: EmbeddedEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The header is written while the guard reads; the first record waits for it, so a
    header that fails stops the run before any configure request."""
    setup_project(tmp_path, monkeypatch, emu)

    def full_disk(path: Path, text: str) -> None:
        raise ReconcilerError(f"{path}: cannot write (No space left on device)")

    monkeypatch.setattr("reconciler.apply.journal.atomic_write", full_disk)
    code, out, err = run("apply", "--auto-approve", *EMU)
    assert code != EXIT_OK
    assert "No space left on device" in out + err
    assert emu.admin.stats().get("POST configure", 0) == 0


def _rounds(offers: int, workers: int) -> tuple[int, int]:
    """Every offer a guard read then a submission, each request one round trip, taken by
    :func:`next_task` as connections free up: the round in which the last submission is
    answered, and the most offers ever read and not yet sent."""
    unread, read, sent, reading, rounds, most = offers, 0, 0, 0, 0, 0
    while sent < offers:
        rounds += 1
        sending = 0
        for _ in range(workers):
            kind = next_task(
                due=False,
                reads=unread > 0,
                sends=read > sending,
                ahead=reading + read - sending,
                workers=workers,
            )
            if kind == "read":
                unread, reading = unread - 1, reading + 1
            elif kind == "send":
                sending += 1
            most = max(most, reading + read - sending)
        read, sent, reading = read - sending + reading, sent + sending, 0
    return rounds, most


@pytest.mark.parametrize(
    ("offers", "workers", "rounds"),
    [(200, 64, 7), (200, 32, 13), (46, 32, 3), (5, 2, 5), (1, 32, 2)],
)
def test_the_last_submission_is_answered_after_the_fewest_rounds(
    offers: int, workers: int, rounds: int
) -> None:
    """Two requests per offer over the connections: reads ahead of submissions, within a
    window of one read per connection, end the wave in ceil(2 x offers / connections)
    rounds (sends first took a round more: 8 for 200 offers on 64 connections)."""
    took, most = _rounds(offers, workers)
    assert took == rounds == max(2, -(-2 * offers // workers))
    assert most <= workers  # no read is more than about a round trip older than its send
