"""offers-plan.yml, run as written: what a pull request shows on GitHub."""

from __future__ import annotations

import pytest

from tests.support.github_server import GitHubServer

from .harness import Repository
from .scenarios import MergedAfterReview, discount
from .steps import open_pull_request, pull_request_event

# act is an external runner whose job log, under a loaded machine, has once lost a step's last
# line; one rerun tells such a hiccup from a broken workflow, which fails both times.
pytestmark = pytest.mark.flaky(reruns=1)


def test_a_pull_request_gets_one_sticky_plan_comment_a_label_and_the_plan_artifact(
    merged_after_review: MergedAfterReview,
) -> None:
    # Two pushes to a pull request on a live repository, each planned: the first two runs of
    # a shared pull request (conftest.py), each read as GitHub showed it when the run ended.
    first, second = merged_after_review.first, merged_after_review.second
    assert first.problems == []
    assert first.run.pip_calls == [
        ["install", "--require-hashes", "--no-deps", "-r", ".github/requirements/reconciler.txt"]
    ]
    (comment,) = first.comments
    assert "discountPercentage: 10" in comment["body"]
    assert first.labels == {"offers:changes", "offers:destructive"}
    # The plan job asks GitHub for an OIDC token as a pull request, for the read-only app.
    assert first.oidc_subjects == ["repo:octo/offers:pull_request"]

    # A second push: the same comment is edited, never a second one.
    assert second.problems == []
    (edited,) = second.comments
    assert edited["id"] == comment["id"] and edited["body"] != comment["body"]
    assert "discountPercentage: 15" not in edited["body"]


def test_a_pull_request_from_a_fork_is_validated_and_told_why_there_is_no_plan(
    repo: Repository, github: GitHubServer
) -> None:
    number = github.add_pull(8, head_repo="mallory/offers")
    sha = open_pull_request(repo, number, discount(10, 99))

    run = repo.run(
        "offers-plan.yml",
        "pull_request",
        pull_request_event(number, sha, head_repo="mallory/offers"),
        fork=True,
    )
    assert run.succeeded, run.failure()
    assert run.step("Validate the offer files") == "success"
    assert run.step("Plan") == "skipped"
    assert "comes from a fork" in run.log and "no plan was made" in run.log
    assert "No plan for a pull request from a fork" in run.summary, run.summary
    # Never a write credential: no OIDC token, and GitHub saw no write at all.
    assert github.oidc_issued == []
    assert "ACTIONS_ID_TOKEN_REQUEST_TOKEN" not in run.log
    assert github.writes() == []
    assert github.comments_on(number) == []


def test_the_plan_refuses_to_run_without_the_read_only_app(
    repo: Repository, github: GitHubServer
) -> None:
    # Only the applying app is configured (at repository level): no fallback to it.
    repo.vars = {"AZURE_TENANT_ID": repo.vars["AZURE_TENANT_ID"], "AZURE_CLIENT_ID": "write-app"}
    number = github.add_pull(9)
    sha = open_pull_request(repo, number, discount(10, 15))

    run = repo.run("offers-plan.yml", "pull_request", pull_request_event(number, sha))
    assert not run.succeeded, run.log[-3000:]
    assert run.step("Check the read-only app is configured") == "failure"
    assert "AZURE_PLAN_CLIENT_ID" in run.log
    assert github.oidc_issued == []
    assert github.comments_on(number) == []
