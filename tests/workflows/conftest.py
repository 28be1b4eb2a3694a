"""Fixtures: an offers repository in git, the GitHub stand-in and the emulator's data folder."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.github_server import GitHubServer

from .harness import REPOSITORY, Repository, new_repository
from .steps import apply_locally


@pytest.fixture
def github() -> Iterator[GitHubServer]:
    with GitHubServer(repository=REPOSITORY) as server:
        yield server


@pytest.fixture
def repo(tmp_path: Path, github: GitHubServer) -> Repository:
    return new_repository(tmp_path, github, tmp_path / "emulator-data")


@pytest.fixture(scope="session")
def applied_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Emulator data whose live offers are main's files: applied once, copied per test."""
    base = tmp_path_factory.mktemp("applied")
    with GitHubServer(repository=REPOSITORY) as server:
        seed = new_repository(base, server, base / "emulator-data")
        apply_locally(seed)
    return seed.emulator_data


@pytest.fixture
def live_repo(repo: Repository, applied_data: Path) -> Repository:
    """:func:`repo` whose offers are already live, as after its first apply."""
    shutil.copytree(applied_data, repo.emulator_data)
    return repo
