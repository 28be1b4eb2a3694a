"""A broken step of offers-plan.yml fails a test: each case runs a mutated copy as written.

The checks are the user-visible ones of the pull request scenario (one sticky comment with
the plan, the label, the artifact, a green job): the shipped file passes them, each mutation
(a misspelt command, a wrong ``${{ }}`` reference, a missing permission) must not. The
cases run side by side in one module-scoped setup; each then asserts on its own run.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.github_server import GitHubServer

from .harness import REPOSITORY, new_repository
from .scenarios import discount, plan_problems
from .steps import open_pull_request, pull_request_event

# act is an external runner whose job log, under a loaded machine, has once lost a step's last
# line; one rerun tells such a hiccup from a broken workflow, which fails both times.
pytestmark = pytest.mark.flaky(reruns=1)

MUTATIONS: dict[str, tuple[str, str]] = {
    "as shipped (the control: it must pass)": ("name: offers-plan\n", "name: offers-plan\n"),
    "misspelt command": ("run: reconciler validate\n", "run: reconciler valdate\n"),
    "wrong reference to the base branch": ("${{ github.base_ref }}", "${{ github.base_branch }}"),
    "wrong reference to the token": (
        "GITHUB_TOKEN: ${{ github.token }}",
        "GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN_WRITE }}",
    ),
    "missing pull-requests permission": ("      pull-requests: write", "      pull-requests: read"),
    "missing id-token permission": ("      id-token: write", "      statuses: read"),
}


def _problems_of(mutation: str, base: Path) -> list[str]:
    """The user-visible problems of one plan run with *mutation* applied to the workflow."""
    with GitHubServer(repository=REPOSITORY) as github:
        repo = new_repository(base, github, base / "emulator-data")
        number = github.add_pull(5)
        sha = open_pull_request(repo, number, discount(10, 15))  # nothing live yet: 2 to create
        old, new = MUTATIONS[mutation]
        workflow = repo.path / ".github" / "workflows" / "offers-plan.yml"
        text = workflow.read_text(encoding="utf-8")
        assert text.count(old) == 1, old
        workflow.write_text(text.replace(old, new), encoding="utf-8")
        run = repo.run("offers-plan.yml", "pull_request", pull_request_event(number, sha))
        return plan_problems(run, github, number, expect=["2 to create"])


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """Every case's problems: the act runs are mostly waiting on subprocesses, so they run
    side by side, each in its own repository with its own GitHub stand-in."""
    bases = {mutation: tmp_path_factory.mktemp("mutation") for mutation in MUTATIONS}
    with ThreadPoolExecutor(max_workers=len(MUTATIONS)) as pool:
        futures = {m: pool.submit(_problems_of, m, base) for m, base in bases.items()}
        return {mutation: future.result() for mutation, future in futures.items()}


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_a_broken_plan_workflow_is_caught(mutation: str, outcomes: dict[str, list[str]]) -> None:
    old, new = MUTATIONS[mutation]
    problems = outcomes[mutation]
    if old == new:
        assert problems == []
    else:
        assert problems, f"{mutation}: the broken workflow still looks right to the user"
