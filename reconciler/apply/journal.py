"""The apply journal: what was about to be sent, what was sent, and how each job ended.

One journal per apply run, a JSON-lines file under ``<apply.journal-dir>/journal/``
(default ``.reconciler/journal/``). Every record is appended, flushed and fsync'ed before
apply goes on, so after a crash the file holds at least everything that happened up to
the last completed write; a torn last line (the process died mid-write) is ignored.
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
import os
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from reconciler.apply import journal_records as jr
from reconciler.apply.journal_records import Item
from reconciler.errors import ReconcilerError
from reconciler.plan.plan import Plan, canonical_json
from reconciler.secrets import redact
from reconciler.settings import Settings
from reconciler.state.files import atomic_write, private_dir

JOURNAL_VERSION = 2


def journal_dir(settings: Settings) -> Path:
    return settings.root / settings.apply.journal_dir / "journal"


def body_digest(resources: list[dict[str, Any]]) -> str:
    """SHA-256 of the request body in sealed form (secrets never hashed in clear)."""
    return "sha256:" + hashlib.sha256(canonical_json(resources).encode("utf-8")).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


@dataclass
class RequestState:
    """One configure request as the journal knows it."""

    req: int
    items: list[Item]
    offers: list[str]
    sent_etags: dict[int, str | None] = field(default_factory=dict)  # change index -> eTag sent
    # change index -> ids of the offers with the create's name listed right before the POST
    # (the only base on which a lost create's effect can be proven; see apply.effect)
    before: dict[int, list[str]] = field(default_factory=dict)
    at: str | None = None  # when the intent was written (ISO 8601, UTC)
    job_id: str | None = None
    refused: str | None = None
    ambiguous: bool = False
    accepted: bool | None = None
    found: list[dict[str, Any]] = field(default_factory=list)
    resolved: dict[Item, str] = field(default_factory=dict)
    result: dict[str, Any] | None = None

    @property
    def in_flight(self) -> bool:
        """Sent with a job id, final result not recorded yet."""
        return self.job_id is not None and self.result is None

    @property
    def unresolved(self) -> bool:
        """Sent (maybe) but neither a job id nor a refusal nor a resolution is known."""
        return (
            self.job_id is None
            and self.refused is None
            and self.result is None
            and not self.resolved
            # a lost answer whose effect was found counts as applied (see verdicts)
            and not (self.ambiguous and self.accepted)
        )


@dataclass
class JournalState:
    plan: Plan
    target: str
    endpoint: str
    created_at: str
    requests: dict[int, RequestState] = field(default_factory=dict)
    stale: dict[int, str] = field(default_factory=dict)  # change index -> reason
    closed: bool = False
    closed_reason: str | None = None

    def verdicts(self) -> dict[Item, tuple[str, RequestState]]:
        """The latest verdict per (change, step): succeeded/failed/cancelled from job
        results, applied/not-applied/moved from resolutions, refused, in-flight, unresolved."""
        out: dict[Item, tuple[str, RequestState]] = {}
        for req in sorted(self.requests.values(), key=lambda r: r.req):
            for item in req.items:
                if req.result is not None:
                    verdicts = {(int(c), int(s)): str(v) for c, s, v in req.result.get("items", [])}
                    out[item] = (verdicts.get(item, "failed"), req)
                elif req.refused is not None:
                    out[item] = ("refused", req)
                elif item in req.resolved:
                    out[item] = (req.resolved[item], req)
                elif req.job_id is not None:
                    out[item] = ("in-flight", req)
                elif req.ambiguous and req.accepted:
                    out[item] = ("applied", req)
                else:
                    out[item] = ("unresolved", req)
        return out

    @property
    def next_req(self) -> int:
        return max(self.requests, default=0) + 1

    def pending(self) -> bool:
        return any(r.in_flight or r.unresolved for r in self.requests.values())


class Journal:
    """An open journal file; append records with :meth:`write`."""

    def __init__(self, path: Path, state: JournalState, handle: IO[str]) -> None:
        self.path = path
        self.state = state
        self._handle = handle
        self._lock = threading.Lock()  # requests are sent from a thread pool
        self._sync_lock = threading.Lock()
        self._appended = 0  # records appended (and flushed) so far
        self._synced = 0  # records known to be on disk

    # ---- opening ------------------------------------------------------------------------

    @classmethod
    def create(cls, directory: Path, plan: Plan, *, target: str, endpoint: str) -> Journal:
        private_dir(directory)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        short = plan.checksum.removeprefix("sha256:")[:12]
        path = directory / f"{stamp}-{short}.jsonl"
        state = JournalState(plan=plan, target=target, endpoint=endpoint, created_at=_now())
        header = {
            "t": "open",
            "v": JOURNAL_VERSION,
            "at": state.created_at,
            "plan_checksum": plan.checksum,
            "target": target,
            "endpoint": endpoint,
            # The plan is stored as planned: its bodies are already in template form
            # (``${TERMS_SIG}`` stays a template), so its checksum still verifies on resume.
            "plan": plan.to_data(),
        }
        atomic_write(path, json.dumps(header, sort_keys=True, ensure_ascii=False) + "\n")
        handle = _open_locked(path, create=False)
        return cls(path, state, handle)

    @classmethod
    def open(cls, path: Path) -> Journal:
        """Open an existing journal for more records (locks it)."""
        handle = _open_locked(path, create=False)
        try:
            state = read_state(path)
        except BaseException:
            handle.close()
            raise
        return cls(path, state, handle)

    # ---- writing ------------------------------------------------------------------------

    def write(self, record: dict[str, Any], *, sync: bool = True) -> None:
        """Append one record, flushed and fsync'ed before apply goes on.

        ``sync=False`` (a job's result) only flushes: the record survives the process being
        killed at once (it is in the operating system's cache); what a power cut could take
        is re-learned by polling the job again, and the next synced record (a successor's
        intent, the close) puts it on disk first anyway."""
        record.setdefault("at", _now())
        line = redact(json.dumps(record, sort_keys=True, ensure_ascii=False, default=str))
        with self._lock:
            try:
                self._handle.write(line + "\n")
                self._handle.flush()
            except OSError as exc:
                raise self._error(exc) from None
            self._appended += 1
            mine = self._appended
            _apply_record(self.state, json.loads(line))
        if not sync:
            return
        with self._sync_lock:
            if self._synced >= mine:
                return  # another writer's fsync started after this record was flushed
            upto = self._appended  # every record counted here was flushed before the fsync
            try:
                os.fsync(self._handle.fileno())
            except OSError as exc:
                raise self._error(exc) from None
            self._synced = upto

    def _error(self, exc: OSError) -> ReconcilerError:
        return ReconcilerError(f"{self.path}: cannot write the journal: {exc.strerror}")

    def close_journal(self, reason: str) -> None:
        if not self.state.closed:
            self.write({"t": "closed", "reason": reason})

    def release(self) -> None:
        """Unlock and close the file (the journal stays on disk)."""
        if not self._handle.closed:
            self._handle.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _open_locked(path: Path, *, create: bool) -> IO[str]:
    try:
        handle = path.open("x" if create else "a", encoding="utf-8")
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


# ---- reading ----------------------------------------------------------------------------


def _records(path: Path) -> Iterable[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except OSError as exc:
        raise ReconcilerError(f"{path}: cannot read the journal: {exc.strerror}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            if number >= len(lines) - 1:
                continue  # torn last write of a killed process: it never completed
            raise JournalCorrupt(path, f"line {number} is not a complete record") from None
        if not isinstance(record, dict):
            raise JournalCorrupt(path, f"line {number} is not a record")
        yield record


class JournalCorrupt(ReconcilerError):
    """A journal that cannot be read; names the command that puts it aside."""

    def __init__(self, path: Path, why: str) -> None:
        self.path = path
        super().__init__(
            f"{path}: the apply journal is corrupt or partly written ({why}). Check the live "
            f"offers (`reconciler plan`), then put it aside with "
            f"`reconciler jobs discard {journal_id(path)}` and apply again"
        )


def journal_id(path: Path) -> str:
    """The id `jobs discard` and `jobs resume` take: the file name without its suffix."""
    return path.name.removesuffix(".jsonl")


def read_state(path: Path) -> JournalState:
    """Replay a journal file; any damage is a :class:`JournalCorrupt`, never a traceback."""
    state: JournalState | None = None
    try:
        for record in _records(path):
            if record.get("t") == "open":
                if record.get("v") != JOURNAL_VERSION:
                    raise JournalCorrupt(path, f"unsupported journal version {record.get('v')!r}")
                opened = jr.OpenRecord.model_validate(record)
                state = JournalState(
                    plan=Plan.from_data(opened.plan),
                    target=opened.target,
                    endpoint=opened.endpoint,
                    created_at=opened.at or "",
                )
            elif state is not None:
                _apply_record(state, record)
    except JournalCorrupt:
        raise
    except ValidationError as exc:
        raise JournalCorrupt(path, f"unreadable record: {_first_error(exc)}") from None
    except (ReconcilerError, KeyError, ValueError, TypeError, AttributeError) as exc:
        raise JournalCorrupt(path, f"unreadable record: {type(exc).__name__}: {exc}") from None
    if state is None:
        raise JournalCorrupt(path, "no open record")
    return state


def _first_error(exc: ValidationError) -> str:
    first = exc.errors(include_url=False)[0]
    return f"{'.'.join(str(part) for part in first['loc'])}: {first['msg']}"


def _apply_record(state: JournalState, data: dict[str, Any]) -> None:
    if data.get("t") not in jr.KINDS:
        return  # a record type of a newer reconciler: nothing resume needs
    record = jr.RECORD.validate_python(data)
    req_no: int | None = getattr(record, "req", None)
    req = state.requests.get(req_no) if req_no is not None else None
    if isinstance(record, jr.IntentRecord):
        state.requests[record.req] = RequestState(
            req=record.req,
            items=list(record.items),
            offers=list(record.offers),
            sent_etags=dict(record.etags),
            before={k: list(v) for k, v in record.before.items()},
            at=record.at,
        )
    elif isinstance(record, jr.SubmittedRecord) and req is not None:
        req.job_id = record.job_id
    elif isinstance(record, jr.RefusedRecord) and req is not None:
        req.refused = record.error
    elif isinstance(record, jr.AmbiguousRecord) and req is not None:
        req.ambiguous = True
        req.accepted = record.accepted
        req.found = list(record.found)
    elif isinstance(record, jr.ResolvedRecord) and req is not None:
        for c, s, verdict in record.items:
            req.resolved[(c, s)] = verdict.value
    elif isinstance(record, jr.ResultRecord) and req is not None:
        # Kept as written: resume reads the ids and eTags it learned by change index.
        req.result = data
        if record.job_id:
            req.job_id = record.job_id
    elif isinstance(record, jr.StaleRecord):
        state.stale[record.change] = record.reason
    elif isinstance(record, jr.ClosedRecord):
        state.closed = True
        state.closed_reason = record.reason


# ---- finding journals -------------------------------------------------------------------

_NAME = re.compile(r"^\d{8}T\d+Z-[0-9a-f]{12}\.jsonl$")


@dataclass
class JournalInfo:
    path: Path
    state: JournalState

    def to_data(self) -> dict[str, Any]:
        reqs = self.state.requests.values()
        return {"id": journal_id(self.path), **self._data(reqs)}

    def _data(self, reqs: Iterable[RequestState]) -> dict[str, Any]:
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


def discard(directory: Path, ident: str) -> Path:
    """Put journal *ident* aside (renamed ``*.discarded``, kept as evidence)."""
    for path in journal_paths(directory):
        if journal_id(path) == ident or path.name == ident:
            aside = path.with_name(path.name + ".discarded")
            os.replace(path, aside)
            return aside
    raise ReconcilerError(f"no apply journal {ident!r} in {directory} (see `reconciler jobs list`)")
