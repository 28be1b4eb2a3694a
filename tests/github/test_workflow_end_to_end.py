"""The three workflows' steps, run in order as the workflow files run them, against the
emulator (persistent, as a real account would be) and the GitHub stand-in server.

Each ``workflow.run`` is one ``run:`` line of .github/workflows/offers-*.yml with the
variables the runner sets; the emulator state lives in a data folder shared by the steps.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx

from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.server import EmbeddedEmulator

from .conftest import Workflow, pr_event, push_event

EXAMPLES = Path(__file__).resolve().parents[2] / "offers"
WOODGROVE = "Woodgrove Bank Analytics discount 2027"


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


def drift_edit(data: Path, name: str, fields: dict[str, object]) -> None:
    """Someone edits an offer in Partner Center: outside git, between two workflow runs."""
    with EmbeddedEmulator(EmulatorConfig(data_dir=data, admin=True)) as emu:
        page = httpx.get(
            emu.api_url + "/private-offer/query",
            params={"$version": "2023-07-15"},
            headers={"Authorization": "Bearer emulator:publisher"},
        ).json()
        (offer,) = [o for o in page["privateOffers"] if o["name"] == name]
        emu.admin.edit(offer["id"], fields)


def test_plan_on_pr_apply_on_merge_drift_on_schedule(workflow: Workflow, tmp_path: Path) -> None:
    repo = tmp_path
    shutil.copytree(EXAMPLES, repo / "offers", ignore=shutil.ignore_patterns("partner"))
    data = repo / "emulator-data"
    api = ("--emulator", "--emulator-data", str(data))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "offers")
    git(repo, "commit", "-q", "-m", "offers")
    server = workflow.server
    pr = server.add_pull(21)

    # -- offers-plan.yml, two pushes to one pull request --------------------------------------
    def plan_and_comment() -> str:
        planned = workflow.run(
            "plan",
            "--out",
            "plan.json",
            "--markdown-out",
            "plan.md",
            "--detailed-exitcode",
            *api,
            event=pr_event(pr),
        )
        assert planned.code == 2, planned.err
        commented = workflow.run(
            "github",
            "comment-plan",
            "--body-file",
            "plan.md",
            "--summary-json",
            "plan.json",
            event=pr_event(pr),
        )
        assert commented.code == 0, commented.err
        (sticky,) = [c for c in server.comments_on(pr) if "<!-- reconciler:plan" in c["body"]]
        return str(sticky["body"])

    first = plan_and_comment()
    assert "10 to create" in first and WOODGROVE in first
    target = repo / "offers" / "customer-percentage.yaml"
    text = target.read_text()
    assert "discountPercentage: 10\n" in text
    target.write_text(text.replace("discountPercentage: 10\n", "discountPercentage: 15\n"))
    second = plan_and_comment()
    assert len(server.comments_on(pr)) == 1  # edited in place, never a second comment
    assert second != first and "15" in second
    assert "exit-code" in workflow.output_path.read_text()
    assert "10 to create" in workflow.summary()

    # -- offers-apply.yml on the merge commit -------------------------------------------------
    git(repo, "commit", "-q", "-am", "bigger discount")
    merge_sha = git(repo, "rev-parse", "HEAD")
    server.issues[pr]["_pr"]["merge_commit_sha"] = merge_sha
    server.commit_pulls.setdefault(merge_sha, []).append(pr)
    push = push_event(merge_sha)
    planned = workflow.run(
        "plan", "--out", "plan.json", "--markdown-out", "plan.md", *api,
        event=push, event_name="push", sha=merge_sha,
    )  # fmt: skip
    assert planned.code == 0, planned.err
    applied = workflow.run(
        "apply", "plan.json", "--auto-approve", "--markdown-out", "apply.md", *api,
        event=push, event_name="push", sha=merge_sha,
    )  # fmt: skip
    assert applied.code == 0, applied.err
    reported = workflow.run(
        "github", "report-apply", "--body-file", "apply.md", "--sha", merge_sha,
        "--exit-code", str(applied.code),
        event=push, event_name="push", sha=merge_sha,
    )  # fmt: skip
    assert reported.code == 0, reported.err
    outcome = [c for c in server.comments_on(pr) if "<!-- reconciler:apply -->" in c["body"]]
    assert len(outcome) == 1 and WOODGROVE in outcome[0]["body"]
    (sticky,) = [c for c in server.comments_on(pr) if "<!-- reconciler:plan" in c["body"]]
    assert "applied" in sticky["body"]

    # -- offers-drift.yml on a schedule ----------------------------------------------------------
    schedule = {"schedule": "0 6 * * *", "repository": {"full_name": "octo/offers"}}

    def drift_run() -> int:
        detected = workflow.run(
            "drift", "--out", "drift.json", "--markdown-out", "drift.md", *api,
            event=schedule, event_name="schedule", sha=merge_sha,
        )  # fmt: skip
        assert detected.code in (0, 2), detected.err
        flag = "--drift" if detected.code == 2 else "--no-drift"
        tracked = workflow.run(
            "github", "drift-issue", "--body-file", "drift.md", flag,
            event=schedule, event_name="schedule", sha=merge_sha,
        )  # fmt: skip
        assert tracked.code == 0, tracked.err
        return detected.code

    assert drift_run() == 0
    assert server.real_issues() == []

    drift_edit(data, WOODGROVE, {"notificationContacts": ["someone@contoso.com"]})
    assert drift_run() == 2
    (issue,) = server.real_issues()
    assert issue["state"] == "open" and WOODGROVE in issue["body"]
    assert drift_run() == 2
    (issue,) = server.real_issues()  # updated, not a second issue
    assert issue["state"] == "open"

    assert "notificationContacts:\n  - amy@contoso.com\n#" in target.read_text()
    original = ["amy@contoso.com"]
    drift_edit(data, WOODGROVE, {"notificationContacts": original})
    assert drift_run() == 0
    (issue,) = server.real_issues()
    assert issue["state"] == "closed"
