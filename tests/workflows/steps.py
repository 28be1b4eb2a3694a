"""What people do between two workflow runs: apply from a laptop, edit an offer in Partner
Center, push to a pull request, merge it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tests.support.github_server import GitHubServer
from tests.support.inprocess import run_reconciler_with

from .harness import REPOSITORY, Repository, event, git

if TYPE_CHECKING:
    from reconciler.emulator.server import EmbeddedEmulator


def apply_locally(repo: Repository) -> None:
    """`reconciler apply` from a laptop: the live offers become main's files (no workflow).

    In-process (the command exactly as a shell runs it, with its cwd and environment): the
    point is the live offers it leaves, not the process."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "GITHUB_", "ACTIONS_"))
    }
    code, out, err = run_reconciler_with(
        repo.path,
        env,
        "apply",
        "offers",
        "--auto-approve",
        "--emulator",
        "--emulator-data",
        str(repo.emulator_data),
    )
    assert code == 0, out + err


def live_edit(repo: Repository, name: str, fields: dict[str, Any]) -> None:
    """Someone edits an offer in Partner Center: outside git, between two workflow runs."""
    with _emulator(repo) as emu:
        (offer,) = [o for o in _full_list(emu) if o["name"] == name]
        emu.admin.edit(offer["id"], fields)


@contextmanager
def _emulator(repo: Repository) -> Iterator[EmbeddedEmulator]:
    """The repository's emulator data, served for a moment, listing full offers (not the
    summaries of the emulator's default): their fields are read."""
    from reconciler.emulator.config import EmulatorConfig
    from reconciler.emulator.server import EmbeddedEmulator

    config = EmulatorConfig(
        data_dir=repo.emulator_data, admin=True, static_tokens=True, list_shape="full"
    )
    with EmbeddedEmulator(config) as emu:
        yield emu


def _full_list(emu: EmbeddedEmulator) -> list[dict[str, Any]]:
    import httpx

    page = httpx.get(
        emu.api_url + "/private-offer/query",
        params={"$version": "2023-07-15"},
        headers={"Authorization": "Bearer emulator:publisher"},
    ).json()
    offers: list[dict[str, Any]] = page["privateOffers"]
    return offers


def open_pull_request(
    repo: Repository,
    number: int,
    edits: dict[str, list[tuple[str, str]]],
    *,
    branch: str = "feature",
) -> str:
    """Commit *edits* (file -> [(old, new) text]) on *branch* (made from main); its head sha."""
    if git(repo.path, "branch", "--show-current") != branch:
        exists = git(repo.path, "branch", "--list", branch)
        git(repo.path, "checkout", "-q", *([branch] if exists else ["-b", branch, "main"]))
    for relative, changes in edits.items():
        target = repo.path / relative
        text = target.read_text(encoding="utf-8")
        for old, new in changes:
            assert old in text, f"{relative}: {old!r} not found"
            text = text.replace(old, new, 1)
        target.write_text(text, encoding="utf-8")
    return repo.commit(f"offers: change #{number}")


def pull_request_event(number: int, sha: str, *, head_repo: str = REPOSITORY) -> dict[str, Any]:
    return event(
        "pull_request",
        number=number,
        pull_request__number=number,
        pull_request__head__sha=sha,
        pull_request__head__repo={"full_name": head_repo},
    )


def merge(repo: Repository, branch: str = "feature") -> str:
    """Merge *branch* into main with a merge commit, as GitHub's merge button does."""
    git(repo.path, "checkout", "-q", "main")
    git(repo.path, "merge", "-q", "--no-ff", "-m", "Merge pull request", branch)
    return git(repo.path, "rev-parse", "HEAD")


def merge_pull_request(
    repo: Repository, github: GitHubServer, number: int, head: str, *, branch: str = "feature"
) -> dict[str, Any]:
    """Merge pull request *number* (head commit *head*) as GitHub does; the push event."""
    before = git(repo.path, "rev-parse", "main")
    merge_sha = merge(repo, branch)
    github.issues[number]["state"] = "closed"
    github.issues[number]["_pr"].update(
        merge_commit_sha=merge_sha, merged_at="2025-01-02T00:00:00Z"
    )
    github.issues[number]["_pr"]["head"]["sha"] = head
    github.commit_pulls[merge_sha] = [number]
    return event("push", after=merge_sha, before=before, head_commit__id=merge_sha)


def live_offers(repo: Repository) -> dict[str, dict[str, Any]]:
    """The account's draft and live offers by name, as the emulator keeps them."""
    with _emulator(repo) as emu:
        offers = _full_list(emu)
    return {o["name"]: o for o in offers if o.get("state") in ("draft", "live")}
