"""Text for a terminal or a CI log: one block per change, a summary line at the end.

Colour comes from ``click.style`` and is only used when asked for (the CLI decides:
a tty and no ``NO_COLOR``); the result goes through ``redact`` line by line.
"""

from __future__ import annotations

import click

from reconciler.plan.changes import Change
from reconciler.plan.plan import Plan
from reconciler.plan.render.common import SYMBOLS, field_lines, headline
from reconciler.secrets import redact

COLOURS = {
    "+": "green",
    "~": "yellow",
    "±": "magenta",
    "-": "red",
    "!": "red",
}


def _style(text: str, colour: str | None, colour_on: bool, *, bold: bool = False) -> str:
    if not colour_on:
        return text
    return click.style(text, fg=colour, bold=bold)


def _change_block(change: Change, colour: bool) -> list[str]:
    symbol = SYMBOLS.get(change.action, "?")
    ident = f" ({change.offer_id})" if change.offer_id else ""
    head = f"{symbol} {headline(change)}: {change.offer_name}{ident}  [{change.file}:{change.line}]"
    lines = [_style(head, COLOURS.get(symbol), colour, bold=True)]
    if change.disruptive:
        lines.append(
            _style("    disruptive: the offer is withdrawn while it changes", "magenta", colour)
        )
    if change.reason == "live":
        lines.append(_style("    changed outside git", "cyan", colour))
    elif change.reason == "both":
        lines.append(_style("    changed in git and outside git", "cyan", colour))
    if change.blocked_reason:
        lines.append(_style(f"    reason: {change.blocked_reason}", "red", colour))
        if change.override:
            lines.append(f"    override: {change.override}")
    for fc in change.field_changes:
        for line in field_lines(fc):
            lines.append("    " + _style(line, COLOURS.get(line[0]), colour))
    return lines


def render_text(plan: Plan, *, colour: bool = False, show_unchanged: bool = False) -> str:
    lines: list[str] = []
    for change in plan.changes:
        lines.extend(_change_block(change, colour))
        lines.append("")
    if show_unchanged and plan.unchanged:
        lines.append("Unchanged:")
        lines.extend(f"  = {r.offer_name}  [{r.file}]" for r in plan.unchanged)
        lines.append("")
    if plan.unmanaged:
        lines.append("Unmanaged live offers (no file; never touched):")
        lines.extend(f"  ? {u.name} ({u.id}, {u.state})" for u in plan.unmanaged)
        lines.append("")
    if plan.skipped:
        lines.append(f"Skipped (not planned with --role {plan.meta.role}):")
        lines.extend(f"  . {s.file}: {s.offer_name} ({s.kind})" for s in plan.skipped)
        lines.append("")
    if plan.safety.violations:
        title = "Safety guards (forced):" if plan.safety.forced else "Blocked by safety guards:"
        lines.append(_style(title, "red", colour, bold=True))
        for v in plan.safety.violations:
            lines.append(f"  ! {v.message}")
            lines.append(f"    override: {v.override}")
        lines.append("")
    summary = f"Plan: {plan.summary_line()}."
    if not plan.changes:
        summary = f"No changes. {plan.summary_line()}."
    lines.append(_style(summary, None, colour, bold=True))
    if plan.is_blocked:
        lines.append(
            _style("The plan is blocked; nothing will be applied.", "red", colour, bold=True)
        )
    return "\n".join(redact(line) for line in lines) + "\n"
