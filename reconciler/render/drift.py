"""A drift report as text (a terminal), markdown (the drift issue) and JSON (``--out``)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from reconciler.checks.drift import DriftReport, field_key
from reconciler.markdown import escape_markdown, inline_code
from reconciler.plan.changes import Change
from reconciler.render.common import headline, readable_path
from reconciler.render.markdown import render_markdown
from reconciler.render.view import scalar_text
from reconciler.render.watch import render_watch_markdown, render_watch_text
from reconciler.secrets import REGISTRY, redact

REAPPLY = (
    "apply git again (re-run the apply workflow, or `reconciler apply`); do not import: the "
    "live values are the ones the approved change replaces"
)


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
                if c.file in report.not_applied and changes is report.pending:
                    lines.append(f"    {report.not_applied[c.file]}")
                    lines.append(f"    fix: {REAPPLY}")
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


def _value(value: object) -> str:
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
            if c.file in report.not_applied:
                head[-1] += f"; {escape_markdown(redact(report.not_applied[c.file]))}"
        if len(report.pending) > 100:
            head.append(f"- {len(report.pending) - 100} more not shown")
        head += ["", "Apply them with the apply workflow (or `reconciler apply`).", ""]
        if report.not_applied:
            head += [
                "An offer whose last apply did not finish shows the values git approved; "
                "importing the live ones would undo that approval.",
                "",
            ]
    if report.watch is not None:
        head += ["### Expiry and acceptance watch", "", render_watch_markdown(report.watch)]
    text = "\n".join(head) + "\n"
    plan = render_markdown(report.plan, budget=max(10_000, budget - len(text)), title="Plan")
    return text + "<details><summary>The full plan</summary>\n\n" + plan + "\n</details>\n"


def render_json(report: DriftReport) -> str:
    return json.dumps(REGISTRY.redact_obj(report.to_data()), indent=2, ensure_ascii=False) + "\n"
