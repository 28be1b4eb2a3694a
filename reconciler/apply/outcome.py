"""What apply did, per change: the data every report (text, markdown, JSON, Actions) renders.

A :class:`ChangeOutcome` follows one plan change through its configure jobs. Its
``status`` is one of:

* ``succeeded`` -- every step's job succeeded;
* ``failed`` -- a step's submission was refused or its job failed (``errors`` say why,
  mapped to the offer file and, where the API names a field, its line);
* ``stale`` -- not sent: the live offer moved since the plan (or its effect could not be
  told apart from someone else's edit); run ``reconciler plan`` again;
* ``running`` -- a job was still running at the deadline, or a later step was not sent yet;
  the journal keeps it for ``reconciler jobs resume``;
* ``unknown`` -- a configure response was lost and its effect is not known yet (exit 6);
* ``cancelled`` -- a job was cancelled (``reconciler jobs cancel``);
* ``not-sent`` -- nothing was submitted for it (e.g. an earlier journal was only settled);
* ``blocked`` -- the plan refused the change (``message`` says why); the offer is left alone
  while every other change of the plan goes out;
* ``waiting`` -- not possible yet (a selling partner's offer before its originator
  publishes); left alone, and a later run completes it.

:meth:`ApplyResult.exit_code` folds the statuses into the documented exit codes; when
several apply, the most actionable wins: failed (5) > still running or unknown (6) >
stale (4) > partly applied (8: some offers blocked or waiting, the rest succeeded); only
blocked offers and nothing applied is blocked (3).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from reconciler.api.jobs import JobStatus
from reconciler.errors import (
    EXIT_BLOCKED,
    EXIT_JOBS_FAILED,
    EXIT_JOBS_RUNNING,
    EXIT_OK,
    EXIT_PARTLY,
    EXIT_STALE,
)
from reconciler.plan.deal import Deal

Status = Literal[
    "succeeded",
    "failed",
    "stale",
    "running",
    "unknown",
    "cancelled",
    "not-sent",
    "blocked",
    "waiting",
]
STATUSES: tuple[str, ...] = get_args(Status)
# Left alone by design (the plan said why), never sent.
LEFT_ALONE: tuple[str, ...] = ("blocked", "waiting")


@dataclass(frozen=True)
class OutcomeError:
    """One error of a change, located in its offer file (``line`` 0 = the file as a whole)."""

    code: str
    message: str
    file: str
    line: int = 0
    col: int = 0
    field: str | None = None
    resource_id: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field_part = f" {self.field}:" if self.field else ""
        return f"{where}:{field_part} {self.code}: {self.message}"

    def to_data(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "field": self.field,
            "resource_id": self.resource_id,
        }


@dataclass
class ChangeOutcome:
    change_id: str  # "c<index in plan.changes>", stable for one plan
    file: str
    line: int
    offer_name: str
    action: str
    offer_id: str | None = None  # durable id (learned from the job detail for creates)
    status: Status = "not-sent"
    job_ids: list[str] = field(default_factory=list)
    job_result: str | None = None
    errors: list[OutcomeError] = field(default_factory=list)
    resource_uri: str | None = None
    message: str | None = None
    steps_done: int = 0
    steps_total: int = 0
    # What the report says about the offer beyond the job: its kind and target state (who
    # acts next), and the deal terms of the plan (customers, accept-by date), when known.
    kind: str | None = None
    desired_state: str | None = None
    deal: Deal | None = None

    def to_data(self) -> dict[str, object]:
        return {
            "change_id": self.change_id,
            "file": self.file,
            "line": self.line,
            "offer_name": self.offer_name,
            "action": self.action,
            "offer_id": self.offer_id,
            "status": self.status,
            "job_ids": list(self.job_ids),
            "job_result": self.job_result,
            "errors": [e.to_data() for e in self.errors],
            "resource_uri": self.resource_uri,
            "message": self.message,
            "steps_done": self.steps_done,
            "steps_total": self.steps_total,
            "kind": self.kind,
            "desired_state": self.desired_state,
        }


def left_alone(index: int, change: Any) -> ChangeOutcome:
    """The outcome of a plan change apply does not send: blocked, or waiting (its reason)."""
    return ChangeOutcome(
        change_id=f"c{index}",
        file=change.file,
        line=change.line,
        offer_name=change.offer_name,
        action=change.wanted or change.action,
        offer_id=change.offer_id,
        kind=change.kind,
        desired_state=change.desired_state,
        status="waiting" if change.waiting else "blocked",
        message=(
            f"{change.blocked_reason} (to change it: {change.override})"
            if change.override
            else change.blocked_reason
        ),
    )


def left_alone_outcomes(plan: Any) -> list[ChangeOutcome]:
    """The outcomes of a plan's blocked and waiting changes, in plan order."""
    return [left_alone(i, c) for i, c in enumerate(plan.changes) if c.action == "blocked"]


@dataclass
class ApplyResult:
    plan_checksum: str
    outcomes: list[ChangeOutcome] = field(default_factory=list)
    journal: str | None = None
    journal_closed: bool = False
    resumed: bool = False
    endpoint: str | None = None
    requests: dict[str, int] = field(default_factory=dict)  # API requests by endpoint
    duration: float = 0.0

    def counts(self) -> dict[str, int]:
        found: Counter[str] = Counter(o.status for o in self.outcomes)
        return {status: found.get(status, 0) for status in STATUSES}

    @property
    def exit_code(self) -> int:
        counts = self.counts()
        if counts["failed"] or counts["cancelled"]:
            return EXIT_JOBS_FAILED
        # unknown: an answer was lost and its effect is not decided yet; like a running job
        # it is settled by `reconciler jobs resume`, and nothing was re-sent.
        if counts["running"] or counts["unknown"]:
            return EXIT_JOBS_RUNNING
        if counts["stale"]:
            return EXIT_STALE
        if counts["blocked"] and not counts["succeeded"]:
            return EXIT_BLOCKED  # nothing applied: the plan's refusal is the whole outcome
        if counts["blocked"] or counts["waiting"]:
            return EXIT_PARTLY
        return EXIT_OK

    def summary_line(self) -> str:
        counts = self.counts()
        parts = [f"{n} {status}" for status, n in counts.items() if n]
        return ", ".join(parts) if parts else "nothing to do"

    def to_data(self) -> dict[str, object]:
        return {
            "schema": "offers-apply/1",
            "plan_checksum": self.plan_checksum,
            "summary": self.counts(),
            "exit_code": self.exit_code,
            "journal": self.journal,
            "journal_closed": self.journal_closed,
            "resumed": self.resumed,
            "endpoint": self.endpoint,
            "requests": dict(sorted(self.requests.items())),
            "duration_seconds": round(self.duration, 3),
            "changes": [o.to_data() for o in self.outcomes],
        }


ProgressKind = Literal["submitted", "job", "stale", "note", "failed-submit"]


@dataclass(frozen=True)
class ProgressEvent:
    """One thing worth a progress line; the report layer decides how it looks."""

    kind: ProgressKind
    offers: tuple[str, ...] = ()
    job_id: str | None = None
    status: JobStatus | None = None
    message: str | None = None
