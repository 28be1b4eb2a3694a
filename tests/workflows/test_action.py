"""action.yml, run as a user's workflow runs it: `uses: OWNER/offer-reconciler@SHA`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.github_server import GitHubServer

from .harness import HERE, Repository, action_source
from .scenarios import PLAN_MARKER, discount
from .steps import open_pull_request, pull_request_event

# act is an external runner whose job log, under a loaded machine, has once lost a step's last
# line; one rerun tells such a hiccup from a broken workflow, which fails both times.
pytestmark = pytest.mark.flaky(reruns=1)


def test_the_composite_action_plans_a_pull_request_and_sets_its_output(
    repo: Repository, github: GitHubServer, tmp_path: Path
) -> None:
    shutil.copy2(HERE / "consumer" / "offers-action.yml", repo.path / ".github" / "workflows")
    number = github.add_pull(11)
    sha = open_pull_request(repo, number, discount(10, 15))

    run = repo.run(
        "offers-action.yml",
        "pull_request",
        pull_request_event(number, sha),
        action_source=action_source(tmp_path),
    )
    assert run.succeeded, run.failure()
    (comment,) = github.comments_on(number)
    assert PLAN_MARKER in comment["body"] and "2 to create" in comment["body"]
    assert "the plan exited with 2" in run.log
    assert [call[:3] for call in run.pip_calls] == [
        ["install", "--require-hashes", "--no-deps"],
        ["install", "--no-deps", "--no-build-isolation"],
    ]
