"""The offer files as they were at a git ref: the "why" of each field change.

With ``--baseline REF`` (in a pull request: the base commit) each differing field is
classified by comparing three values -- desired (the file now), live, and baseline (the
file at REF):

* desired != baseline and live == baseline -> ``git``  (the change is what the PR proposes)
* desired == baseline and live != baseline -> ``live`` (someone changed it outside git)
* both differ                                -> ``both``
* no baseline at all                         -> ``unknown``

A file that did not exist at REF is new in git, so its fields are ``git``. A file that
cannot be read or validated at REF (an older format, an unset ``${VAR}``) has no baseline
and its fields stay ``unknown`` -- the baseline explains a plan, it never fails one.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from reconciler.errors import OfferFilesInvalid, ReconcilerError
from reconciler.plan.blobs import BlobReadError, as_text, read_at
from reconciler.settings import Settings


class HasPath(Protocol):
    @property
    def path(self) -> Path: ...


class BaselineError(ReconcilerError):
    """The baseline ref cannot be read (not a git checkout, unknown ref)."""


@dataclass
class Baseline:
    ref: str
    # file path (as in OfferFile.path) -> the api_body() at REF, or None when absent at REF
    bodies: dict[str, dict[str, object] | None] = field(default_factory=dict)
    unreadable: set[str] = field(default_factory=set)

    def has(self, path: str) -> bool:
        return path in self.bodies and path not in self.unreadable


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60
    )


def git_toplevel(cwd: Path) -> Path:
    result = _git(["rev-parse", "--show-toplevel"], cwd)
    if result.returncode != 0:
        raise BaselineError(f"--baseline needs a git checkout: {cwd} is not inside one")
    return Path(result.stdout.strip())


def git_sha(cwd: Path, ref: str = "HEAD") -> str | None:
    """The commit sha of *ref*, or None outside a git checkout (plans work without git)."""
    try:
        result = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


def load_baseline(ref: str, files: Sequence[HasPath], settings: Settings) -> Baseline:
    """Read every file of *files* at *ref* (one git process) through ``load_offer_text``."""
    cwd = Path.cwd()
    top = git_toplevel(cwd)
    sha = git_sha(top, ref)
    if sha is None:
        raise BaselineError(f"--baseline {ref!r}: not a commit in {top}")
    baseline = Baseline(ref=ref)
    where: dict[str, str] = {}  # file path -> repository-relative path
    for offer_file in files:
        key = str(offer_file.path)
        baseline.bodies[key] = None  # filled in below; the files keep their order
        try:
            where[key] = (cwd / offer_file.path).resolve().relative_to(top.resolve()).as_posix()
        except ValueError:
            baseline.unreadable.add(key)
    try:
        blobs = read_at(top, sha, where.values())
    except (OSError, subprocess.SubprocessError, BlobReadError) as err:
        raise BaselineError(f"--baseline {ref!r}: cannot read the files at it: {err}") from err
    for key, rel in where.items():
        blob = blobs[rel]
        if blob is None:
            continue  # new since REF
        body = _body(as_text(blob), key, settings)
        baseline.bodies[key] = body
        if body is None:
            baseline.unreadable.add(key)
    return baseline


def _body(text: str | None, key: str, settings: Settings) -> dict[str, object] | None:
    """The api_body() of an offer file's text at the ref; None: not UTF-8, or not valid."""
    from reconciler.offers.loader import load_offer_text

    if text is None:
        return None
    try:
        # not strict: a baseline explains a plan; past dates there must not hide it
        return dict(load_offer_text(text, key, settings, strict=False).api_body())
    except OfferFilesInvalid:
        return None
