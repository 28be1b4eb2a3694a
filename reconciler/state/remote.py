"""The ``github`` state backend: the apply lock and the open journal in a ref of the repository.

Like Terraform's remote backends, the lock is an atomic primitive of the server, here
GitHub's Git data API used as a compare-and-set store (:class:`RefStore`, implemented over
the REST API in :mod:`reconciler.github.state_ref`):

* acquire = create the ref ``refs/reconciler/state-<key>`` (GitHub answers 422 when it
  exists: the lock is held, its holder is read from the ref and shown);
* every write = a commit whose parent is the commit read, then a ref update without
  ``force`` (422 when someone else wrote in between: this run stops, nothing is sent);
* release = delete the ref, but only when no jobs are left open. A run that ends with jobs
  still running (exit 6) or crashes leaves the ref with ``open_jobs`` set and the open
  journals inside, so a fresh runner -- empty state directory, no ``.reconciler/`` --
  takes the lock over (compare-and-set again), restores those journals and follows their
  jobs instead of sending the same changes again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ValidationError

from reconciler.errors import ReconcilerError
from reconciler.state.backend import LockInfo, wait_for_lock
from reconciler.state.files import atomic_write, private_dir
from reconciler.state.lock import new_info, state_key

DOCUMENT_VERSION = 1


class RefConflict(ReconcilerError):
    """The ref exists (on create) or moved since it was read (on update)."""


class StateDocument(BaseModel):
    """What the state ref holds: who holds the lock, and the journals still open."""

    version: int = DOCUMENT_VERSION
    owner: LockInfo
    journals: dict[str, str] = {}  # journal file name -> its JSON-lines text


class RefStore(Protocol):
    """A ref holding one document, written with compare-and-set."""

    def read(self, ref: str) -> tuple[str, str] | None:
        """(commit sha, document text) of *ref*, None when the ref does not exist."""

    def create(self, ref: str, text: str) -> str:
        """Create *ref* on a new commit holding *text*; :class:`RefConflict` if it exists."""

    def update(self, ref: str, text: str, parent: str) -> str:
        """A commit on *parent* holding *text*; :class:`RefConflict` unless a fast-forward."""

    def delete(self, ref: str) -> None:
        """Delete *ref*."""


def state_ref(target: str, account: str) -> str:
    return f"refs/reconciler/state-{state_key(target, account)}"


class GitHubLock:
    """The ``github`` backend's lock of one service and account (see the module doc)."""

    def __init__(
        self,
        store: RefStore,
        *,
        target: str,
        account: str,
        journal_dir: Path,
        open_journals: Callable[[], list[Path]],
        where: str = "the repository",
    ) -> None:
        self.store = store
        self.ref = state_ref(target, account)
        self.target = target
        self.account = account
        self.journal_dir = journal_dir
        self.open_journals = open_journals
        self.where = where
        self.commit: str | None = None  # the commit this run last wrote (the CAS base)
        self.info: LockInfo | None = None
        self.previous: LockInfo | None = None  # a holder that left jobs open

    def _read(self) -> tuple[str, StateDocument] | None:
        found = self.store.read(self.ref)
        if found is None:
            return None
        sha, text = found
        try:
            return sha, StateDocument.model_validate_json(text)
        except ValidationError:
            raise ReconcilerError(
                f"the state ref {self.ref} in {self.where} does not hold a state document; "
                f"delete it once no apply runs (git push origin :{self.ref})"
            ) from None

    def read_info(self) -> LockInfo | None:
        found = self._read()
        return None if found is None else found[1].owner

    def held(self) -> bool:
        info = self.read_info()
        return info is not None and not info.open_jobs

    def acquire(
        self,
        *,
        timeout: float = 0.0,
        on_wait: Callable[[LockInfo | None], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> LockInfo:
        """Create the ref, or take it over from a run that left jobs open; else wait/raise."""
        info = new_info(self.target, self.account)

        def held(holder: LockInfo | None) -> str:
            what = holder.describe() if holder else "another apply"
            return (
                f"the state of {self.target} is locked: {what} "
                f"(ref {self.ref} in {self.where}). Wait for it (--lock-timeout SECONDS), "
                "or see `reconciler lock status`"
            )

        wait_for_lock(
            lambda: self._attempt(info),
            timeout=timeout,
            held_message=held,
            on_wait=on_wait,
            clock=clock,
            sleep=sleep,
            poll=1.0,
        )
        self.info = info
        return info

    def _attempt(self, info: LockInfo) -> tuple[bool, LockInfo | None]:
        """Create the ref, or take over one left with open jobs; else name its holder."""
        while True:
            try:
                self.commit = self.store.create(self.ref, _text(StateDocument(owner=info)))
                return True, None
            except RefConflict:
                pass
            found = self._read()
            if found is None:
                continue  # released in between: create again
            sha, document = found
            if not document.owner.open_jobs:
                return False, document.owner
            taken = StateDocument(owner=info, journals=document.journals)
            try:
                self.commit = self.store.update(self.ref, _text(taken), parent=sha)
            except RefConflict:
                continue  # another runner took it over first: read who
            self.previous = document.owner
            self._restore(document.journals)
            return True, None

    def _restore(self, journals: dict[str, str]) -> None:
        """Put the previous run's open journals where apply looks for them (never overwrite)."""
        for name, text in journals.items():
            if "/" in name or name.startswith("."):
                raise ReconcilerError(f"the state ref {self.ref} names a bad journal: {name!r}")
            path = self.journal_dir / name
            if not path.exists():
                private_dir(self.journal_dir)
                atomic_write(path, text)

    def release(self, *, open_jobs: bool = False) -> None:
        """Delete the ref; with *open_jobs*, write the open journals into it instead."""
        if self.commit is None or self.info is None:
            return
        base, self.commit = self.commit, None
        if not open_jobs:
            self.store.delete(self.ref)
            return
        journals = {p.name: p.read_text(encoding="utf-8") for p in self.open_journals()}
        left = StateDocument(
            owner=self.info.model_copy(update={"open_jobs": True}), journals=journals
        )
        try:
            self.store.update(self.ref, _text(left), parent=base)
        except RefConflict:
            raise ReconcilerError(
                f"the state ref {self.ref} was changed by someone else while this apply held "
                "it; its open jobs are in the local journal (`reconciler jobs list`)"
            ) from None

    def force_release(self, lock_id: str) -> LockInfo:
        """Delete the ref of lock *lock_id* (exact id only, as `terraform force-unlock`)."""
        info = self.read_info()
        if info is None or info.id != lock_id:
            current = info.id if info else "none"
            raise ReconcilerError(f"no lock {lock_id!r} here (current lock: {current})")
        self.store.delete(self.ref)
        return info


def _text(document: StateDocument) -> str:
    return document.model_dump_json(indent=2) + "\n"
