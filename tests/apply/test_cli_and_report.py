"""The apply/jobs commands as a user runs them, and the report renderers."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.api.jobs import JobStatus
from reconciler.apply.journal import Journal, read_state
from reconciler.apply.outcome import ApplyResult, ChangeOutcome, OutcomeError, ProgressEvent
from reconciler.cli import cli
from reconciler.errors import (
    EXIT_BLOCKED,
    EXIT_ERROR,
    EXIT_JOBS_FAILED,
    EXIT_JOBS_RUNNING,
    EXIT_STALE,
)
from reconciler.plan.plan import Plan, PlanMeta
from reconciler.report.progress import ProgressPrinter
from reconciler.report.summary import render_markdown, render_table
from tests.apply.conftest import EXAMPLES

EMU = ["--emulator", "--emulator-data", "emu"]


def run(
    *args: str, env: dict[str, str] | None = None, input: str | None = None
) -> tuple[int, str, str]:
    from reconciler.cli.common import run as run_cli

    runner = CliRunner()
    holder: dict[str, int] = {}

    def invoke() -> None:
        holder["rc"] = run_cli(cli, list(args))

    import click

    @click.command()
    def wrapper() -> None:
        invoke()

    result = runner.invoke(wrapper, [], env=env, input=input)
    return holder.get("rc", -1), result.stdout, result.stderr


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(EXAMPLES, tmp_path / "offers")
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_apply_refuses_without_a_terminal_unless_auto_approved(project: Path) -> None:
    rc, out, err = run("apply", "offers", *EMU)
    assert rc == EXIT_ERROR
    assert "--auto-approve" in err
    assert "Plan: 10 to create" in out  # shown, not applied
    rc, out, _ = run("plan", "offers", "--format", "json", *EMU)
    assert json.loads(out)["summary"]["create"] == 10  # nothing was sent


def test_saved_plan_json_output_markdown_and_actions_reporting(project: Path) -> None:
    rc, _, _ = run("plan", "offers", "--out", "plan.json", *EMU)
    assert rc == 0
    summary, outputs = project / "summary.md", project / "outputs.txt"
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
    }
    rc, out, err = run(
        "apply", "plan.json", "--format", "json", "--markdown-out", "apply.md", *EMU, env=env
    )
    assert rc == 0, err
    data = json.loads(out)
    assert data["summary"]["succeeded"] == 10 and data["exit_code"] == 0
    assert all(c["offer_id"] for c in data["changes"])
    assert "Apply: 10 succeeded" in (project / "apply.md").read_text()
    assert "10 succeeded" in summary.read_text()
    assert "succeeded<<" in outputs.read_text()
    # applying the same reviewed plan again finds its names taken: stale, nothing created twice
    rc, out, _ = run("apply", "plan.json", "--format", "json", *EMU)
    assert rc == EXIT_STALE
    assert json.loads(out)["summary"]["stale"] == 10


def test_a_tampered_plan_is_refused(project: Path) -> None:
    run("plan", "offers", "--out", "plan.json", *EMU)
    data = json.loads((project / "plan.json").read_text())
    data["changes"][0]["offer_name"] = "Someone else's offer"
    (project / "plan.json").write_text(json.dumps(data))
    rc, _, err = run("apply", "plan.json", *EMU)
    assert rc == EXIT_ERROR
    assert "checksum mismatch" in err


def test_a_blocked_plan_exits_3_and_sends_nothing(project: Path) -> None:
    rc, _, _ = run("apply", "offers/customer-absolute.yaml", "--auto-approve", *EMU)
    assert rc == 0
    path = project / "offers" / "customer-absolute.yaml"
    path.write_text(path.read_text().replace("state: live", "state: withdrawn"))
    rc, _, err = run("apply", "offers/customer-absolute.yaml", "--auto-approve", *EMU)
    assert rc == EXIT_BLOCKED
    assert "protected" in err
    journals = list((project / ".reconciler" / "journal").glob("*.jsonl"))
    assert len(journals) == 1  # only the first apply's


# ---------------------------------------------------------------------------- units


def _result(*statuses: str) -> ApplyResult:
    outcomes = [
        ChangeOutcome(f"c{i}", f"offers/o{i}.yaml", 3, f"Offer {i}", "create", status=s)  # type: ignore[arg-type]
        for i, s in enumerate(statuses)
    ]
    return ApplyResult(plan_checksum="sha256:x", outcomes=outcomes)


@pytest.mark.parametrize(
    ("statuses", "code"),
    [
        ((), 0),
        (("succeeded",), 0),
        (("succeeded", "stale"), EXIT_STALE),
        (("stale", "running"), EXIT_JOBS_RUNNING),
        (("running", "failed", "stale"), EXIT_JOBS_FAILED),
    ],
)
def test_exit_codes_fold_the_outcomes(statuses: tuple[str, ...], code: int) -> None:
    assert _result(*statuses).exit_code == code


def test_markdown_report_is_inert_for_hostile_offer_names() -> None:
    result = _result("failed")
    result.outcomes[0].offer_name = "<img src=x> @everyone | [x](http://evil)"
    result.outcomes[0].errors = [
        OutcomeError("conflict", "eTag <b>moved</b>", "offers/o0.yaml", 7, field="name")
    ]
    text = render_markdown(result)
    for markup in ("<img", "<b>", "](http", "[x]"):
        assert re.search(r"(?<!\\)" + re.escape(markup), text) is None
    row = next(line for line in text.splitlines() if "img" in line and line.startswith("|"))
    assert len(re.findall(r"(?<!\\)\|", row)) == 5  # the name cannot add a table cell
    assert "@everyone" not in text  # the mention is broken with a zero-width space
    table = render_table(result)
    assert "offers/o0.yaml:7: name: conflict" in table


def test_progress_lines_in_ci_and_redrawn_status_on_a_terminal() -> None:
    running = JobStatus("job-1", "running", "pending")
    done = JobStatus("job-1", "completed", "succeeded")
    events = [
        ProgressEvent(
            "submitted", ("Offer A",), "job-1", JobStatus("job-1", "notStarted", "pending")
        ),
        ProgressEvent("job", ("Offer A",), "job-1", running),
        ProgressEvent("job", ("Offer A",), "job-1", running),  # no change: no line
        ProgressEvent("job", ("Offer A",), "job-1", done),
    ]
    plain = io.StringIO()
    printer = ProgressPrinter(plain, live=False)
    for event in events:
        printer(event)
    assert plain.getvalue().splitlines() == [
        "submitted job job-1: Offer A",
        "job job-1 running: Offer A",
        "job job-1 succeeded: Offer A",
    ]
    assert "\x1b" not in plain.getvalue()
    live = io.StringIO()
    printer = ProgressPrinter(live, live=True)
    for event in events:
        printer(event)
    printer.close()
    assert "\r\x1b[2K" in live.getvalue()
    assert live.getvalue().rstrip().endswith("jobs: 1 succeeded")


def test_journal_ignores_a_torn_last_record(tmp_path: Path) -> None:
    plan = Plan(meta=PlanMeta(created_at="2026-01-01T00:00:00Z", endpoint="x", role="publisher"))
    with Journal.create(tmp_path, plan, target="t", endpoint="x") as journal:
        journal.write({"t": "intent", "req": 1, "items": [], "offers": []})
        path = journal.path
    with path.open("a") as handle:
        handle.write('{"t": "submitted", "req": 1, "job_')  # the process died mid-write
    state = read_state(path)
    assert state.requests[1].job_id is None and state.requests[1].unresolved


def test_a_plan_for_another_service_is_refused() -> None:
    from reconciler.cli.apply import check_same_service
    from reconciler.errors import PlanFileError

    def plan_for(endpoint: str) -> Plan:
        meta = PlanMeta(created_at="2026-01-01T00:00:00Z", endpoint=endpoint, role="publisher")
        return Plan(meta=meta)

    real = "https://graph.microsoft.com/rp/product-ingestion"
    check_same_service(plan_for(real), real + "/")
    with pytest.raises(PlanFileError, match="plan again against the service you apply to"):
        check_same_service(plan_for("https://staging.example.com/rp/product-ingestion"), real)
    # the embedded emulator changes port on every start: two loopback endpoints match
    local = "https://127.0.0.1:{}/rp/product-ingestion"
    check_same_service(plan_for(local.format(5001)), local.format(5002))
    # but an emulator's plan never reaches the real API, nor the other way round
    with pytest.raises(PlanFileError):
        check_same_service(plan_for(local.format(5001)), real)
    with pytest.raises(PlanFileError):
        check_same_service(plan_for(real), local.format(5002))


def test_the_apply_table_fits_an_80_column_terminal() -> None:
    """Long offer names and job ids: at 80 columns each offer is a block whose lines fit,
    with its file, its job and its errors whole; a wide terminal keeps the one-row table."""
    result = _result("succeeded", "failed")
    result.outcomes[0].offer_name = "Contoso Data Platform CSP margin for Fabrikam customers"
    result.outcomes[0].job_ids = ["59b4a008-80c2-4164-a8f6-0cf426e0c164"]
    result.outcomes[1].file = "offers/team-emea/originator-saas-per-user-plan-2027.yaml"
    result.outcomes[1].job_ids = ["ca772ffb-c17b-45ce-adae-ff709fd656e1"]
    result.outcomes[1].errors = [OutcomeError("invalid", "bad", result.outcomes[1].file, 9)]
    narrow = render_table(result, width=80).splitlines()
    assert max(len(line) for line in narrow) <= 80, narrow
    assert narrow[0] == "ok      create  Contoso Data Platform CSP margin for Fabrikam customers"
    assert narrow[1] == "    offers/o0.yaml:3  job 59b4a008-80c2-4164-a8f6-0cf426e0c164"
    assert narrow[2].startswith("FAILED  create  Offer 1")
    assert narrow[3:6] == [
        "    offers/team-emea/originator-saas-per-user-plan-2027.yaml:3",
        "    job ca772ffb-c17b-45ce-adae-ff709fd656e1",
        "    offers/team-emea/originator-saas-per-user-plan-2027.yaml:9: invalid: bad",
    ]
    wide = render_table(result, width=200).splitlines()
    assert wide[0].split() == ["OFFER", "ACTION", "JOB", "RESULT", "FILE"]
    assert len(wide[1]) > 80
