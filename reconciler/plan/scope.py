"""Which offer files a plan reads: all of them, or only those changed since the baseline.

A pull request that edits 3 files of 5,000 should not read 5,000 offers. With
``plan.scope = "changed"`` and ``--baseline REF``, the plan loads only the offer files git
reports as changed since REF (modified, added, renamed-to, untracked) and reads live state
only for them (:mod:`.targeted`). Everything else is left to the runs that stay full: the
merge-time apply and the scheduled drift run.

Changed means "differs between REF and the working tree", so the files a pull request's
merge commit brings are exactly those; uncommitted local edits count too. Files deleted
since REF are not loaded (removing a file never withdraws anything).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from reconciler.offers.loader import discover_offer_files
from reconciler.plan.baseline import BaselineError, git_toplevel
from reconciler.plan.blobs import BlobReadError, read_at


class Scope(StrEnum):
    """``plan.scope``: what a plan with a baseline reads."""

    ALL = "all"
    CHANGED = "changed"


@dataclass(frozen=True)
class Selection:
    """The offer files a plan loads, out of how many it could have."""

    scope: Scope
    paths: list[Path]
    total: int  # offer files under the plan's paths
    # Why a plan asked to read only the changed files reads them all (None: it was not asked).
    full_because: str | None = None

    @property
    def not_read(self) -> int:
        return self.total - len(self.paths)


def _git_paths(args: list[str], top: Path) -> set[Path]:
    result = subprocess.run(["git", *args], cwd=top, capture_output=True, check=False, timeout=120)
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise BaselineError(f"git {args[0]}: {detail[-1] if detail else 'failed'}")
    # -z: NUL-separated, paths relative to the top level, never quoted
    return {top / p for p in result.stdout.decode("utf-8", "surrogateescape").split("\0") if p}


def changed_since(ref: str, cwd: Path) -> set[Path]:
    """Absolute paths that differ between *ref* and the working tree, plus untracked files."""
    top = git_toplevel(cwd).resolve()
    changed = _git_paths(["diff", "--name-only", "--no-renames", "-z", ref, "--"], top)
    changed |= _git_paths(["ls-files", "-z", "--others", "--exclude-standard"], top)
    return changed


def select_files(paths: Sequence[Path], scope: Scope, baseline: str | None) -> Selection:
    """The files to load for *paths*: all, or (scope changed, with a baseline) the changed ones."""
    found = discover_offer_files(list(paths))
    if scope is Scope.ALL or not baseline:
        return Selection(Scope.ALL, found, len(found))
    cwd = Path.cwd().resolve()
    changed = {os.path.normpath(p) for p in changed_since(baseline, cwd)}
    reason = needs_full(changed, [os.path.normpath(cwd / p) for p in paths], baseline)
    if reason is not None:
        return Selection(Scope.ALL, found, len(found), f"{reason} since {baseline}")
    # A path the user named that does not exist stays, so the loader reports it.
    picked = [p for p in found if os.path.normpath(cwd / p) in changed or not p.exists()]
    return Selection(Scope.CHANGED, picked, len(found))


SETTINGS_FILES = ("reconciler.toml", "pyproject.toml")


def touches_settings(changed: set[str]) -> bool:
    return any(os.path.basename(p) in SETTINGS_FILES for p in changed)


def settings_changed_since(baseline: str) -> bool:
    """Whether a settings file differs between *baseline* and the working tree."""
    try:
        return touches_settings({str(p) for p in changed_since(baseline, Path.cwd())})
    except BaselineError:
        return False


def needs_full(changed: set[str], folders: Sequence[str], baseline: str) -> str | None:
    """Why the changed files alone cannot show what a change does, or None.

    Settings apply to every offer (ignore rules, API versions, ...): a pull request that
    changes them changes offers it does not touch, so its plan reads them all. A removed
    offer file may be a rename whose new name would create a second offer: only the full
    plan sees the live offer it leaves unmanaged.
    """
    if touches_settings(changed):
        return "the settings changed"
    for path in changed:
        if not path.endswith((".yaml", ".yml")) or os.path.exists(path):
            continue
        if any(path == f or path.startswith(f + os.sep) for f in folders):
            return "an offer file was removed or renamed"
    edited = sorted(p for p in changed if p.endswith((".yaml", ".yml")) and os.path.exists(p))
    befores = _at(baseline, edited)
    for path in edited:
        before = befores.get(path)
        now = Path(path).read_text(encoding="utf-8", errors="replace")
        if before is not None and _name(now) != _name(before):
            return "an offer was renamed"
    return None


_NAME = re.compile(r"^name:[ \t]*(.*?)[ \t]*$", re.M)


def _name(text: str) -> str | None:
    """The top-level ``name:`` line's value as written (None: no such line)."""
    found = _NAME.search(text)
    return found.group(1) if found else None


def _at(ref: str, paths: list[str]) -> dict[str, str | None]:
    """Each file at *ref* (None: it did not exist there, a new file is no rename), all read
    by one git process."""
    if not paths:
        return {}
    top = git_toplevel(Path(paths[0]).parent).resolve()
    inside = {p: Path(p).resolve().relative_to(top).as_posix() for p in paths}
    try:
        blobs = read_at(top, ref, inside.values())
    except (OSError, subprocess.SubprocessError, BlobReadError):
        return {}
    texts: dict[str, str | None] = {}
    for path, rel in inside.items():
        blob = blobs[rel]
        texts[path] = None if blob is None else blob.decode("utf-8", "replace")
    return texts
