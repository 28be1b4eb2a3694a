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


def test_apply_report_says_each_offers_state_and_who_acts_next(
    examples_project: Path, reconciler: Cli
) -> None:
    code, _, err = reconciler("apply", "--emulator", "--auto-approve", "--markdown-out", "apply.md")
    assert code == 0, err
    report = (examples_project / "apply.md").read_text()
    # Four columns, readable on a phone: ids and files are folded below.
    assert "| | Offer | State now | Who acts next |" in report
    rows = {
        name: next(line for line in report.splitlines() if line.startswith("|") and name in line)
        for name in (
            "Woodgrove Bank Analytics",
            "Coho Winery Data Platform",
            "Contoso Analytics CSP margin 2027",
        )
    }
    woodgrove = rows["Woodgrove Bank Analytics"].replace("\\", "")
    assert "live: waiting for the customer's acceptance" in woodgrove
    assert "Woodgrove Bank: accepts it by 2027-06-30 in the Azure portal" in woodgrove
    coho = rows["Coho Winery Data Platform"].replace("\\", "")
    assert (
        "waiting for the selling partner" in coho and "Market Place Test: adds its markup" in coho
    )
    csp = rows["Contoso Analytics CSP margin 2027"].replace("\\", "")
    assert "the CSP partners can sell it" in csp and "Fabrikam Cloud Solutions" in csp
    assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", report.split("<details>")[0])  # no GUID
    assert "What to do next" not in report  # nothing partial
    ids = report.split("<details><summary>Offer ids, files and job ids</summary>")[1]
    assert re.search(r"offer `private-offer/[0-9a-f-]{36}`", ids)
    assert "`offers/customer-percentage.yaml:" in ids


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
