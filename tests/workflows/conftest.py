"""Fixtures: an offers repository in git, the GitHub stand-in and the emulator's data folder."""

from __future__ import annotations

import fcntl
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.github_server import GitHubServer

from .harness import REPOSITORY, Repository, new_repository
from .scenarios import CSP, WOODGROVE, MergedAfterReview, PlanSeen, discount
from .steps import (
    apply_locally,
    live_edit,
    merge_pull_request,
    open_pull_request,
    pull_request_event,
)


@pytest.fixture
def github() -> Iterator[GitHubServer]:
    with GitHubServer(repository=REPOSITORY) as server:
        yield server


@pytest.fixture
def repo(tmp_path: Path, github: GitHubServer) -> Repository:
    return new_repository(tmp_path, github, tmp_path / "emulator-data")


@pytest.fixture(scope="session")
def applied_data(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """Emulator data whose live offers are main's files: applied once, copied per test.

    Once per run, not once per worker: the workers of one run share the run's temporary
    folder, and the first to need the data applies it there while the others wait."""
    if worker_id == "master":
        # One process: nothing to share (and the folder's parent is not this run's own).
        return _applied(tmp_path_factory.mktemp("applied"))
    shared = tmp_path_factory.getbasetemp().parent / "applied"
    shared.mkdir(exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (shared / "done").exists():
            return shared / "emulator-data"
        return _applied(shared)


def _applied(base: Path) -> Path:
    with GitHubServer(repository=REPOSITORY) as server:
        seed = new_repository(base, server, base / "emulator-data")
        apply_locally(seed)
    (base / "done").touch()
    return seed.emulator_data


@pytest.fixture
def live_repo(repo: Repository, applied_data: Path) -> Repository:
    """:func:`repo` whose offers are already live, as after its first apply."""
    shutil.copytree(applied_data, repo.emulator_data)
    return repo


@pytest.fixture(scope="session")
def merged_after_review(
    tmp_path_factory: pytest.TempPathFactory, applied_data: Path
) -> Iterator[MergedAfterReview]:
    """One pull request's life on a live repository, for the tests that each read another
    part of it (none changes it): five workflow jobs run once, not once per test. The tests
    that use it run on one worker (tests/support/schedule.py, ``SHARED_RUNS``)."""
    base = tmp_path_factory.mktemp("merged-after-review")
    with GitHubServer(repository=REPOSITORY) as github:
        repo = new_repository(base, github, base / "emulator-data")
        shutil.copytree(applied_data, repo.emulator_data)
        number = github.add_pull(7)
        sha = open_pull_request(repo, number, discount(10, 15))
        run = repo.run("offers-plan.yml", "pull_request", pull_request_event(number, sha))
        first = PlanSeen.after(
            run, github, number, ["1 to republish", WOODGROVE, "discountPercentage: 15"]
        )
        # A second push to the pull request.
        head = open_pull_request(repo, number, discount(15, 20))
        run = repo.run("offers-plan.yml", "pull_request", pull_request_event(number, head))
        second = PlanSeen.after(run, github, number, ["1 to republish", "discountPercentage: 20"])
        # After the review, someone edits another offer in Partner Center.
        live_edit(repo, CSP, {"preparedBy": "someone@contoso.com"})
        push = merge_pull_request(repo, github, number, head)
        applied = repo.run("offers-apply.yml", "push", push)
        yield MergedAfterReview(repo, github, number, first, second, applied)
