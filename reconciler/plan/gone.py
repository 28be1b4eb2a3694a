"""Offer files that went away since the baseline: the live offer stays, unmanaged.

Removing a file never withdraws anything (names are identity, and a plan only acts on the
files it has). Silently, that reads as "No changes" while the offer stays live for
customers; so the plan lists each such file on a line of its own, and says when the file
was renamed (git sees the rename): without a pinned ``id`` the new name is a new offer.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.errors import ReconcilerError
from reconciler.offers.domain import offer_key, role_types
from reconciler.plan.baseline import BaselineError, _git, git_toplevel
from reconciler.plan.blobs import BlobReadError, as_text, read_at
from reconciler.plan.inputs import OfferFileLike
from reconciler.plan.records import GoneFile, UnmanagedOffer
from reconciler.settings import Settings

if TYPE_CHECKING:
    from reconciler.offers.loader import OfferFile
    from reconciler.plan.plan import Plan


def _renames(ref: str, top: Path, folders: list[str]) -> dict[str, str]:
    """old path -> new path (repository-relative) as git sees them between *ref* and now."""
    shown = _git(["diff", "-M", "--name-status", ref, "--", *folders], top)
    renames: dict[str, str] = {}
    for line in shown.stdout.splitlines():
        bits = line.split("\t")
        if len(bits) == 3 and bits[0].startswith("R"):
            renames[bits[1]] = bits[2]
    return renames


@dataclass(frozen=True)
class Gone:
    """What :func:`find_gone` found: removed files, and renamed files still managed."""

    files: list[GoneFile] = field(default_factory=list)
    moved: list[MovedFile] = field(default_factory=list)


def find_gone(
    ref: str,
    folders: Sequence[Path],
    files: Sequence[OfferFileLike],
    plan: Plan,
    settings: Settings,
) -> Gone:
    """Offer files of the plan's role in *folders* at *ref* that are gone now, and the files
    git sees renamed whose offer stays managed.

    Each gone file is matched with the unmanaged live offer it managed (by pinned id, else by
    name); that offer moves from ``plan.unmanaged`` to the returned list. Never raises: a plan
    explains removals when git can tell, and is made all the same when it cannot.
    """
    cwd = Path.cwd()
    try:
        top = git_toplevel(cwd)
    except BaselineError:
        return Gone()
    dirs = _repository_dirs(cwd, top, folders)
    if not dirs:
        return Gone()
    listed = _git(["ls-tree", "-r", "--name-only", ref, "--", *dirs], top)
    if listed.returncode != 0:
        return Gone()
    history = _History(ref, top, cwd, settings, _renames(ref, top, dirs))
    unmanaged = list(plan.unmanaged)
    current = {(cwd / f.path).resolve() for f in files}
    gone = history.deleted(
        listed.stdout.splitlines(), current, role_types(plan.meta.role), unmanaged
    )
    gone += history.renamed(plan, unmanaged)
    plan.unmanaged[:] = unmanaged
    moved = {old: new for old, new in history.renames.items() if (top / new).resolve() in current}
    return Gone(gone, _moved(moved, top, cwd, files))


def _repository_dirs(cwd: Path, top: Path, folders: Sequence[Path]) -> list[str]:
    """The offer folders as paths inside the repository (folders outside it are left out)."""
    dirs = []
    for folder in folders:
        absolute = (cwd / folder).resolve()
        if absolute.is_dir():
            try:
                dirs.append(absolute.relative_to(top.resolve()).as_posix() or ".")
            except ValueError:
                continue
    return dirs


def _take(unmanaged: list[UnmanagedOffer], found: UnmanagedOffer | None) -> UnmanagedOffer | None:
    if found is not None:
        unmanaged.remove(found)
    return found


@dataclass
class _History:
    """The offer files at *ref*, read from git, and what git saw renamed since."""

    ref: str
    top: Path
    cwd: Path
    settings: Settings
    renames: dict[str, str]

    def _read(self, rels: Iterable[str]) -> dict[str, str | None]:
        """The files at the ref, all read by one git process (None: absent, or not UTF-8)."""
        try:
            blobs = read_at(self.top, self.ref, rels)
        except (OSError, subprocess.SubprocessError, BlobReadError):
            return {}
        return {rel: None if blob is None else as_text(blob) for rel, blob in blobs.items()}

    def _load(self, text: str | None, shown: str) -> OfferFile | None:
        from reconciler.offers.loader import load_offer_text

        if text is None:
            return None
        try:
            return load_offer_text(text, shown, self.settings, strict=False)
        except ReconcilerError:
            return None

    def deleted(
        self,
        listed: list[str],
        current: set[Path],
        kinds: frozenset[str],
        unmanaged: list[UnmanagedOffer],
    ) -> list[GoneFile]:
        """Files at *ref* that no longer exist, matched with the live offer each managed."""
        gone: list[GoneFile] = []
        removed = [
            rel
            for rel in listed
            if rel.endswith((".yaml", ".yml"))
            and (self.top / rel).resolve() not in current
            and not (self.top / rel).resolve().exists()
        ]
        texts = self._read(removed)
        for rel in removed:
            shown = os.path.relpath((self.top / rel).resolve(), self.cwd)
            old = self._load(texts.get(rel), shown)
            if old is None or old.kind not in kinds:
                continue
            match = _take(
                unmanaged,
                next(
                    (
                        u
                        for u in unmanaged
                        if (old.id and offer_key(u.id) == offer_key(old.id))
                        or (not old.id and u.name == old.name)
                    ),
                    None,
                ),
            )
            if match is None:
                continue  # never applied, or its offer is managed by another file (a move)
            renamed = self.renames.get(rel)
            gone.append(
                GoneFile(
                    file=shown,
                    offer_name=old.name,
                    offer_id=match.id,
                    state=match.state,
                    renamed_to=os.path.relpath(self.top / renamed, self.cwd) if renamed else None,
                )
            )
        return gone

    def renamed(self, plan: Plan, unmanaged: list[UnmanagedOffer]) -> list[GoneFile]:
        """Creates whose file had another offer name at *ref*: that offer is left behind."""
        back = {new: old for old, new in self.renames.items()}
        gone: list[GoneFile] = []
        creates = [  # a blocked rename too
            c for c in plan.changes if c.action == "create" or c.wanted == "create"
        ]
        before: dict[str, str] = {}  # the file now -> its path at the ref
        for change in creates:
            rel = (self.cwd / change.file).resolve().relative_to(self.top.resolve()).as_posix()
            before[change.file] = back.get(rel, rel)
        texts = self._read(before.values())
        for change in creates:
            old = self._load(texts.get(before[change.file]), change.file)
            if old is None or old.id or old.name == change.offer_name:
                continue
            match = _take(unmanaged, next((u for u in unmanaged if u.name == old.name), None))
            if match is None:
                continue
            gone.append(
                GoneFile(
                    file=change.file,
                    offer_name=old.name,
                    offer_id=match.id,
                    state=match.state,
                    renamed_to=f"the name {change.offer_name!r}",
                )
            )
        return gone


@dataclass(frozen=True)
class MovedFile:
    """A file git sees as renamed whose offer the new file still manages (paths as shown)."""

    before: str
    after: str
    offer_name: str


def _moved(
    moved: dict[str, str], top: Path, cwd: Path, files: Sequence[OfferFileLike]
) -> list[MovedFile]:
    """The renamed files, each with its offer: the plan sees the same offer unchanged and
    would not mention them at all, so the renderers give each a line."""
    names = {(cwd / f.path).resolve(): f.name for f in files}
    return [
        MovedFile(
            os.path.relpath(top / old, cwd),
            os.path.relpath(top / new, cwd),
            names.get((top / new).resolve(), ""),
        )
        for old, new in sorted(moved.items())
    ]
