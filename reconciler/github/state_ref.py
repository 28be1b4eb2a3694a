"""The state ref over GitHub's Git data API: one JSON file in a commit, moved by compare-and-set.

Writes take three requests (a tree with the file inline, a commit, the ref); reads four
(ref, commit, tree, blob), and are needed only when the lock is contended or taken over.
GitHub answers 422 both to creating a ref that exists and to a non-fast-forward update:
both become :class:`reconciler.state.remote.RefConflict`.
"""

from __future__ import annotations

import base64
from typing import Any

from reconciler.errors import GitHubError
from reconciler.github.client import GitHubClient
from reconciler.state.remote import RefConflict

FILE = "state.json"


class GitHubRefStore:
    """:class:`reconciler.state.remote.RefStore` on one repository's Git data API."""

    def __init__(self, client: GitHubClient, repository: str) -> None:
        self.client = client
        self.repository = repository
        self._base = f"repos/{repository}/git"

    def _json(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = self.client.request(method, f"{self._base}/{path}", json=body)
        except GitHubError as exc:
            if exc.status == 422:
                raise RefConflict(exc.message) from None
            raise
        return response.json() if response.content else None

    def read(self, ref: str) -> tuple[str, str] | None:
        try:
            found = self._json("GET", f"ref/{ref.removeprefix('refs/')}")
        except GitHubError as exc:
            if exc.status == 404:
                return None
            raise
        sha = str(found["object"]["sha"])
        commit = self._json("GET", f"commits/{sha}")
        tree = self._json("GET", f"trees/{commit['tree']['sha']}")
        for entry in tree.get("tree", []):
            if entry.get("path") == FILE:
                blob = self._json("GET", f"blobs/{entry['sha']}")
                return sha, base64.b64decode(blob["content"]).decode("utf-8")
        return sha, ""

    def _commit(self, text: str, parents: list[str]) -> str:
        entry = {"path": FILE, "mode": "100644", "type": "blob", "content": text}
        tree = self._json("POST", "trees", {"tree": [entry]})
        message = "reconciler apply state"
        commit = self._json(
            "POST", "commits", {"message": message, "tree": tree["sha"], "parents": parents}
        )
        return str(commit["sha"])

    def create(self, ref: str, text: str) -> str:
        sha = self._commit(text, [])
        self._json("POST", "refs", {"ref": ref, "sha": sha})
        return sha

    def update(self, ref: str, text: str, parent: str) -> str:
        sha = self._commit(text, [parent])
        self._json("PATCH", f"refs/{ref.removeprefix('refs/')}", {"sha": sha, "force": False})
        return sha

    def delete(self, ref: str) -> None:
        self._json("DELETE", f"refs/{ref.removeprefix('refs/')}")
