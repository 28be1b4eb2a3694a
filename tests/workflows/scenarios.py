"""What a user must see on GitHub after a workflow run, as checks that return the problems.

The scenario tests assert there are none; the mutation tests assert a broken workflow file
produces some, so the same user-visible checks guard both.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from tests.support.github_server import GitHubServer

from .harness import Repository, Run

WOODGROVE = "Woodgrove Bank Analytics discount 2027"
CSP = "Contoso Analytics CSP margin 2027"
DISCOUNT_FILE = "offers/customer-percentage.yaml"
PLAN_MARKER = "<!-- reconciler:plan"
# A pull request that changes a live offer's discount, allowing the republish it needs.
ALLOW_REPUBLISH = ("state: live\n", "state: live\nreconciler:\n  allowRepublish: true\n")


def discount(old: int, new: int) -> dict[str, list[tuple[str, str]]]:
    change = (f"discountPercentage: {old}\n", f"discountPercentage: {new}\n")
    return {DISCOUNT_FILE: [ALLOW_REPUBLISH, change] if old == 10 else [change]}


def plan_problems(run: Run, github: GitHubServer, number: int, *, expect: list[str]) -> list[str]:
    """Why a plan run on pull request *number* is not what its author should see."""
    problems: list[str] = []
    if not run.succeeded:
        problems.append("the plan job failed:\n" + run.failure())
    sticky = [c for c in github.comments_on(number) if PLAN_MARKER in c["body"]]
    if len(sticky) != 1:
        problems.append(f"{len(sticky)} plan comments instead of one")
    elif missing := [text for text in expect if text not in sticky[0]["body"]]:
        problems.append(f"the plan comment does not show {missing}")
    labels = [label["name"] for label in github.issues[number]["labels"]]
    if "offers:changes" not in labels:
        problems.append(f"labels {labels} lack offers:changes")
    artifact = run.artifact("offers-plan")
    if set(artifact) != {"plan.json", "plan.md"}:
        problems.append(f"the offers-plan artifact holds {sorted(artifact)}")
    elif missing := [text for text in expect if text not in artifact["plan.md"]]:
        problems.append(f"the plan artifact does not show {missing}")
    return problems


@dataclass(frozen=True)
class PlanSeen:
    """A plan run on a pull request, and what GitHub showed when it ended (copies: later
    runs edit the comment and the labels)."""

    run: Run
    problems: list[str]  # :func:`plan_problems` of the run, checked when it ended
    comments: list[dict[str, Any]]
    labels: set[str]
    oidc_subjects: list[str]

    @classmethod
    def after(cls, run: Run, github: GitHubServer, number: int, expect: list[str]) -> PlanSeen:
        return cls(
            run,
            plan_problems(run, github, number, expect=expect),
            copy.deepcopy(github.comments_on(number)),
            {label["name"] for label in github.issues[number]["labels"]},
            [claims["sub"] for claims in github.oidc_issued],
        )


@dataclass(frozen=True)
class MergedAfterReview:
    """A pull request planned, pushed to and planned again, an offer edited in Partner Center
    after the review, the merge applied: the runs, and what GitHub showed after each plan."""

    repo: Repository
    github: GitHubServer
    number: int
    first: PlanSeen
    second: PlanSeen  # the plan the reviewers approved
    applied: Run
