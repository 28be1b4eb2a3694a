"""action.yml, run as a user's workflow runs it: `uses: OWNER/offer-reconciler@SHA`."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from tests.support.github_server import GitHubServer

from .harness import HERE, ROOT, Repository, action_source, load_yaml
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
    # The pinned release from PyPI, never the action's checkout.
    assert run.pip_calls[0][:3] == ["install", "--require-hashes", "--no-deps"]
    assert run.pip_calls[1] == [
        "install",
        "--no-deps",
        "--only-binary=:all:",
        f"offer-reconciler=={pinned_release()}",
    ]
    assert len(run.pip_calls) == 2


def pinned_release() -> str:
    action = load_yaml(ROOT / "action.yml")
    (install,) = [s for s in action["runs"]["steps"] if s["name"] == "Install the reconciler"]
    return str(install["env"]["RECONCILER_VERSION"])


def test_the_action_pins_the_version_this_source_releases() -> None:
    # A release tags this commit: the action then installs exactly the wheel built from it.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pinned_release() == project["project"]["version"]
