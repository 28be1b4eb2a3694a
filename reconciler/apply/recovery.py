"""Is it safe to put a journal aside? What the service still holds of a journal's work.

``reconciler jobs discard`` and ``reconciler lock release`` drop the record of what an
interrupted run sent. Done while its jobs are still queued, the next apply plans their
creates again and every one of them exists twice. So both ask the service first (job
status), and refuse -- unless ``--force`` -- while any job of the journal has not ended,
or a request whose answer was lost may still be queued (younger than the lost-answer wait).

A corrupt journal is read as far as its whole lines go (:func:`salvage`): the jobs it names
are what matters, and a damaged line elsewhere must not hide them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.apply import journal_frame
from reconciler.apply.created import read_bytes
from reconciler.apply.journal import stamp_epoch
from reconciler.apply.states import ApplyClient
from reconciler.errors import ApiError


@dataclass
class Salvaged:
    """What a journal's whole lines say, even when other lines are damaged."""

    path: Path
    target: str | None = None
    closed: bool = False
    jobs: dict[int, str] = field(default_factory=dict)  # request no. -> job id
    intents: dict[int, str | None] = field(default_factory=dict)  # request no. -> when
    ended: set[int] = field(default_factory=set)  # result, refusal or resolution known

    @property
    def in_flight(self) -> list[str]:
        return [job for req, job in sorted(self.jobs.items()) if req not in self.ended]

    @property
    def lost(self) -> list[tuple[int, str | None]]:
        """Requests sent (maybe) whose job id is unknown and whose effect is not decided."""
        return [
            (req, at)
            for req, at in sorted(self.intents.items())
            if req not in self.jobs and req not in self.ended
        ]


def salvage(path: Path) -> Salvaged:
    found = Salvaged(path)
    for line in journal_frame.lines(read_bytes(path)):
        if not line.ok:
            continue
        record = json.loads(line.text)
        kind, req = record.get("t"), record.get("req")
        if kind == "open":
            found.target = str(record.get("target") or "") or None
        elif kind == "closed":
            found.closed = True
        elif not isinstance(req, int):
            continue
        elif kind == "intent":
            found.intents[req] = record.get("at")
        elif kind == "submitted" and record.get("job_id"):
            found.jobs[req] = str(record["job_id"])
        elif kind in ("result", "refused", "resolved"):
            found.ended.add(req)
    return found


def unsettled(
    client: ApplyClient | None,
    journals: Sequence[Salvaged],
    *,
    lost_wait: float,
    wall: Callable[[], float] = time.time,
) -> list[str]:
    """Why the work of *journals* may still change the live offers (empty: it has ended).

    *client* is only asked when a journal has jobs in flight (:func:`needs_service`)."""
    reasons: list[str] = []
    for found in journals:
        if found.closed:
            continue
        for job_id in found.in_flight:
            if client is None:
                reasons.append(f"job {job_id}: its status cannot be read (no service)")
                continue
            try:
                status = client.job_status(job_id)
            except ApiError as exc:
                reasons.append(f"job {job_id}: its status cannot be read ({exc.message})")
                continue
            if not status.done:
                reasons.append(f"job {job_id} is {status.job_status}")
        for req, at in found.lost:
            age = wall() - stamp_epoch(at)
            if age < lost_wait:
                reasons.append(
                    f"the answer to request {req} was lost {max(age, 0):.0f} s ago: its job "
                    f"may still be queued (up to {lost_wait:g} s, api.lost-response-wait)"
                )
    return reasons


def needs_service(journals: Sequence[Salvaged]) -> bool:
    """Whether any of *journals* has a job whose status only the service knows."""
    return any(found.in_flight for found in journals if not found.closed)


def refusal(what: str, reasons: list[str]) -> str:
    """The message of a refused discard or release: why, and what to do instead."""
    listed = "; ".join(reasons)
    return (
        f"refusing to {what}: the interrupted run's work has not ended ({listed}). Putting "
        "its journal aside now would let the next apply send those changes again. Wait for "
        "the jobs, or run `reconciler jobs resume` (it follows them to the end without "
        "re-sending); --force skips this check"
    )
