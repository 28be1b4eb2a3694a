"""Replaying an apply journal: its records -> what is finished, in flight, or unknown.

:func:`read_state` reads a journal file (whole, checksummed lines only: a torn last line is
skipped, see :mod:`reconciler.apply.journal_frame`) into a :class:`JournalState`; the
writer (:class:`reconciler.apply.journal.Journal`) keeps the same state up to date with
:func:`apply_record` as it appends. Any damage is a :class:`JournalCorrupt`, never a
traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconciler.apply import journal_frame
from reconciler.apply import journal_records as jr
from reconciler.apply.created import read_bytes
from reconciler.apply.journal_records import Item
from reconciler.errors import ReconcilerError
from reconciler.plan.plan import Plan

JOURNAL_VERSION = 2


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
    split: bool = False  # refused as a multi-offer request: its offers go again one by one
    ambiguous: bool = False
    accepted: bool | None = None
    found: list[dict[str, object]] = field(default_factory=list)
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


# ---- reading ----------------------------------------------------------------------------


def _records(path: Path) -> Iterable[dict[str, object]]:
    data = read_bytes(path)
    tail = journal_frame.torn_tail(data)
    whole = data if tail is None else data[: tail.keep]
    for line in journal_frame.lines(whole):
        # A torn record can only be the last (records are appended): one before it is damage.
        if not line.ok:
            raise JournalCorrupt(path, f"line {line.number} is not a complete record")
        record = json.loads(line.text)
        record.pop("crc", None)
        yield record


class JournalCorrupt(ReconcilerError):
    """A journal that cannot be read; names the command that puts it aside."""

    def __init__(self, path: Path, why: str) -> None:
        self.path = path
        super().__init__(
            f"{path}: the apply journal is corrupt or partly written ({why}). Its jobs may "
            f"still be queued: wait for them to end, then put it aside with "
            f"`reconciler jobs discard {journal_id(path)}` (it asks the service and refuses "
            f"while any job it names is queued or running), check the live offers "
            f"(`reconciler plan`) and apply again"
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
                apply_record(state, record)
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


def apply_record(state: JournalState, data: dict[str, object]) -> None:
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
        req.split = record.split
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
