"""Drift: a plan read the other way round -- what differs between git and the account, and why.

Each managed offer falls in one class:

* ``outside``   -- changed outside git: at least one field (or the state) moved live since
  the baseline (default ``HEAD``), i.e. a change whose reason is ``live`` or ``both``;
* ``pending``   -- git is ahead of live: a create not applied yet, a failed or partial
  apply, a change the plan cannot make (blocked);
* ``in_sync``   -- unchanged.

Live offers without a file are reported as ``unmanaged`` but do not count as drift: they
are never touched, and counting them would keep a drift issue open forever on accounts
with offers that predate git.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, ValidationError

from reconciler.errors import PlanFileError
from reconciler.markdown import escape_markdown, inline_code
from reconciler.plan.changes import Action, Change
from reconciler.plan.plan import Plan
from reconciler.plan.records import MutableRecord, OfferRef, Record, UnmanagedOffer
from reconciler.plan.render.common import headline, readable_path
from reconciler.plan.render.markdown import render_markdown
from reconciler.plan.render.view import scalar_text
from reconciler.plan.watch import WatchReport, render_watch_markdown, render_watch_text
from reconciler.secrets import REGISTRY, redact

DriftSchema = Literal["offers-drift/1"]
DRIFT_SCHEMA: DriftSchema = "offers-drift/1"


class DriftReport(MutableRecord):
    """The plan's changes split by cause; its saved form is :class:`DriftFile`."""

    plan: Plan
    outside: list[Change] = Field(default_factory=list)
    pending: list[Change] = Field(default_factory=list)
    watch: WatchReport | None = None  # expiry and acceptance watch (reconciler.plan.watch)

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

    def to_data(self) -> dict[str, Any]:
        """``reconciler drift --out``: the report as :class:`DriftFile` data."""
        return DriftFile.model_construct(
            has_drift=self.has_drift,
            counts=DriftCounts(**self.counts()),
            outside=[DriftRef.of(c) for c in self.outside],
            pending=[DriftRef.of(c) for c in self.pending],
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

    @classmethod
    def of(cls, change: Change) -> DriftRef:
        return cls(
            file=change.file,
            offer_name=change.offer_name,
            offer_id=change.offer_id,
            action=change.action,
            fields=[fc.path for fc in change.field_changes],
        )


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
    plan: dict[str, Any]  # schemas/drift.schema.json refers it to plan.schema.json


def classify(plan: Plan) -> DriftReport:
    report = DriftReport(plan=plan)
    for change in plan.changes:
        if change.reason in ("live", "both"):
            report.outside.append(change)
        else:
            report.pending.append(change)
    return report


def render_text(report: DriftReport) -> str:
    lines = []
    for title, changes in (
        ("Changed outside git", report.outside),
        ("Pending from git", report.pending),
    ):
        if changes:
            lines.append(f"{title}:")
            for c in changes:
                lines.append(f"  {c.offer_name} [{c.file}] ({c.action})")
                for fc in c.field_changes[:20]:
                    lines.append(
                        f"    {readable_path(c, fc.path)}: git {scalar_text(fc.new)}, "
                        f"live {scalar_text(fc.old)}"
                    )
    if report.plan.unmanaged:
        lines.append("Unmanaged (no file, not counted as drift):")
        lines.extend(f"  {u.name} ({u.id}, {u.state})" for u in report.plan.unmanaged)
    lines.append(("Drift: " if report.has_drift else "No drift: ") + report.summary_line() + ".")
    text = "\n".join(redact(line) for line in lines) + "\n"
    return text + (render_watch_text(report.watch) if report.watch else "")


def field_key(change: Change, path: str) -> str:
    """What identifies one drifting field across runs (for its "first seen")."""
    return f"{change.file}|{path}"


def drift_keys(report: DriftReport) -> list[str]:
    return [field_key(c, fc.path) for c in report.outside for fc in c.field_changes]


def _value(value: Any) -> str:
    if value is None:
        return "(not set)"
    return inline_code(scalar_text(value)[:200])


def _ways_out(change: Change) -> list[str]:
    offer = inline_code(change.offer_id) if change.offer_id else "the offer"
    take = f"reconciler import --id {change.offer_id}" if change.offer_id else "reconciler import"
    return [
        "**Two ways out:**",
        "",
        f"1. Keep the live values: {inline_code(take)} writes them into "
        f"{inline_code(redact(change.file))}; commit that in a pull request.",
        f"2. Restore git: re-run the apply workflow (or {inline_code('reconciler apply')}) to "
        f"send the file's values to {offer} again.",
    ]


def _offer_table(change: Change, first_seen: Mapping[str, str] | None) -> list[str]:
    ident = f" · {inline_code(change.offer_id)}" if change.offer_id else ""
    lines = [
        f"#### {escape_markdown(redact(change.offer_name))}{ident} · "
        f"{inline_code(redact(change.file))}",
        "",
    ]
    seen_col = first_seen is not None
    lines.append("| Field | In git | Live now |" + (" First seen |" if seen_col else ""))
    lines.append("|---|---|---|" + ("---|" if seen_col else ""))
    for fc in change.field_changes[:50]:
        if fc.origin not in ("live", "both") and change.reason in ("live", "both"):
            continue
        row = (
            f"| {escape_markdown(redact(readable_path(change, fc.path)))} "
            f"| {redact(_value(fc.new))} | {redact(_value(fc.old))} |"
        )
        if first_seen is not None:
            row += f" {escape_markdown(first_seen.get(field_key(change, fc.path), '—'))} |"
        lines.append(row)
    lines.append("")
    return lines


def render_markdown_report(
    report: DriftReport, *, budget: int = 60_000, first_seen: Mapping[str, str] | None = None
) -> str:
    """The drift issue body: per offer and field, git and live side by side, and the ways out."""
    head = [f"## Offers drift: {escape_markdown(report.summary_line())}", ""]
    if report.plan.meta.baseline:
        head += [f"Git is {inline_code(redact(report.plan.meta.baseline))}.", ""]
    if report.outside:
        head += ["### Changed outside git", ""]
        for change in report.outside[:50]:
            head += _offer_table(change, first_seen)
            head += [*_ways_out(change), ""]
        if len(report.outside) > 50:
            head += [f"{len(report.outside) - 50} more offers not shown.", ""]
    if report.pending:
        head += [
            "### Pending from git",
            "",
            "Git is ahead of the account (not applied yet, or an apply did not finish):",
            "",
        ]
        for c in report.pending[:100]:
            head.append(
                f"- **{escape_markdown(redact(c.offer_name))}** "
                f"({inline_code(redact(c.file))}): {escape_markdown(headline(c))}"
            )
        if len(report.pending) > 100:
            head.append(f"- {len(report.pending) - 100} more not shown")
        head += ["", "Apply them with the apply workflow (or `reconciler apply`).", ""]
    if report.watch is not None:
        head += ["### Expiry and acceptance watch", "", render_watch_markdown(report.watch)]
    text = "\n".join(head) + "\n"
    plan = render_markdown(report.plan, budget=max(10_000, budget - len(text)), title="Plan")
    return text + "<details><summary>The full plan</summary>\n\n" + plan + "\n</details>\n"


def report_from_data(data: Any) -> DriftReport:
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
    return report


def render_json(report: DriftReport) -> str:
    import json

    return json.dumps(REGISTRY.redact_obj(report.to_data()), indent=2, ensure_ascii=False) + "\n"
