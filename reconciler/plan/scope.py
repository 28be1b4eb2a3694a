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
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from reconciler.offers.loader import discover_offer_files
from reconciler.plan.baseline import BaselineError, git_toplevel


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
    # A path the user named that does not exist stays, so the loader reports it.
    picked = [p for p in found if os.path.normpath(cwd / p) in changed or not p.exists()]
    return Selection(Scope.CHANGED, picked, len(found))
