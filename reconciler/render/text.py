"""Text for a terminal or a CI log: one block per offer in the file's shape, a summary line.

Colour comes from ``click.style`` and is only used when asked for (the CLI decides); no
line is wider than the *width* asked for (the terminal's, from the CLI; 100 columns in a
log), and the result goes through ``redact`` line by line.
"""

from __future__ import annotations

import functools
import textwrap

import click

from reconciler.markdown import visible, visible_line
from reconciler.plan.changes import Change
from reconciler.plan.deal import Deal
from reconciler.plan.plan import Plan
from reconciler.render.common import (
    SYMBOLS,
    TEXT_WIDTH,
    gone_notes,
    gone_title,
    headline,
    replacement_notes,
)
from reconciler.render.deal_table import prices_text, term_text
from reconciler.render.view import change_lines, layout, yaml_lines
from reconciler.secrets import redact

MIN_WIDTH = 60  # narrower terminals wrap every line: past this, the wrapping helps no more
COLOURS = {
    "+": "green",
    "~": "yellow",
    "-/+": "magenta",
    "-": "red",
    "!": "red",
}


def _style(text: str, colour: str | None, colour_on: bool, *, bold: bool = False) -> str:
    if not colour_on:
        return text
    return click.style(text, fg=colour, bold=bold)


def _wrapped_at(label: str, text: str, indent: str = "    ", *, width: int) -> list[str]:
    first = f"{indent}{label}"
    return textwrap.wrap(
        visible(text),
        width=width,
        initial_indent=first,
        subsequent_indent=indent + "  ",
        break_on_hyphens=False,
    ) or [first.rstrip()]


def _deal_lines(deal: Deal | None, width: int) -> list[str]:
    """Who, how much, when, at what risk: the summary table's row, for the terminal."""
    if deal is None:
        return []
    who = " · ".join(x for x in (", ".join(deal.customers), ", ".join(deal.products)) if x)
    when = " · ".join(
        x for x in (term_text(deal), f"accept by {deal.accept_by}" if deal.accept_by else "") if x
    )
    lines = [("", who), *(("", price) for price in prices_text(deal)), ("", when)]
    lines += [("⚠ ", risk) for risk in deal.risks]
    out = []
    for label, text in lines:
        if text:
            out += _wrapped_at(label, text, width=width)
    return out


def _change_block(change: Change, colour: bool, width: int, deal: Deal | None = None) -> list[str]:
    _wrapped = functools.partial(_wrapped_at, width=width)
    symbol = SYMBOLS.get(change.action, "?")
    head = f"{symbol} {visible_line(change.offer_name)}  {visible_line(headline(change))}"
    lines = [
        _style(line, COLOURS.get(symbol), colour, bold=True) for line in _wrapped("", head, "")
    ]
    where = f"{change.file}:{change.line}"
    lines += _wrapped("", f"{change.offer_id} · {where}" if change.offer_id else where)
    lines += _deal_lines(deal, width)
    for note in replacement_notes(change):
        lines += [_style(x, "magenta", colour) for x in _wrapped("", note)]
    if change.reason == "live":
        lines.append(_style("    changed outside git", "cyan", colour))
    elif change.reason == "both":
        lines.append(_style("    changed in git and outside git", "cyan", colour))
    if change.blocked_reason:
        lines += [_style(x, "red", colour) for x in _wrapped("why: ", change.blocked_reason)]
        if change.override:
            lines += _wrapped("to go ahead: ", change.override)
    if change.action == "create" and change.source:
        body = layout(yaml_lines(change.source), width - 4, symbol_first=False)
    else:
        body = layout(change_lines(change), width - 4, symbol_first=False)
    for line in body:
        mark = line.strip()[:1]
        lines.append("    " + _style(line, COLOURS.get(mark), colour))
    return lines


def render_text(
    plan: Plan, *, colour: bool = False, show_unchanged: bool = False, width: int = TEXT_WIDTH
) -> str:
    width = max(MIN_WIDTH, width)
    _wrapped = functools.partial(_wrapped_at, width=width)
    lines: list[str] = []
    for change in plan.changes:
        lines.extend(_change_block(change, colour, width, plan.deals.get(change.file)))
        lines.append("")
    for gone in plan.gone:
        head = f"? {gone.offer_name}  {gone_title(gone)} {gone.file}"
        lines += [_style(x, "yellow", colour, bold=True) for x in _wrapped("", head, "")]
        for note in gone_notes(gone):
            lines += _wrapped("", note)
        lines.append("")
    if show_unchanged and plan.unchanged:
        lines.append("Unchanged:")
        for r in plan.unchanged:
            lines += _wrapped("= ", f"{r.offer_name}  [{r.file}]", "  ")
        lines.append("")
    if plan.unmanaged:
        lines.append("Unmanaged live offers (no file; never touched):")
        for u in plan.unmanaged:
            lines += _wrapped("? ", f"{u.name} ({u.id}, {u.state})", "  ")
        lines.append("")
    if plan.skipped:
        lines.append(f"Skipped (not planned with --role {plan.meta.role}):")
        for s in plan.skipped:
            lines += _wrapped(". ", f"{s.file}: {s.offer_name} ({s.kind})", "  ")
        lines.append("")
    for extra in plan.extras:
        if extra.kind == "banner":
            lines += _wrapped("! ", f"{extra.title}: {extra.text}".rstrip(": "), "")
            lines.append("")
        elif extra.text:
            lines.append(f"{extra.title}:")
            for line in extra.text.rstrip("\n").splitlines():
                lines += _wrapped("", line, "  ")
            lines.append("")
    scope = plan.scope_line()
    if scope:
        lines += [*_wrapped("", scope, "  "), ""]
    if plan.safety.violations:
        title = "Safety guards (forced):" if plan.safety.forced else "Blocked by safety guards:"
        lines.append(_style(title, "red", colour, bold=True))
        for v in plan.safety.violations:
            lines += _wrapped("! ", v.message, "  ")
            lines += _wrapped("to go ahead: ", v.override)
        lines.append("")
    summary = f"Plan: {plan.summary_line()}."
    if not plan.changes:
        summary = f"No changes. {plan.summary_line()}."
    lines.append(_style(summary, None, colour, bold=True))
    if plan.is_blocked:
        blocked = (
            "The plan is blocked; nothing will be applied."
            if plan.safety.blocked or not plan.has_changes
            else "Blocked offers are left alone; every other change will be applied."
        )
        lines.append(_style(blocked, "red", colour, bold=True))
    return "\n".join(redact(line) for line in lines) + "\n"
