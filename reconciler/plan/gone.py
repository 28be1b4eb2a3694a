"""Offer files that went away since the baseline: the live offer stays, unmanaged.

Removing a file never withdraws anything (names are identity, and a plan only acts on the
files it has). Silently, that reads as "No changes" while the offer stays live for
customers; so the plan lists each such file on a line of its own, and says when the file
was renamed (git sees the rename): without a pinned ``id`` the new name is a new offer.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.errors import ReconcilerError
from reconciler.offers.domain import offer_key, role_types
from reconciler.plan.baseline import BaselineError, _git, git_toplevel
from reconciler.plan.inputs import OfferFileLike
from reconciler.plan.records import Record
from reconciler.settings import Settings

if TYPE_CHECKING:
    from reconciler.plan.plan import Plan


class GoneFile(Record):
    """A file at the baseline that is no longer there, and the live offer it managed."""

    file: str
    offer_name: str
    offer_id: str | None
    # The live offer's state now, as the API spells it (None: no live offer).
    state: str | None
    renamed_to: str | None = None  # the file git sees as its rename, or "the name '…'"

    @property
    def name_changed(self) -> bool:
        """The file is still there; the offer's name in it changed."""
        return bool(self.renamed_to and self.renamed_to.startswith("the name "))


def _renames(ref: str, top: Path, folders: list[str]) -> dict[str, str]:
    """old path -> new path (repository-relative) as git sees them between *ref* and now."""
    shown = _git(["diff", "-M", "--name-status", ref, "--", *folders], top)
    renames: dict[str, str] = {}
    for line in shown.stdout.splitlines():
        bits = line.split("\t")
        if len(bits) == 3 and bits[0].startswith("R"):
            renames[bits[1]] = bits[2]
    return renames


def find_gone(
    ref: str,
    folders: Sequence[Path],
    files: Sequence[OfferFileLike],
    plan: Plan,
    settings: Settings,
) -> list[GoneFile]:
    """Offer files of the plan's role in *folders* at *ref* that are gone now.

    Each is matched with the unmanaged live offer it managed (by pinned id, else by name);
    that offer moves from ``plan.unmanaged`` to the returned list. Never raises: a plan
    explains removals when git can tell, and is made all the same when it cannot.
    """
    from reconciler.offers.loader import load_offer_text

    cwd = Path.cwd()
    try:
        top = git_toplevel(cwd)
    except BaselineError:
        return []
    dirs = []
    for folder in folders:
        absolute = (cwd / folder).resolve()
        if absolute.is_dir():
            try:
                dirs.append(absolute.relative_to(top.resolve()).as_posix() or ".")
            except ValueError:
                continue
    if not dirs:
        return []
    listed = _git(["ls-tree", "-r", "--name-only", ref, "--", *dirs], top)
    if listed.returncode != 0:
        return []
    current = {(cwd / f.path).resolve() for f in files}
    renames = _renames(ref, top, dirs)
    kinds = role_types(plan.meta.role)
    unmanaged = list(plan.unmanaged)
    gone: list[GoneFile] = []
    for rel in listed.stdout.splitlines():
        absolute = (top / rel).resolve()
        if not rel.endswith((".yaml", ".yml")) or absolute in current or absolute.exists():
            continue
        text = _git(["show", f"{ref}:{rel}"], top).stdout
        shown = os.path.relpath(absolute, cwd)
        try:
            old = load_offer_text(text, shown, settings, strict=False)
        except ReconcilerError:
            continue
        if old.kind not in kinds:
            continue
        match = next(
            (
                u
                for u in unmanaged
                if (old.id and offer_key(u.id) == offer_key(old.id))
                or (not old.id and u.name == old.name)
            ),
            None,
        )
        if match is None:
            continue  # never applied, or its offer is managed by another file (a move)
        unmanaged.remove(match)
        renamed = renames.get(rel)
        gone.append(
            GoneFile(
                file=shown,
                offer_name=old.name,
                offer_id=match.id,
                state=match.state,
                renamed_to=os.path.relpath(top / renamed, cwd) if renamed else None,
            )
        )
    back = {new: old for old, new in renames.items()}
    for change in plan.changes:
        if change.action != "create" and change.wanted != "create":  # a blocked rename too
            continue
        rel = (cwd / change.file).resolve().relative_to(top.resolve()).as_posix()
        shown_text = _git(["show", f"{ref}:{back.get(rel, rel)}"], top)
        if shown_text.returncode != 0:
            continue
        try:
            old = load_offer_text(shown_text.stdout, change.file, settings, strict=False)
        except ReconcilerError:
            continue
        if old.id or old.name == change.offer_name:
            continue
        match = next((u for u in unmanaged if u.name == old.name), None)
        if match is None:
            continue
        unmanaged.remove(match)
        gone.append(
            GoneFile(
                file=change.file,
                offer_name=old.name,
                offer_id=match.id,
                state=match.state,
                renamed_to=f"the name {change.offer_name!r}",
            )
        )
    plan.unmanaged[:] = unmanaged
    return gone
