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

from dataclasses import dataclass, field
from typing import Any

from reconciler.markdown import escape_markdown, inline_code
from reconciler.plan.changes import Change
from reconciler.plan.plan import Plan
from reconciler.plan.render.markdown import render_markdown
from reconciler.plan.watch import WatchReport, render_watch_markdown, render_watch_text
from reconciler.secrets import REGISTRY, redact

DRIFT_SCHEMA = "offers-drift/1"


@dataclass
class DriftReport:
    plan: Plan
    outside: list[Change] = field(default_factory=list)
    pending: list[Change] = field(default_factory=list)
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
        def ref(change: Change) -> dict[str, Any]:
            return {
                "file": change.file,
                "offer_name": change.offer_name,
                "offer_id": change.offer_id,
                "action": change.action,
                "fields": [fc.path for fc in change.field_changes],
            }

        return {
            "schema": DRIFT_SCHEMA,
            "has_drift": self.has_drift,
            "counts": self.counts(),
            "outside": [ref(c) for c in self.outside],
            "pending": [ref(c) for c in self.pending],
            "unmanaged": [u.to_data() for u in self.plan.unmanaged],
            "in_sync": [r.to_data() for r in self.plan.unchanged],
            "watch": self.watch.to_data() if self.watch else None,
            "plan": self.plan.to_data(),
        }


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
                fields = ", ".join(fc.path for fc in c.field_changes[:8])
                lines.append(f"  {c.offer_name} [{c.file}] ({c.action}): {fields}")
    if report.plan.unmanaged:
        lines.append("Unmanaged (no file, not counted as drift):")
        lines.extend(f"  {u.name} ({u.id}, {u.state})" for u in report.plan.unmanaged)
    lines.append(("Drift: " if report.has_drift else "No drift: ") + report.summary_line() + ".")
    text = "\n".join(redact(line) for line in lines) + "\n"
    return text + (render_watch_text(report.watch) if report.watch else "")


def render_markdown_report(report: DriftReport, *, budget: int = 60_000) -> str:
    """The drift issue body: counts, the offers per class, then the plan's details."""
    head = [f"## Offers drift — {escape_markdown(report.summary_line())}", ""]
    if report.plan.meta.baseline:
        head.append(f"Compared with {inline_code(redact(report.plan.meta.baseline))}.")
        head.append("")
    for title, changes in (
        ("Changed outside git", report.outside),
        ("Pending from git", report.pending),
    ):
        if not changes:
            continue
        head.append(f"### {title}")
        head.append("")
        for c in changes[:100]:
            head.append(
                f"- {escape_markdown(redact(c.offer_name))} "
                f"({escape_markdown(redact(c.file))}): {len(c.field_changes)} field(s)"
            )
        if len(changes) > 100:
            head.append(f"- {len(changes) - 100} more not shown")
        head.append("")
    if report.watch is not None:
        head += ["### Expiry and acceptance watch", "", render_watch_markdown(report.watch)]
    text = "\n".join(head) + "\n"
    return text + render_markdown(report.plan, budget=max(10_000, budget - len(text)), title="Plan")


def render_json(report: DriftReport) -> str:
    import json

    return json.dumps(REGISTRY.redact_obj(report.to_data()), indent=2, ensure_ascii=False) + "\n"
