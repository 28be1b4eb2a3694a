"""Drift: a plan read the other way round -- what differs between git and the account, and why.

Each managed offer falls in one class:

* ``outside``   -- changed outside git: at least one field (or the state) moved live since
  the baseline (default ``HEAD``), i.e. a change whose reason is ``live`` or ``both``;
* ``pending``   -- git is ahead of live: a create not applied yet, a failed or partial
  apply, a change the plan cannot make (blocked). With the apply history
  (:mod:`reconciler.state.history`), a change that *looks* made outside git (git did not
  move since the baseline) but whose fields are exactly what the last apply of that offer
  was to set, and that apply did not succeed, is pending too: approved in git, not applied
  yet; the fix is to apply again, never to import the live values;
* ``in_sync``   -- unchanged.

Live offers without a file are reported as ``unmanaged`` but do not count as drift: they
are never touched, and counting them would keep a drift issue open forever on accounts
with offers that predate git.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationError

from reconciler.checks.watch import WatchReport
from reconciler.errors import PlanFileError
from reconciler.plan.changes import Action, Change
from reconciler.plan.plan import Plan
from reconciler.plan.records import MutableRecord, OfferRef, Record, UnmanagedOffer
from reconciler.state.history import ApplyHistory, OfferOutcome

DriftSchema = Literal["offers-drift/1"]
DRIFT_SCHEMA: DriftSchema = "offers-drift/1"


class DriftReport(MutableRecord):
    """The plan's changes split by cause; its saved form is :class:`DriftFile`."""

    plan: Plan
    outside: list[Change] = Field(default_factory=list)
    pending: list[Change] = Field(default_factory=list)
    # Offer file -> how its last apply ended, for pending changes that apply did not make.
    not_applied: dict[str, str] = Field(default_factory=dict)
    watch: WatchReport | None = None  # expiry and acceptance watch (reconciler.checks.watch)

    @property
    def has_drift(self) -> bool:
        return bool(self.outside or self.pending)

    def counts(self) -> dict[str, int]:
        return {
            "outside": len(self.outside),
            "pending": len(self.pending),
            "unmanaged": len(self.plan.unmanaged),
            "in_sync": len(self.plan.unchanged),
        }

    def summary_line(self) -> str:
        c = self.counts()
        return (
            f"{c['outside']} changed outside git, {c['pending']} pending from git, "
            f"{c['unmanaged']} unmanaged, {c['in_sync']} in sync"
        )

    def to_data(self) -> dict[str, object]:
        """``reconciler drift --out``: the report as :class:`DriftFile` data."""
        return DriftFile.model_construct(
            has_drift=self.has_drift,
            counts=DriftCounts(**self.counts()),
            outside=[DriftRef.of(c) for c in self.outside],
            pending=[DriftRef.of(c, self.not_applied.get(c.file)) for c in self.pending],
            unmanaged=self.plan.unmanaged,
            in_sync=self.plan.unchanged,
            watch=self.watch,
            plan=self.plan.to_data(),
        ).model_dump(mode="json")


class DriftRef(Record):
    """A drifting offer: which file, which action would fix it, which fields moved."""

    file: str
    offer_name: str
    offer_id: str | None
    action: Action
    fields: list[str]
    last_apply: str | None = Field(
        default=None,
        exclude_if=lambda text: text is None,
        description="Pending only: approved in git, not applied yet -- how the last apply of "
        "this offer ended.",
    )

    @classmethod
    def of(cls, change: Change, last_apply: str | None = None) -> DriftRef:
        return cls(
            file=change.file,
            offer_name=change.offer_name,
            offer_id=change.offer_id,
            action=change.action,
            fields=[fc.path for fc in change.field_changes],
            last_apply=last_apply,
        )


def last_apply_text(last: OfferOutcome) -> str:
    """``the apply of 2026-12-07T10:00:00+00:00 ended failed: …`` for a report."""
    text = f"approved in git, not applied yet: the apply of {last.at} ended {last.status}"
    return f"{text}: {last.message}" if last.message else text


class DriftCounts(Record):
    outside: int = Field(default=0, ge=0)
    pending: int = Field(default=0, ge=0)
    unmanaged: int = Field(default=0, ge=0)
    in_sync: int = Field(default=0, ge=0)


class DriftFile(Record):
    """A drift report as saved (``reconciler drift --out``; ``offers-drift/1``)."""

    version: DriftSchema = Field(default=DRIFT_SCHEMA, alias="schema")
    # Recomputed from the plan on load; defaults let a report of an older reconciler load.
    has_drift: bool = False
    counts: DriftCounts = Field(default_factory=DriftCounts)
    outside: list[DriftRef] = Field(default_factory=list)
    pending: list[DriftRef] = Field(default_factory=list)
    unmanaged: list[UnmanagedOffer] = Field(default_factory=list)
    in_sync: list[OfferRef] = Field(default_factory=list)
    watch: WatchReport | None = None
    # The whole plan; Plan.from_data checks it (checksum included) when the report is read.
    plan: dict[str, object]  # schemas/drift.schema.json refers it to plan.schema.json


def classify(plan: Plan, history: ApplyHistory | None = None) -> DriftReport:
    report = DriftReport(plan=plan)
    for change in plan.changes:
        last = None
        if history is not None and change.reason in ("live", "both"):
            fields = [(fc.path, fc.new) for fc in change.field_changes]
            last = history.not_applied(change.file, fields)
        if last is not None:
            report.pending.append(change)
            report.not_applied[change.file] = last_apply_text(last)
        elif change.reason in ("live", "both"):
            report.outside.append(change)
        else:
            report.pending.append(change)
    return report


def field_key(change: Change, path: str) -> str:
    """What identifies one drifting field across runs (for its "first seen")."""
    return f"{change.file}|{path}"


def drift_keys(report: DriftReport) -> list[str]:
    return [field_key(c, fc.path) for c in report.outside for fc in c.field_changes]


def report_from_data(data: object) -> DriftReport:
    """A drift report read back from its JSON (``reconciler drift --out``)."""
    if not isinstance(data, dict) or data.get("schema") != DRIFT_SCHEMA:
        raise PlanFileError(f"drift report: expected schema {DRIFT_SCHEMA!r}")
    try:
        saved = DriftFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise PlanFileError(f"drift report: malformed ({where}: {first['msg']})") from None
    # The lists are recomputed from the plan, the one part the checksum covers.
    report = classify(Plan.from_data(saved.plan))
    report.watch = saved.watch
    # What the apply history explained when the report was made (it is not in the plan).
    for ref in saved.pending:
        moved = [c for c in report.outside if c.file == ref.file]
        if ref.last_apply and moved:
            report.outside = [c for c in report.outside if c.file != ref.file]
            report.pending += moved
            report.not_applied[ref.file] = ref.last_apply
    return report
