"""offers-apply.yml at merge: exactly what a reviewer approved reaches the live offers."""

from __future__ import annotations

import pytest

from tests.support.github_server import GitHubServer

from .harness import Repository, git
from .scenarios import CSP, DISCOUNT_FILE, WOODGROVE, MergedAfterReview, discount, plan_problems
from .steps import (
    live_edit,
    live_offers,
    merge_pull_request,
    open_pull_request,
    pull_request_event,
)

# act is an external runner whose job log, under a loaded machine, has once lost a step's last
# line; one rerun tells such a hiccup from a broken workflow, which fails both times.
pytestmark = pytest.mark.flaky(reruns=1)

MERGE_MARKER = "<!-- reconciler:merge-plan -->"
NEW_FILE = "offers/northwind.yaml"
NEW_NAME = "Northwind Traders Analytics discount 2027"


def discount_of(repo: Repository, name: str) -> float:
    return float(live_offers(repo)[name]["pricing"][0]["discountPercentage"])


def test_only_the_approved_change_is_applied_and_a_live_edit_after_the_review_stays(
    merged_after_review: MergedAfterReview,
) -> None:
    # The pull request's plan, a live edit of another offer after the review, the merge's
    # apply: one shared run (conftest.py), read here for what reached the live offers.
    scenario = merged_after_review
    repo, github, number = scenario.repo, scenario.github, scenario.number
    assert scenario.second.problems == []
    applied = scenario.applied
    assert applied.succeeded, applied.failure()

    assert discount_of(repo, WOODGROVE) == 20  # the approved change, applied
    assert live_offers(repo)[CSP]["preparedBy"] == "someone@contoso.com"  # the edit stays
    (comparison,) = [c["body"] for c in github.comments_on(number) if MERGE_MARKER in c["body"]]
    assert "Applied: as approved (1)" in comparison and WOODGROVE in comparison
    assert "Not part of this pull request" in comparison and CSP in comparison
    assert "Applied: as approved (1)" in applied.summary  # the job summary has it too
    # The plan job read as main with the read-only app; only the apply job had the environment.
    assert [c["sub"] for c in github.oidc_issued[-2:]] == [
        "repo:octo/offers:ref:refs/heads/main",
        "repo:octo/offers:environment:offers",
    ]
    outcome = [c["body"] for c in github.comments_on(number) if "reconciler:apply" in c["body"]]
    assert len(outcome) == 1 and "✅ Applied" in outcome[0]


def test_two_pull_requests_merged_back_to_back_each_apply_once(
    live_repo: Repository, github: GitHubServer
) -> None:
    repo = live_repo
    first, second = github.add_pull(10), github.add_pull(11)
    head_a = open_pull_request(repo, first, discount(10, 12), branch="pr-a")
    git(repo.path, "checkout", "-q", "-b", "pr-b", "main")
    text = (repo.path / DISCOUNT_FILE).read_text(encoding="utf-8")
    repo.write(NEW_FILE, text.replace(WOODGROVE, NEW_NAME))
    head_b = repo.commit("a new offer")
    for number, head in ((first, head_a), (second, head_b)):
        git(repo.path, "checkout", "-q", "--detach", head)  # a run checks out its own commit
        planned = repo.run("offers-plan.yml", "pull_request", pull_request_event(number, head))
        assert planned.succeeded, planned.failure()

    push_a = merge_pull_request(repo, github, first, head_a, branch="pr-a")
    push_b = merge_pull_request(repo, github, second, head_b, branch="pr-b")
    # Both merged before the first run starts; each run checks out its own merge commit.
    for push in (push_a, push_b):
        git(repo.path, "checkout", "-q", "--detach", push["after"])
        applied = repo.run("offers-apply.yml", "push", push)
        assert applied.succeeded, applied.failure()
    git(repo.path, "checkout", "-q", "main")
    assert discount_of(repo, WOODGROVE) == 12
    assert NEW_NAME in live_offers(repo)
    names = [o["name"] for o in live_offers(repo).values()]
    assert names.count(WOODGROVE) == 1 and names.count(NEW_NAME) == 1  # each applied once
    for number in (first, second):
        (comparison,) = [c["body"] for c in github.comments_on(number) if MERGE_MARKER in c["body"]]
        assert "Applied: as approved (1)" in comparison and "Not applied" not in comparison


def test_a_drifted_csp_offer_leaves_an_unrelated_pull_request_green_and_its_offer_is_applied(
    live_repo: Repository, github: GitHubServer
) -> None:
    repo = live_repo
    live_edit(repo, CSP, {"preparedBy": "someone@contoso.com"})  # cannot be restored: live CSP
    number = github.add_pull(12)
    git(repo.path, "checkout", "-q", "-b", "feature", "main")
    text = (repo.path / DISCOUNT_FILE).read_text(encoding="utf-8")
    repo.write(NEW_FILE, text.replace(WOODGROVE, NEW_NAME))
    head = repo.commit("a new offer")

    planned = repo.run("offers-plan.yml", "pull_request", pull_request_event(number, head))
    assert plan_problems(planned, github, number, expect=["1 to create", NEW_NAME]) == []
    assert planned.step("Plan") == "success"  # green: the drift is not this pull request's
    (sticky,) = [c["body"] for c in github.comments_on(number) if "reconciler:plan" in c["body"]]
    own, section = sticky.split("Not part of this pull request", 1)
    assert NEW_NAME in own and CSP in section
    labels = {label["name"] for label in github.issues[number]["labels"]}
    assert "offers:blocked" not in labels

    applied = repo.run("offers-apply.yml", "push", merge_pull_request(repo, github, number, head))
    assert applied.succeeded, applied.failure()
    assert NEW_NAME in live_offers(repo)
    assert live_offers(repo)[CSP]["preparedBy"] == "someone@contoso.com"
