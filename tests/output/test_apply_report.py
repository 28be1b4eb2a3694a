"""The apply report users read after merge, and the progress lines of a non-TTY apply."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

from reconciler.api.jobs import JobStatus
from reconciler.apply.outcome import ProgressEvent
from reconciler.report.progress import ProgressPrinter

from .conftest import Cli


def test_apply_report_names_ids_states_and_lists_job_ids_once(
    examples_project: Path, reconciler: Cli
) -> None:
    code, _, err = reconciler("apply", "--emulator", "--auto-approve", "--markdown-out", "apply.md")
    assert code == 0, err
    report = (examples_project / "apply.md").read_text()
    assert "| | Offer | Live id | State now | Result | File |" in report
    row = next(line for line in report.splitlines() if "Woodgrove Bank Analytics" in line)
    assert re.search(r"`private-offer/[0-9a-f-]{36}`", row)  # the new offer's live id
    assert "created" in row and "succeeded" in row
    assert "What to do next" not in report  # nothing partial
    jobs = report.split("<details><summary>Job ids</summary>")
    assert len(jobs) == 2  # job ids only in the folded block
    job_ids = set(re.findall(r"`([0-9a-f-]{36})`", jobs[1]))
    assert job_ids and not any(j in jobs[0] for j in job_ids)


def test_non_tty_heartbeat_names_the_open_jobs() -> None:
    stream = io.StringIO()
    printer = ProgressPrinter(stream, live=False, heartbeat=0.05)
    printer(ProgressEvent("submitted", ("Contoso deal",), "job-1"))
    printer(ProgressEvent("submitted", ("Fabrikam deal",), "job-2"))
    printer(
        ProgressEvent(
            "job", ("Fabrikam deal",), "job-2", JobStatus("job-2", "completed", "succeeded")
        )
    )
    deadline = time.monotonic() + 5
    while "still waiting" not in stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.02)
    printer.close()
    beat = [line for line in stream.getvalue().splitlines() if "still waiting" in line]
    assert beat and beat[0] == "still waiting for 1 job(s): job-1 (Contoso deal)"
    assert "\x1b" not in stream.getvalue() and "\r" not in stream.getvalue()
