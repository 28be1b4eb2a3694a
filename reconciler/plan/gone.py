"""Offer files that went away since the baseline: the live offer stays, unmanaged.

Removing a file never withdraws anything (names are identity, and a plan only acts on the
files it has). Silently, that reads as "No changes" while the offer stays live for
customers; so the plan lists each such file on a line of its own, and says when the file
was renamed (git sees the rename): without a pinned ``id`` the new name is a new offer.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.errors import ReconcilerError
from reconciler.markdown import escape_markdown, inline_code
from reconciler.offers.domain import offer_key, role_types
from reconciler.plan.baseline import BaselineError, _git, git_toplevel
from reconciler.plan.extras import ExtraKind, PlanExtra
from reconciler.plan.inputs import OfferFileLike
from reconciler.plan.records import Record, UnmanagedOffer
from reconciler.settings import Settings

if TYPE_CHECKING:
    from reconciler.offers.loader import OfferFile
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
    cwd = Path.cwd()
    try:
        top = git_toplevel(cwd)
    except BaselineError:
        return []
    dirs = _repository_dirs(cwd, top, folders)
    if not dirs:
        return []
    listed = _git(["ls-tree", "-r", "--name-only", ref, "--", *dirs], top)
    if listed.returncode != 0:
        return []
    history = _History(ref, top, cwd, settings, _renames(ref, top, dirs))
    unmanaged = list(plan.unmanaged)
    current = {(cwd / f.path).resolve() for f in files}
    gone = history.deleted(
        listed.stdout.splitlines(), current, role_types(plan.meta.role), unmanaged
    )
    gone += history.renamed(plan, unmanaged)
    plan.unmanaged[:] = unmanaged
    moved = {old: new for old, new in history.renames.items() if (top / new).resolve() in current}
    if moved:
        plan.extras.append(_moved(moved, top, cwd, files))
    return gone


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

    def _load(self, text: str, shown: str) -> OfferFile | None:
        from reconciler.offers.loader import load_offer_text

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
        for rel in listed:
            absolute = (self.top / rel).resolve()
            if not rel.endswith((".yaml", ".yml")) or absolute in current or absolute.exists():
                continue
            shown = os.path.relpath(absolute, self.cwd)
            old = self._load(_git(["show", f"{self.ref}:{rel}"], self.top).stdout, shown)
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
        for change in plan.changes:
            if change.action != "create" and change.wanted != "create":  # a blocked rename too
                continue
            rel = (self.cwd / change.file).resolve().relative_to(self.top.resolve()).as_posix()
            shown_text = _git(["show", f"{self.ref}:{back.get(rel, rel)}"], self.top)
            if shown_text.returncode != 0:
                continue
            old = self._load(shown_text.stdout, change.file)
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


def _moved(
    moved: dict[str, str], top: Path, cwd: Path, files: Sequence[OfferFileLike]
) -> PlanExtra:
    """Files git sees as renamed whose offer the new file still manages: a line each, since
    the plan itself sees the same offer unchanged and would not mention them at all."""
    names = {(cwd / f.path).resolve(): f.name for f in files}
    md, text = [], []
    for old, new in sorted(moved.items()):
        before = os.path.relpath(top / old, cwd)
        after = os.path.relpath(top / new, cwd)
        name = names.get((top / new).resolve(), "")
        md.append(
            f"- {inline_code(before)} → {inline_code(after)}: **{escape_markdown(name)}**, "
            "the same offer, still managed; the rename changes nothing live"
        )
        text.append(f"{before} → {after}: {name}, the same offer; nothing changes live")
    return PlanExtra(
        kind=ExtraKind.SECTION,
        title="Renamed files",
        markdown="\n".join(md) + "\n",
        text="\n".join(text),
    )
