"""Markdown sized for a pull request comment (and the Actions step summary).

Layout, decision data first: a heading with the counts, banners (blocked, withdrawals,
replacements, changes made outside git, and the extra banners of other checks), a table
with one row per offer, then one ``<details>`` per offer (open when the plan is short)
with its diff in the file's own shape, removed files, extra sections, unmanaged offers.

Safety of user content: offer names, file paths, reasons and values come from files or
from the live account. Running text goes through ``escape_markdown`` (our own messages
with code spans through ``md_inline``), ``<summary>`` text through ``escape_html``, and
values only appear inside fenced code blocks whose fence is longer than any backtick run
in them, with control and bidi characters shown as ``<U+202E>``: nothing a file says can
become HTML, a link, a mention or a hidden marker, or break the layout.

Size: GitHub refuses comment bodies over 65,536 characters. Blocks are added whole while
they fit the *budget*; what does not fit is counted in an explicit "N more offers not
shown" line. Code lines are never wrapped: GitHub scrolls a wide code block, and an id or
a URL stays whole when copied.
"""

from __future__ import annotations

from reconciler.markdown import code_block, escape_html, escape_markdown, inline_code, md_inline
from reconciler.plan.changes import Change
from reconciler.plan.extras import ExtraKind
from reconciler.plan.plan import SUMMARY_ORDER, Plan
from reconciler.render.common import (
    EMOJI,
    accepted,
    gone_notes,
    gone_title,
    headline,
    replacement_notes,
)
from reconciler.render.deal_table import MAX_TABLE_ROWS, risky, table
from reconciler.render.view import change_lines, layout, yaml_lines
from reconciler.secrets import redact

BUDGET = 60_000
MAX_DIFF_LINES = 200
# Code blocks are never wrapped: GitHub scrolls them, and a URL or an id cut in two is a
# wrong URL or id when copied.
UNWRAPPED = 1_000_000
MARKER = "<!-- reconciler:plan -->"


def _cell(text: object) -> str:
    return escape_markdown(text) or " "


def diff_lines(change: Change, *, only_live: bool = False) -> list[str]:
    """The code lines of one offer's diff: its own YAML for a create, else the tree."""
    if change.action == "create" and change.source and not only_live:
        lines = layout(yaml_lines(change.source), UNWRAPPED, symbol_first=True)
    else:
        shown = change
        if only_live:
            kept = [fc for fc in change.field_changes if fc.origin in ("live", "both")]
            shown = change.model_copy(update={"field_changes": kept})
        lines = layout(change_lines(shown, paired=True), UNWRAPPED, symbol_first=True)
    if not lines:
        lines = ["  (no field changes)"]
    if len(lines) > MAX_DIFF_LINES:
        hidden = len(lines) - MAX_DIFF_LINES
        lines = [*lines[:MAX_DIFF_LINES], f"  … {hidden} more lines (in the full plan)"]
    return [redact(line) for line in lines]


def _details(change: Change, *, only_live: bool = False, unfold: bool = False) -> str:
    emoji = EMOJI.get(change.action, "")
    title = f"{emoji} {escape_html(redact(change.offer_name))} — "
    title += escape_html(headline(change))
    opening = "<details open>" if unfold else "<details>"
    parts = [f"{opening}<summary>{title}</summary>", ""]
    meta = [f"{inline_code(redact(change.file))} line {change.line}"]
    if change.offer_id:
        meta.insert(0, f"offer {inline_code(change.offer_id)}")
    parts += [" · ".join(meta), ""]
    for note in replacement_notes(change):
        parts += [f"> {md_inline(note)}", ">"]
    if replacement_notes(change):
        parts[-1] = ""
    if change.blocked_reason:
        label = "Never changed" if accepted(change) else "Blocked"
        parts.append(f"**{label}:** {md_inline(redact(change.blocked_reason))}")
        if change.override:
            parts += ["", f"**To go ahead:** {md_inline(redact(change.override))}"]
        parts.append("")
    code = code_block("\n".join(diff_lines(change, only_live=only_live)), "diff").rstrip()
    if change.action == "create" and change.source and not only_live:
        # The table row says who, what and when; the file itself is one click away.
        lines = len(diff_lines(change))
        parts += [f"<details><summary>The offer file ({lines} lines)</summary>", ""]
        parts += [code, "", "</details>"]
    else:
        parts.append(code)
    parts += ["", "</details>", ""]
    return "\n".join(parts) + "\n"


def _alert(kind: str, lines: list[str]) -> str:
    return f"> [!{kind}]\n" + "".join(f"> {line}\n" if line else ">\n" for line in lines)


def _banners(plan: Plan) -> list[str]:
    out: list[str] = []
    if plan.is_blocked:
        reasons = []
        if plan.safety.blocked:
            for v in plan.safety.violations:
                reasons.append(
                    f"- {md_inline(redact(v.message))} To go ahead: {md_inline(v.override)}"
                )
        for change in plan.blocked_changes:
            reasons.append(
                f"- **{escape_markdown(redact(change.offer_name))}** "
                f"({inline_code(f'{change.file}:{change.line}')}): "
                f"{md_inline(redact(change.blocked_reason or ''))}"
            )
        title = (
            "**Blocked: nothing will be applied.**"
            if plan.safety.blocked or not plan.has_changes
            else "**Blocked: these offers are left alone; every other change is applied.**"
        )
        out.append(_alert("CAUTION", [title, "", *reasons]))
    disruptive = [
        f"- {EMOJI.get(c.action, '')} {_named(c.offer_name)} {escape_markdown(_DISRUPTS[c.action])}"
        for c in plan.changes
        if c.action in _DISRUPTS
    ]
    if disruptive:
        out.append(_alert("WARNING", ["**Review carefully:**", *disruptive]))
    if plan.gone:
        removed = ", ".join(_named(g.offer_name) for g in plan.gone)
        files = _count(len(plan.gone), "offer file was", "offer files were")
        out.append(
            _alert(
                "WARNING",
                [
                    f"{files} removed ({removed}): their live offers stay as they are and are "
                    "no longer managed (see below)."
                ],
            )
        )
    outside = [c for c in plan.changes if c.reason in ("live", "both")]
    if outside:
        names = ", ".join(_named(c.offer_name) for c in outside)
        out.append(
            _alert(
                "NOTE",
                [
                    f"Changed outside git since the baseline: {names}; those changes are "
                    "listed separately below."
                ],
            )
        )
    if plan.safety.forced and plan.safety.violations:
        out.append(_alert("WARNING", ["Safety guards were overridden with `--force`."]))
    for extra in plan.extras:
        if extra.kind == ExtraKind.BANNER:
            body = [f"**{escape_markdown(extra.title)}**"]
            if extra.markdown:
                body += ["", *extra.markdown.rstrip("\n").splitlines()]
            out.append(_alert(extra.level.value.upper(), body))
    return out


_DISRUPTS = {
    "withdraw": "is withdrawn: customers can no longer accept it",
    "delete": "is deleted (a draft)",
    "recreate": "is replaced: a new offer, a new id, the old one withdrawn",
    "republish": "is withdrawn, edited and republished: its link is down meanwhile",
}


def _named(name: str) -> str:
    return f"**{escape_markdown(redact(name))}**"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def heading_counts(plan: Plan) -> str:
    """What happens, without what does not (unchanged and skipped files are below)."""
    counts = plan.summary()
    parts = [
        f"{counts[key]} to {key}" if key != "blocked" else f"{counts[key]} blocked"
        for key in SUMMARY_ORDER
        if key != "unchanged" and counts.get(key)
    ]
    if counts["gone"]:
        parts.append(_count(counts["gone"], "file removed", "files removed"))
    return ", ".join(parts) or "no changes"


def _gone_section(plan: Plan) -> str:
    if not plan.gone:
        return ""
    lines = ["### Files removed or offers renamed", ""]
    for gone in plan.gone:
        notes = "; ".join(md_inline(redact(n)) for n in gone_notes(gone))
        lines.append(
            f"- ❔ **{escape_markdown(redact(gone.offer_name))}** "
            f"({escape_markdown(gone_title(gone))} {inline_code(redact(gone.file))}): {notes}."
        )
    return "\n".join(lines) + "\n\n"


def _tail(plan: Plan) -> list[str]:
    tail: list[str] = []
    for extra in plan.extras:
        if extra.kind == ExtraKind.SECTION:
            tail.append(f"### {escape_markdown(extra.title)}\n\n{extra.markdown.rstrip()}\n")
    if plan.unmanaged:
        lines = [
            "<details><summary>Unmanaged live offers (no file; never touched): "
            f"{len(plan.unmanaged)}</summary>",
            "",
            "| Offer | Id | State |",
            "|---|---|---|",
        ]
        for u in plan.unmanaged[:MAX_TABLE_ROWS]:
            lines.append(f"| {_cell(redact(u.name))} | {inline_code(u.id)} | {_cell(u.state)} |")
        if len(plan.unmanaged) > MAX_TABLE_ROWS:
            lines += ["", f"{len(plan.unmanaged) - MAX_TABLE_ROWS} more not shown."]
        lines += ["", "</details>", ""]
        tail.append("\n".join(lines) + "\n")
    if plan.skipped:
        other = "partner" if plan.meta.role == "publisher" else "publisher"
        files = _count(len(plan.skipped), f"{other} file", f"{other} files")
        unchanged = f"{len(plan.unchanged)} offers unchanged · " if plan.unchanged else ""
        tail.append(f"{unchanged}{files} planned by the {other}'s own `--role {other}` plan.\n")
    elif plan.unchanged:
        tail.append(_count(len(plan.unchanged), "offer unchanged.", "offers unchanged.") + "\n")
    tail.append(MARKER + "\n")
    return tail


def render_markdown(
    plan: Plan,
    *,
    budget: int = BUDGET,
    title: str = "Offers plan",
    more_note: str = "see the full plan in the plan artifact of the workflow run",
) -> str:
    head: list[str] = []
    icon = "🔴" if plan.is_blocked else ("🟡" if plan.has_changes else "✅")
    head.append(f"## {icon} {escape_markdown(title)}: {escape_markdown(heading_counts(plan))}\n")
    meta = [f"role {inline_code(plan.meta.role)}"]
    if plan.meta.baseline:
        meta.append(f"baseline {inline_code(redact(plan.meta.baseline))}")
    if plan.meta.scope == "changed":
        meta.append(f"scope {inline_code('changed')} ({plan.meta.files_not_read:,} files not read)")
    # The commit and the checksum are in the comment's footer (and in plan.json).
    head.append(" · ".join(meta) + "\n")
    head.extend(_banners(plan))
    if not plan.changes and not plan.gone:
        head.append("No changes: the live offers match the files.\n")

    out = "\n".join(head) + "\n"
    if plan.changes:
        rows, not_in_table = table(plan)
        out += rows + "\n"
        if not_in_table:
            out += f"{not_in_table} more offers not in the table.\n\n"
    out += _gone_section(plan)
    tail = _tail(plan)
    reserve = sum(len(t) + 1 for t in tail) + 300
    git_changes = [c for c in plan.changes if c.reason != "live"]
    outside = [c for c in plan.changes if c.reason in ("live", "both")]
    sections = [
        ("### Changes", [(c, False) for c in git_changes]),
        ("### Changed outside git", [(c, True) for c in outside]),
    ]
    not_shown = 0
    for heading, items in sections:
        started = False
        for change, only_live in items:
            unfold = risky(change, plan.deals.get(change.file))
            block = _details(change, only_live=only_live, unfold=unfold)
            extra = block if started else f"{heading}\n\n{block}"
            if len(out) + len(extra) + reserve > budget:
                not_shown += 1
                continue
            out += extra
            started = True
    if not_shown:
        out += f"**{not_shown} more offers not shown** (comment size limit); {more_note}.\n\n"
    out += "\n".join(tail)
    return out
