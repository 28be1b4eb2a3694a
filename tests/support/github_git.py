"""The GitHub stand-in's Git data API: blobs, trees, commits and refs with GitHub's semantics.

What the state backend relies on, as GitHub documents it:

* ``POST git/blobs`` (``content`` + ``encoding`` utf-8|base64), ``GET git/blobs/{sha}``
  (content always base64);
* ``POST git/trees`` (entries with a blob ``sha`` or inline ``content``), ``GET git/trees/{sha}``;
* ``POST git/commits`` (``message``, ``tree``, ``parents``), ``GET git/commits/{sha}``;
* ``GET git/ref/{ref}`` (404 when absent), ``POST git/refs`` (422 "Reference already
  exists"), ``PATCH git/refs/{ref}`` (``force: false``: 422 "Update is not a fast forward"
  unless the current commit is an ancestor of the new one), ``DELETE git/refs/{ref}`` (204).

Objects are content-addressed (SHA-1 of a canonical form), so equal content has equal ids.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Answer = tuple[int, Any]


@dataclass
class GitStore:
    """The objects and refs of the stand-in's one repository."""

    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    commits: dict[str, dict[str, Any]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # "refs/..." -> commit sha
    # Called (once each) before a matching request is handled: lets a test play a second
    # writer at an exact moment, e.g. move a ref between another client's read and write.
    before: list[tuple[str, re.Pattern[str], Callable[[], None]]] = field(default_factory=list)

    @staticmethod
    def _sha(kind: str, data: Any) -> str:
        text = json.dumps(data, sort_keys=True)
        return hashlib.sha1(f"{kind}\0{text}".encode()).hexdigest()

    def put_blob(self, data: bytes) -> str:
        sha = hashlib.sha1(b"blob\0" + data).hexdigest()
        self.blobs[sha] = data
        return sha

    def put_tree(self, entries: list[dict[str, Any]]) -> str:
        sha = self._sha("tree", entries)
        self.trees[sha] = entries
        return sha

    def put_commit(self, message: str, tree: str, parents: list[str]) -> str:
        commit = {
            "message": message,
            "tree": {"sha": tree},
            "parents": [{"sha": p} for p in parents],
        }
        sha = self._sha("commit", [commit, len(self.commits)])
        self.commits[sha] = {"sha": sha, **commit}
        return sha

    def ancestors(self, sha: str) -> set[str]:
        seen: set[str] = set()
        todo = [sha]
        while todo:
            current = todo.pop()
            if current in seen or current not in self.commits:
                continue
            seen.add(current)
            todo.extend(p["sha"] for p in self.commits[current]["parents"])
        return seen

    def text_of(self, ref: str, path: str = "state.json") -> str | None:
        """The file *path* in the commit *ref* points at (for assertions)."""
        sha = self.refs.get(ref)
        if sha is None:
            return None
        tree = self.trees[self.commits[sha]["tree"]["sha"]]
        for entry in tree:
            if entry["path"] == path:
                return self.blobs[entry["sha"]].decode("utf-8")
        return None


def _ref_body(store: GitStore, base: str, ref: str) -> dict[str, Any]:
    sha = store.refs[ref]
    return {
        "ref": ref,
        "url": f"{base}/git/refs/{ref[5:]}",
        "object": {"sha": sha, "type": "commit"},
    }


def _unprocessable(message: str) -> Answer:
    return 422, {"message": message, "documentation_url": "https://docs.github.com/rest/git/refs"}


def answer(
    store: GitStore, method: str, rest: str, body: dict[str, Any], base: str
) -> Answer | None:
    """The answer to ``/repos/{o}/{r}{rest}`` when it is a Git data call, else None."""
    if not rest.startswith("/git/"):
        return None
    for i, (m, pattern, action) in enumerate(store.before):
        if m == method and pattern.search(rest):
            del store.before[i]
            action()
            break
    if rest == "/git/blobs" and method == "POST":
        raw = str(body.get("content", ""))
        data = base64.b64decode(raw) if body.get("encoding") == "base64" else raw.encode()
        return 201, {"sha": store.put_blob(data)}
    if m := re.fullmatch(r"/git/blobs/([0-9a-f]{40})", rest):
        blob = store.blobs.get(m.group(1))
        if blob is None:
            return 404, {"message": "Not Found"}
        content = base64.encodebytes(blob).decode("ascii")
        return 200, {"sha": m.group(1), "content": content, "encoding": "base64", "size": len(blob)}
    if rest == "/git/trees" and method == "POST":
        entries = []
        for entry in body.get("tree", []):
            if "content" in entry:
                sha = store.put_blob(str(entry["content"]).encode())
            elif entry.get("sha") in store.blobs:
                sha = entry["sha"]
            else:
                return _unprocessable("tree.sha is not a valid blob")
            entries.append(
                {
                    "path": entry["path"],
                    "mode": entry.get("mode", "100644"),
                    "type": "blob",
                    "sha": sha,
                }
            )
        return 201, {"sha": store.put_tree(entries), "tree": entries}
    if m := re.fullmatch(r"/git/trees/([0-9a-f]{40})", rest):
        tree = store.trees.get(m.group(1))
        return (
            (404, {"message": "Not Found"})
            if tree is None
            else (200, {"sha": m.group(1), "tree": tree})
        )
    if rest == "/git/commits" and method == "POST":
        tree_sha = str(body.get("tree", ""))
        parents = [str(p) for p in body.get("parents", [])]
        if tree_sha not in store.trees or any(p not in store.commits for p in parents):
            return _unprocessable("Tree SHA does not exist")
        return 201, store.commits[store.put_commit(str(body.get("message", "")), tree_sha, parents)]
    if m := re.fullmatch(r"/git/commits/([0-9a-f]{40})", rest):
        commit = store.commits.get(m.group(1))
        return (404, {"message": "Not Found"}) if commit is None else (200, commit)
    if m := re.fullmatch(r"/git/ref/(.+)", rest):
        ref = "refs/" + m.group(1)
        return (
            (200, _ref_body(store, base, ref))
            if ref in store.refs
            else (404, {"message": "Not Found"})
        )
    if rest == "/git/refs" and method == "POST":
        ref, sha = str(body.get("ref", "")), str(body.get("sha", ""))
        if not ref.startswith("refs/") or ref.count("/") < 2:
            return _unprocessable("Reference name is invalid")
        if sha not in store.commits:
            return _unprocessable("Object does not exist")
        if ref in store.refs:
            return _unprocessable("Reference already exists")
        store.refs[ref] = sha
        return 201, _ref_body(store, base, ref)
    if m := re.fullmatch(r"/git/refs/(.+)", rest):
        ref = "refs/" + m.group(1)
        if ref not in store.refs:
            return _unprocessable("Reference does not exist")
        if method == "DELETE":
            del store.refs[ref]
            return 204, None
        if method == "PATCH":
            sha = str(body.get("sha", ""))
            if sha not in store.commits:
                return _unprocessable("Object does not exist")
            if not body.get("force") and store.refs[ref] not in store.ancestors(sha):
                return _unprocessable("Update is not a fast forward")
            store.refs[ref] = sha
            return 200, _ref_body(store, base, ref)
    return 404, {"message": "Not Found"}
