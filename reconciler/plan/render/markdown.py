"""Markdown sized for a pull request comment (and the Actions step summary).

Layout, decision data first: a heading with the counts, banners (blocked, withdrawals,
deletes, disruptive changes, changes made outside git), a summary table, then one folded
``<details>`` per offer with a ``diff`` code block, then what git proposes and what
changed outside git as separate sections, the unmanaged offers and skipped files.

Safety of user content: offer names, file paths, reasons and values come from files or
from the live account. Table cells and running text go through ``escape_markdown``,
``<summary>`` text through ``escape_html``, and values only ever appear inside fenced code
blocks whose fence is longer than any backtick run in them (``code_block``), so nothing a
file says can become HTML, a link, a mention or break the layout.

Size: GitHub refuses comment bodies over 65,536 characters. Blocks are added whole
(never cut inside a code fence) while they fit the *budget* (60,000 by default); what does
not fit is counted in an explicit "N more offers not shown" line. A single huge diff is
shortened line-wise inside its block, with a closing note.
"""

from __future__ import annotations

from reconciler.markdown import code_block, escape_html, escape_markdown, inline_code
from reconciler.plan.changes import Change
from reconciler.plan.plan import Plan
from reconciler.plan.render.common import EMOJI, field_lines, headline, why
from reconciler.secrets import redact

BUDGET = 60_000
MAX_DIFF_LINES = 200
MAX_TABLE_ROWS = 150
MARKER = "<!-- reconciler:plan -->"


def _cell(text: object) -> str:
    return escape_markdown(text) or " "


def _diff_block(change: Change, *, only_live: bool = False) -> str:
    lines: list[str] = []
    for fc in change.field_changes:
        if only_live and fc.origin not in ("live", "both"):
            continue
        lines.extend(field_lines(fc, paired=True))
    if not lines:
        lines = ["(no field changes)"]
    if len(lines) > MAX_DIFF_LINES:
        hidden = len(lines) - MAX_DIFF_LINES
        lines = [*lines[:MAX_DIFF_LINES], f"… {hidden} more lines (see the JSON plan)"]
    return code_block("\n".join(redact(line) for line in lines), "diff")


def _details(change: Change, *, only_live: bool = False) -> str:
    emoji = EMOJI.get(change.action, "")
    title = f"{emoji} {headline(change)} — {change.offer_name}"
    count = len(change.field_changes)
    if count:
        title += f" — {count} field{'s' if count != 1 else ''}"
    parts = [f"<details><summary>{escape_html(redact(title))}</summary>", ""]
    meta = [f"File {inline_code(redact(change.file))} line {change.line}"]
    if change.offer_id:
        meta.append(f"offer {inline_code(change.offer_id)}")
    parts.append(" · ".join(meta))
    parts.append("")
    if change.disruptive:
        parts.append(
            "⚠️ **Disruptive:** the offer is withdrawn while it changes; "
            "acceptance links stop working until it is live again."
        )
        parts.append("")
    if change.blocked_reason:
        parts.append(f"**Blocked:** {escape_markdown(redact(change.blocked_reason))}")
        if change.override:
            parts.append(f"Override: {escape_markdown(redact(change.override))}")
        parts.append("")
    parts.append(_diff_block(change, only_live=only_live).rstrip("\n"))
    parts.append("")
    parts.append("</details>")
    parts.append("")
    return "\n".join(parts) + "\n"


def _banners(plan: Plan) -> list[str]:
    out: list[str] = []
    if plan.is_blocked:
        reasons = "".join(f"> - {escape_markdown(redact(r))}\n" for r in plan.blocked_reasons())
        out.append(
            "> [!CAUTION]\n> **This plan is blocked; nothing will be applied.**\n>\n" + reasons
        )
    counts = plan.summary()
    removing = counts["withdraw"] + counts["delete"]
    disruptive = sum(1 for c in plan.changes if c.disruptive)
    if removing or disruptive:
        bits = []
        if counts["withdraw"]:
            bits.append(f"withdraws {counts['withdraw']}")
        if counts["delete"]:
            bits.append(f"deletes {counts['delete']}")
        if disruptive:
            bits.append(f"disrupts {disruptive} (withdraw and republish/recreate)")
        out.append(f"> [!WARNING]\n> This plan {', '.join(bits)} offer(s). Review carefully.\n")
    outside = [c for c in plan.changes if c.reason in ("live", "both")]
    if outside:
        out.append(
            f"> [!NOTE]\n> {len(outside)} offer(s) changed outside git since the baseline; "
            "they are listed separately below.\n"
        )
    if plan.safety.forced and plan.safety.violations:
        out.append("> [!WARNING]\n> Safety guards were overridden with `--force`.\n")
    return out


def _table(plan: Plan) -> tuple[str, int]:
    rows = ["| Offer | Action | Fields | Why | File |", "|---|---|---|---|---|"]
    shown = 0
    for change in plan.changes[:MAX_TABLE_ROWS]:
        action = f"{EMOJI.get(change.action, '')} {headline(change)}"
        if change.disruptive:
            action += " ⚠️"
        fields = ", ".join(fc.path for fc in change.field_changes[:5])
        if change.action == "create":
            fields = f"new offer, {len(change.field_changes)} values"
        elif len(change.field_changes) > 5:
            fields += f" (+{len(change.field_changes) - 5})"
        rows.append(
            f"| {_cell(redact(change.offer_name))} | {_cell(action)} | {_cell(redact(fields))} "
            f"| {_cell(why(change))} | {_cell(redact(change.file))} |"
        )
        shown += 1
    return "\n".join(rows) + "\n", len(plan.changes) - shown


def render_markdown(plan: Plan, *, budget: int = BUDGET, title: str = "Offers plan") -> str:
    head: list[str] = []
    counts = plan.summary_line()
    icon = "🔴" if plan.is_blocked else ("🟡" if plan.has_changes else "✅")
    head.append(f"## {icon} {escape_markdown(title)} — {escape_markdown(counts)}\n")
    meta = [f"role {inline_code(plan.meta.role)}"]
    if plan.meta.git_sha:
        meta.append(f"commit {inline_code(plan.meta.git_sha[:12])}")
    if plan.meta.baseline:
        meta.append(f"baseline {inline_code(redact(plan.meta.baseline))}")
    meta.append(f"checksum {inline_code(plan.checksum[:19])}")
    head.append(" · ".join(meta) + "\n")
    head.extend(_banners(plan))
    if not plan.changes:
        head.append("No changes: the live offers match the files.\n")

    tail: list[str] = []
    if plan.unmanaged:
        lines = [
            "<details><summary>Unmanaged live offers (no file; never touched): "
            f"{len(plan.unmanaged)}</summary>",
            "",
            "| Offer | Id | State |",
            "|---|---|---|",
        ]
        for u in plan.unmanaged[:MAX_TABLE_ROWS]:
            lines.append(f"| {_cell(redact(u.name))} | {_cell(u.id)} | {_cell(u.state)} |")
        if len(plan.unmanaged) > MAX_TABLE_ROWS:
            lines.append("")
            lines.append(f"{len(plan.unmanaged) - MAX_TABLE_ROWS} more not shown.")
        lines += ["", "</details>", ""]
        tail.append("\n".join(lines) + "\n")
    if plan.skipped:
        tail.append(
            f"{len(plan.skipped)} file(s) of the other role skipped "
            f"(planned with the other `--role`).\n"
        )
    tail.append(MARKER + "\n")

    out = "\n".join(head) + "\n"
    if plan.changes:
        table, not_in_table = _table(plan)
        out += table + "\n"
        if not_in_table:
            out += f"{not_in_table} more offers not in the table.\n\n"
    reserve = sum(len(t) + 1 for t in tail) + 200
    git_changes = [c for c in plan.changes if c.reason != "live"]
    outside = [c for c in plan.changes if c.reason in ("live", "both")]
    sections: list[tuple[str | None, list[tuple[Change, bool]]]] = [
        ("### Changes", [(c, False) for c in git_changes]),
        ("### Changed outside git", [(c, True) for c in outside]),
    ]
    not_shown = 0
    for heading, items in sections:
        if not items:
            continue
        heading_text = f"{heading}\n\n" if heading else ""
        started = False
        for change, only_live in items:
            block = _details(change, only_live=only_live)
            extra = block if started else heading_text + block
            if len(out) + len(extra) + reserve > budget:
                not_shown += 1
                continue
            out += extra
            started = True
    if not_shown:
        out += (
            f"**{not_shown} more offers not shown** (comment size limit); "
            "see the full plan in the job summary or the plan artifact.\n\n"
        )
    out += "\n".join(tail)
    return out
