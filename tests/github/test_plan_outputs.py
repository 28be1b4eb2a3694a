"""`comment-plan` posts only what this run's plan wrote, never a file of the pull request.

A pull request can make `plan` fail and can commit its own `plan.md` and `plan.json`, or
links to files of the runner (`/proc/self/environ`). The plan writes its outputs to the
runner's temporary folder with a trailer binding them to the run and the plan's checksum;
anything else gets a "plan failed" comment and no labels.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reconciler.cli import cli
from reconciler.cli.common import run
from tests.github.conftest import Workflow, pr_event
from tests.github.test_commands import bot_comments

FORGED = "FORGED-PLAN: nothing to review, approve and merge"
BROKEN = "privateOfferType: customerPromotion\nname: Broken\nstate: live\nend: not-a-date\n"


@pytest.fixture
def failed_plan(workflow: Workflow, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A pull request whose offer file makes the plan fail, with its own plan files."""
    monkeypatch.setenv("RUNNER_TEMP", str(workflow.tmp))
    checkout = Path.cwd()
    (checkout / "offers").mkdir()
    (checkout / "offers" / "broken.yaml").write_text(BROKEN)
    (checkout / "plan.md").write_text(f"## Offers plan\n\n{FORGED}\n")
    summary = {"has_changes": False, "is_blocked": False, "summary": {"unchanged": 9}}
    (checkout / "plan.json").write_text(json.dumps(summary))
    for name, target in (("env.md", "/proc/self/environ"), ("forged.md", "plan.md")):
        os.symlink(target, checkout / name)
    os.symlink(checkout / "plan.md", workflow.tmp / "linked.md")  # a link where ours go
    for key, value in workflow.env(pr_event(3), "pull_request", "b" * 40).items():
        monkeypatch.setenv(key, value)
    out = str(workflow.tmp)
    code = run(cli, ["plan", "--emulator", "--out", f"{out}/plan.json",
                     "--markdown-out", f"{out}/plan.md"])  # fmt: skip
    assert code == 1
    return checkout


@pytest.mark.parametrize(
    "body, summary",
    [
        ("plan.md", "plan.json"),  # the pull request's own files
        ("forged.md", None),  # a link in the checkout
        ("env.md", None),  # a link to the runner's environment
        ("{tmp}/linked.md", None),  # a link in the runner's temporary folder
    ],
)
def test_a_forged_plan_after_a_failed_plan_is_never_posted(
    workflow: Workflow, failed_plan: Path, body: str, summary: str | None
) -> None:
    pr = workflow.server.add_pull(3)
    args = ["github", "comment-plan", "--body-file", body.format(tmp=workflow.tmp)]
    if summary:
        args += ["--summary-json", summary]
    result = workflow.run(*args, event=pr_event(pr))
    assert result.code == 0, result.err
    posted = bot_comments(workflow, pr)[0]["body"]
    assert "plan failed" in posted
    assert "FORGED" not in posted and "GITHUB_TOKEN" not in posted and "PATH=" not in posted
    labels = [label["name"] for label in workflow.server.issues[pr]["labels"]]
    assert labels == []  # nothing from the pull request's plan.json either


def test_the_failed_plan_comment_shows_the_plans_own_error(
    workflow: Workflow, failed_plan: Path
) -> None:
    pr = workflow.server.add_pull(3)
    result = workflow.run(
        "github", "comment-plan", "--body-file", str(workflow.tmp / "plan.md"),
        "--summary-json", str(workflow.tmp / "plan.json"), event=pr_event(pr),
    )  # fmt: skip
    assert result.code == 0, result.err
    posted = bot_comments(workflow, pr)[0]["body"]
    assert "Offers plan failed" in posted and "offers/broken.yaml:4" in posted
    assert "FORGED" not in posted


def test_a_plan_of_another_run_is_refused(workflow: Workflow, failed_plan: Path) -> None:
    pr = workflow.server.add_pull(3)
    text = (workflow.tmp / "plan.md").read_text().replace("run=4242.1", "run=4241.1")
    other = workflow.write("other.md", text.replace("Offers plan failed", FORGED))
    result = workflow.run("github", "comment-plan", "--body-file", str(other), event=pr_event(pr))
    assert result.code == 0, result.err
    posted = bot_comments(workflow, pr)[0]["body"]
    assert "plan failed" in posted and "another run" in posted and "FORGED" not in posted
