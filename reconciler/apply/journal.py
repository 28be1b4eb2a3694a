"""The apply journal: what was about to be sent, what was sent, and how each job ended.

One journal per apply run, a JSON-lines file under ``<apply.journal-dir>/journal/``
(default ``.reconciler/journal/``). Every record is appended, flushed and fsync'ed before
apply goes on, so after a crash the file holds at least everything that happened up to
the last completed write. Each line carries its checksum (:mod:`journal_frame`): a torn
last line (the process died, or the disk filled, mid-write) is skipped by readers and cut
off -- with a warning -- before the next record is appended.
Writers from several threads share fsyncs (a group commit): a record is durable when
*some* fsync that started after it was appended has returned, so 32 submitters wait for a
few fsyncs, not for 32 in a row, and no intent is ever sent before it is on disk.

Records (``t`` is the type)::

    open       plan (its full data, bodies in template form), plan checksum, target, endpoint
    intent     req n: [change, step] items, offer names, resourceNames, body digest --
               written BEFORE the configure request is sent
    submitted  req n: job id -- written as soon as the API answered
    refused    req n: the API refused the request outright (it was not accepted)
    ambiguous  req n: the response was lost; accepted true/None and what the client found
    resolved   req n: per item, "applied" | "not-applied" | "moved" after checking the effect
    result     req n: job id, final status/result, per item verdict, durable ids learned
    stale      a change not sent because its live offer moved since the plan
    closed     nothing of this journal is pending any more

Bodies never appear in a journal (the plan in the ``open`` record is already sealed, see
:mod:`reconciler.plan.sealed`: a ``${SAS_URL}`` stays a template, a live secret a reference);
the ``intent`` holds the SHA-256 of the sealed request body, which is enough to tell
requests apart.

:class:`JournalState` replays the records into "what is finished, what is in flight, what
is ambiguous", which is all resume needs. A journal is locked (``flock``) while a run
uses it, so two applies cannot drive the same journal; the lock dies with the process.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import re
import threading
from collections.abc import Iterable
from concurrent.futures import Future
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from reconciler.apply import journal_frame
from reconciler.apply.created import journal_dir as journal_dir
from reconciler.apply.created import read_bytes
from reconciler.apply.journal_state import (
    JOURNAL_VERSION,
    JournalCorrupt,
    JournalState,
    RequestState,
    apply_record,
    journal_id,
    read_state,
)
from reconciler.errors import ReconcilerError
from reconciler.plan.plan import Plan, canonical_json
from reconciler.secrets import redact
from reconciler.state.files import atomic_write, private_dir, why

__all__ = [
    "JOURNAL_VERSION",
    "Journal",
    "JournalCorrupt",
    "JournalInfo",
    "JournalState",
    "RequestState",
    "body_digest",
    "discard",
    "find_journal",
    "journal_dir",
    "journal_id",
    "journal_paths",
    "list_journals",
    "read_state",
]

log = logging.getLogger(__name__)

# The one call that puts record bytes on disk (a seam: tests fill the disk through it).
_write = os.write


def body_digest(resources: list[dict[str, object]]) -> str:
    """SHA-256 of the request body in sealed form (secrets never hashed in clear)."""
    return "sha256:" + hashlib.sha256(canonical_json(resources).encode("utf-8")).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def stamp_epoch(stamp: str | None) -> float:
    """Epoch seconds of a journal's timestamp (0 when unknown or unreadable: long ago, so a
    wait measured from it is over)."""
    if not stamp:
        return 0.0
    try:
        return dt.datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return 0.0


class Journal:
    """An open journal file; append records with :meth:`write`."""

    def __init__(
        self,
        path: Path,
        state: JournalState,
        handle: BinaryIO | None,
        opening: Future[BinaryIO] | None = None,
    ) -> None:
        self.path = path
        self.state = state
        self._handle = handle
        self._opening = opening  # the header still being written (Journal.create)
        self.checksum: str | None = None  # the plan's, when this run computed it already
        self._lock = threading.Lock()  # requests are sent from a thread pool
        self._sync_lock = threading.Lock()
        self._appended = 0  # records appended (and flushed) so far
        self._synced = 0  # records known to be on disk
        self._broken: ReconcilerError | None = None  # set by the first failed write

    # ---- opening ------------------------------------------------------------------------

    @classmethod
    def create(
        cls, directory: Path, plan: Plan, *, target: str, endpoint: str, background: bool = False
    ) -> Journal:
        """A new journal of *plan*. With *background*, its header (the whole plan, often a
        megabyte and an fsync) is written by a thread while the caller goes on: the first
        record written waits for it, so nothing is sent before the header is on disk, and
        the reads of the stale-plan guard overlap the write."""
        private_dir(directory)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        checksum = plan.checksum  # computed once: a serialisation of every change
        path = directory / f"{stamp}-{checksum.removeprefix('sha256:')[:12]}.jsonl"
        state = JournalState(plan=plan, target=target, endpoint=endpoint, created_at=_now())

        def write_header() -> BinaryIO:
            header = {
                "t": "open",
                "v": JOURNAL_VERSION,
                "at": state.created_at,
                "plan_checksum": checksum,
                "target": target,
                "endpoint": endpoint,
                # The plan is stored as planned: its bodies are already in template form
                # (``${TERMS_SIG}`` stays a template), so its checksum still verifies on resume.
                "plan": plan.to_data(),
            }
            text = json.dumps(header, sort_keys=True, ensure_ascii=False)
            atomic_write(path, journal_frame.frame(text).decode("utf-8"))
            return _open_locked(path, create=False)

        if not background:
            journal = cls(path, state, write_header())
            journal.checksum = checksum
            return journal
        opening: Future[BinaryIO] = Future()

        def run() -> None:
            try:
                opening.set_result(write_header())
            except BaseException as exc:  # handed to the first write, in the caller's thread
                opening.set_exception(exc)

        threading.Thread(target=run, name="journal-header", daemon=True).start()
        journal = cls(path, state, None, opening)
        journal.checksum = checksum
        return journal

    def _file(self) -> BinaryIO:
        """The open journal file, once its header is on disk (raises what writing it
        raised)."""
        opening = self._opening
        if opening is not None:
            self._handle = opening.result()
            self._opening = None
        assert self._handle is not None
        return self._handle

    @classmethod
    def open(cls, path: Path) -> Journal:
        """Open an existing journal for more records (locks it; cuts off a torn tail)."""
        handle = _open_locked(path, create=False)
        try:
            _cut_torn_tail(path, handle)
            state = read_state(path)
        except BaseException:
            handle.close()
            raise
        return cls(path, state, handle)

    # ---- writing ------------------------------------------------------------------------

    def write(self, record: dict[str, object], *, sync: bool = True) -> None:
        """Append one record, flushed and fsync'ed before apply goes on.

        ``sync=False`` (a job's result) only flushes: the record survives the process being
        killed at once (it is in the operating system's cache); what a power cut could take
        is re-learned by polling the job again, and the next synced record (a successor's
        intent, the close) puts it on disk first anyway."""
        record.setdefault("at", _now())
        line = redact(json.dumps(record, sort_keys=True, ensure_ascii=False, default=str))
        with self._lock:
            self._append(journal_frame.frame(line))
            self._appended += 1
            mine = self._appended
            apply_record(self.state, json.loads(line))
        if not sync:
            return
        with self._sync_lock:
            if self._synced >= mine:
                return  # another writer's fsync started after this record was flushed
            upto = self._appended  # every record counted here was flushed before the fsync
            try:
                os.fsync(self._file().fileno())
            except OSError as exc:
                raise self._fail(exc) from None
            self._synced = upto

    def _append(self, data: bytes) -> None:
        """Write one framed line whole, or cut the file back to where it was and fail."""
        if self._broken is not None:
            raise self._broken  # one failed write stops the run: nothing is sent unrecorded
        fd = self._file().fileno()
        try:
            start = os.lseek(fd, 0, os.SEEK_END)
        except OSError as exc:
            raise self._fail(exc) from None
        written = 0
        try:
            while written < len(data):
                written += _write(fd, data[written:])
        except OSError as exc:
            with suppress(OSError):  # else the next open cuts it off
                os.ftruncate(fd, start)  # a part of the record may be there: cut it off
            raise self._fail(exc) from None

    def _fail(self, exc: OSError) -> ReconcilerError:
        self._broken = self._error(exc)
        return self._broken

    def _error(self, exc: OSError) -> ReconcilerError:
        return ReconcilerError(
            f"{self.path}: cannot write the apply journal ({why(exc)}); nothing more was sent. "
            "What was sent before is recorded in it: make the journal writable, then run "
            "`reconciler jobs resume` (never `jobs discard` while its jobs may be queued)"
        )

    def close_journal(self, reason: str) -> None:
        if not self.state.closed:
            self.write({"t": "closed", "reason": reason})

    def release(self) -> None:
        """Unlock and close the file (the journal stays on disk)."""
        try:
            handle = self._file()
        except Exception:  # the header was never written: nothing to close
            return
        if not handle.closed:
            # Nothing is buffered (records are written whole): only the descriptor goes.
            with suppress(OSError):
                handle.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _open_locked(path: Path, *, create: bool) -> BinaryIO:
    try:
        # Unbuffered: each record goes to the file in one write, nothing waits in a buffer.
        handle: BinaryIO = path.open("xb" if create else "ab", buffering=0)
    except OSError as exc:
        raise ReconcilerError(f"{path}: cannot open the journal: {exc.strerror}") from None
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise ReconcilerError(
            f"{path}: the journal is in use by another apply (wait for it to finish)"
        ) from None
    return handle


def _cut_torn_tail(path: Path, handle: BinaryIO) -> None:
    """Cut a torn last record off before anything is appended (and say so)."""
    data = read_bytes(path)
    tail = journal_frame.torn_tail(data)
    if tail is None:
        return
    try:
        os.ftruncate(handle.fileno(), tail.keep)
        os.fsync(handle.fileno())
    except OSError as exc:
        raise ReconcilerError(
            f"{path}: cannot cut off the torn last record of the apply journal: {exc.strerror}"
        ) from None
    log.warning(
        "%s: the last record of the apply journal was torn (%d bytes: a run killed or a disk "
        "full mid-write); cut off, the records before it are kept",
        path,
        tail.dropped,
    )


# ---- finding journals -------------------------------------------------------------------

_NAME = re.compile(r"^\d{8}T\d+Z-[0-9a-f]{12}\.jsonl$")


@dataclass
class JournalInfo:
    path: Path
    state: JournalState

    def to_data(self) -> dict[str, Any]:
        reqs = self.state.requests.values()
        return {"id": journal_id(self.path), **self._data(reqs)}

    def _data(self, reqs: Iterable[RequestState]) -> dict[str, object]:
        reqs = list(reqs)
        return {
            "path": str(self.path),
            "created_at": self.state.created_at,
            "plan_checksum": self.state.plan.checksum,
            "target": self.state.target,
            "closed": self.state.closed,
            "closed_reason": self.state.closed_reason,
            "changes": len(self.state.plan.actionable),
            "requests": len(self.state.requests),
            "jobs_in_flight": sorted(r.job_id for r in reqs if r.in_flight and r.job_id),
            "unresolved_requests": sum(1 for r in reqs if r.unresolved),
        }


def journal_paths(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return [p for p in sorted(directory.iterdir()) if _NAME.match(p.name)]


def list_journals(directory: Path, *, include_closed: bool = False) -> list[JournalInfo]:
    """The journals of *directory*; a corrupt one raises :class:`JournalCorrupt`."""
    found = []
    for path in journal_paths(directory):
        state = read_state(path)
        if state.closed and not include_closed:
            continue
        found.append(JournalInfo(path, state))
    return found


def find_journal(directories: list[Path], ident: str) -> Path:
    """The journal file of *ident* (its id as `jobs list` shows it, or its file name)."""
    for directory in directories:
        for path in journal_paths(directory):
            if journal_id(path) == ident or path.name == ident:
                return path
    where = directories[0] if directories else "the journal folder"
    raise ReconcilerError(f"no apply journal {ident!r} in {where} (see `reconciler jobs list`)")


def discard(path: Path) -> Path:
    """Put journal *path* aside (renamed ``*.discarded``, kept as evidence)."""
    aside = path.with_name(path.name + ".discarded")
    try:
        os.replace(path, aside)
    except OSError as exc:
        raise ReconcilerError(f"{path}: cannot put the journal aside: {why(exc)}") from None
    return aside
