"""offers-apply.yml, run as written: a merge is applied only inside the protected environment."""

from __future__ import annotations

import pytest

from tests.support.github_server import GitHubServer

from .harness import Repository, event
from .scenarios import WOODGROVE, MergedAfterReview

# act is an external runner whose job log, under a loaded machine, has once lost a step's last
# line; one rerun tells such a hiccup from a broken workflow, which fails both times.
pytestmark = pytest.mark.flaky(reruns=1)

APPLY_MARKER = "<!-- reconciler:apply -->"
# A run by hand that applies the plan as it is now (the environment's reviewers approve it).
APPLY_UNSEEN = event("workflow_dispatch", inputs={"apply_unseen": True})


def test_a_merge_is_applied_in_the_offers_environment_and_reported_on_the_pull_request(
    merged_after_review: MergedAfterReview,
) -> None:
    # The pull request's plan, then the merge's apply: one shared run (conftest.py), read
    # here for what GitHub shows of the apply.
    scenario = merged_after_review
    github, number, planned = scenario.github, scenario.number, scenario.second.run
    assert scenario.second.problems == []

    applied = scenario.applied
    assert applied.succeeded, applied.failure()
    # The lock was the repository's state ref (the github backend), released at the end.
    refs = [(r.method, r.path.split("/git/")[-1]) for r in github.requests if "/git/ref" in r.path]
    assert ("POST", "refs") in refs and refs[-1][0] == "DELETE", refs
    assert [r for r in github.git.refs if "/state-" in r] == []
    # What the apply did, per offer, stays for the drift job: the apply history's ref.
    assert [r for r in github.git.refs if "/history-" in r] != []

    # Inside the environment: the OIDC token GitHub handed out names it, as Entra ID checks.
    assert github.oidc_issued[-1]["sub"] == "repo:octo/offers:environment:offers"
    outcome = [c["body"] for c in github.comments_on(number) if APPLY_MARKER in c["body"]]
    assert len(outcome) == 1
    assert "✅ Applied" in outcome[0] and WOODGROVE in outcome[0]
    (sticky,) = [c["body"] for c in github.comments_on(number) if "reconciler:plan" in c["body"]]
    # The approved plan stays readable on the pull request, with the outcome below it ...
    assert "discountPercentage: 20" in sticky and "Applied after merge: ✅ Applied" in sticky
    assert sticky.index("discountPercentage: 20") < sticky.index("Applied after merge")
    # ... and in full in the pull request run's artifact.
    assert "discountPercentage: 20" in planned.artifact("offers-plan")["plan.md"]
    kept = applied.artifact("offers-apply")
    assert set(kept) == {"plan.json", "comparison.md", "apply.md"}
    assert WOODGROVE in kept["apply.md"]


def test_the_apply_job_refuses_to_run_outside_the_offers_environment(
    repo: Repository, github: GitHubServer
) -> None:
    workflow = repo.path / ".github" / "workflows" / "offers-apply.yml"
    text = workflow.read_text(encoding="utf-8")
    assert "    environment: offers\n" in text
    workflow.write_text(text.replace("    environment: offers\n", ""), encoding="utf-8")
    repo.commit("apply without the environment")

    run = repo.run("offers-apply.yml", "workflow_dispatch", APPLY_UNSEEN)
    assert not run.succeeded, run.log[-3000:]
    assert run.step("Refuse to run outside the protected environment") == "failure"
    assert "AZURE_APPLY_CLIENT_ID is not set" in run.log, run.failure()
    assert run.step("Apply") == "skipped"
    # Only the plan job (read-only app, as main) got a token; the apply job asked for none.
    assert [c["sub"] for c in github.oidc_issued] == ["repo:octo/offers:ref:refs/heads/main"]


def test_the_apply_job_refuses_an_environment_without_required_reviewers(
    repo: Repository, github: GitHubServer
) -> None:
    github.add_environment("offers", reviewers=None)
    run = repo.run("offers-apply.yml", "workflow_dispatch", APPLY_UNSEEN)
    assert not run.succeeded, run.log[-3000:]
    assert "has no required reviewers" in run.log, run.failure()
    assert run.step("Apply") == "skipped"
    # Only the plan job (read-only app, as main) got a token; the apply job asked for none.
    assert [c["sub"] for c in github.oidc_issued] == ["repo:octo/offers:ref:refs/heads/main"]


@pytest.mark.parametrize(
    "rules, message",
    [
        ({"prevent_self_review": False}, "lets a reviewer approve their own run"),
        ({"admins_bypass": True}, "Administrators may bypass"),
    ],
)
def test_the_apply_job_refuses_self_review_and_admin_bypass(
    repo: Repository, github: GitHubServer, rules: dict[str, bool], message: str
) -> None:
    github.add_environment("offers", reviewers=["octo-admin"], **rules)
    run = repo.run("offers-apply.yml", "workflow_dispatch", APPLY_UNSEEN)
    assert not run.succeeded, run.log[-3000:]
    assert message in run.log, run.failure()
    assert run.step("Apply") == "skipped"
    # Only the plan job (read-only app, as main) got a token; the apply job asked for none.
    assert [c["sub"] for c in github.oidc_issued] == ["repo:octo/offers:ref:refs/heads/main"]
