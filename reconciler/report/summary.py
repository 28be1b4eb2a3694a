"""The outcome of an apply (or ``jobs resume``) as a terminal table and as markdown.

The table has one row per change: offer, action, job id(s), result, and the first error;
further errors follow the row, each with ``file:line`` so an editor or a CI log links
straight to the offending field. The markdown (step summary, ``--markdown-out`` for the
PR comment) escapes every value that comes from offer files or the API through
:func:`reconciler.markdown.escape_markdown`.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.apply.outcome import ApplyResult, ChangeOutcome
from reconciler.markdown import escape_markdown, inline_code, md_inline
from reconciler.report.next_state import state_and_next
from reconciler.secrets import redact

ICONS = {
    "succeeded": "ok",
    "failed": "FAILED",
    "stale": "STALE",
    "running": "running",
    "unknown": "UNKNOWN",
    "cancelled": "cancelled",
    "not-sent": "not sent",
    "blocked": "BLOCKED",
    "waiting": "waiting",
}
MD_ICONS = {
    "succeeded": "✅",
    "failed": "❌",
    "stale": "⚠️",
    "running": "⏳",
    "unknown": "❓",
    "cancelled": "⛔",
    "not-sent": "➖",
    "blocked": "⛔",
    "waiting": "⏸️",
}


def _jobs(outcome: ChangeOutcome) -> str:
    return ", ".join(outcome.job_ids) if outcome.job_ids else "-"


def _detail(outcome: ChangeOutcome) -> list[str]:
    lines = [str(e) for e in outcome.errors]
    if outcome.message and outcome.status != "succeeded":
        lines.append(outcome.message)
    return lines


def render_table(result: ApplyResult, width: int | None = None) -> str:
    """One row per change; when *width* (the terminal's columns) cannot hold the table's
    rows, each change becomes a short block instead, so nothing wraps mid-column."""
    if not result.outcomes:
        return redact("Apply: nothing to do.\n")
    header = ("OFFER", "ACTION", "JOB", "RESULT", "FILE")
    rows = [
        (
            o.offer_name,
            o.action,
            _jobs(o),
            ICONS.get(o.status, o.status),
            f"{o.file}:{o.line}",
        )
        for o in result.outcomes
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    widths[0] = min(widths[0], 60)
    if width is not None and sum(widths) + 2 * (len(widths) - 1) > width:
        lines = _blocks(result, width)
    else:
        lines = _table(result, header, rows, widths)
    lines.append("")
    lines.append(f"Apply: {result.summary_line()}.")
    if result.journal and not result.journal_closed:
        lines.append(
            f"Unfinished work is kept in {result.journal}; `reconciler jobs resume` continues it."
        )
    return "\n".join(redact(line) for line in lines) + "\n"


def _table(
    result: ApplyResult,
    header: tuple[str, ...],
    rows: Sequence[tuple[str, ...]],
    widths: list[int],
) -> list[str]:
    def fmt(row: tuple[str, ...]) -> str:
        cells = []
        for i, cell in enumerate(row):
            text = cell if len(cell) <= widths[i] else cell[: widths[i] - 1] + "…"
            cells.append(text.ljust(widths[i]))
        return "  ".join(cells).rstrip()

    lines = [fmt(header)]
    for outcome, row in zip(result.outcomes, rows, strict=True):
        lines.append(fmt(row))
        lines.extend(f"    {text}" for text in _detail(outcome))
    return lines


def _blocks(result: ApplyResult, width: int) -> list[str]:
    """The narrow form: "RESULT ACTION offer" on one line, then the file and the jobs
    indented below it (together when they fit), then the errors."""
    status_w = max(len(ICONS.get(o.status, o.status)) for o in result.outcomes)
    action_w = max(len(o.action) for o in result.outcomes)
    lines: list[str] = []
    for o in result.outcomes:
        head = f"{ICONS.get(o.status, o.status).ljust(status_w)}  {o.action.ljust(action_w)}  "
        room = max(width - len(head), 12)
        name = o.offer_name if len(o.offer_name) <= room else o.offer_name[: room - 1] + "…"
        lines.append(head + name)
        where = f"{o.file}:{o.line}"
        jobs = f"job {_jobs(o)}" if o.job_ids else ""
        together = f"    {where}  {jobs}".rstrip()
        if len(together) <= width or not jobs:
            lines.append(together)
        else:
            lines += [f"    {where}", f"    {jobs}"]
        lines.extend(f"    {text}" for text in _detail(o))
    return lines


def next_steps(result: ApplyResult) -> str | None:
    """One "what to do next" line when anything is not done."""
    counts = result.counts()
    todo = []
    if counts["failed"] or counts["cancelled"]:
        todo.append("fix what the errors point at (file:line) and merge the fix; apply runs again")
    if counts["stale"]:
        todo.append("the live offers moved since the plan: run `reconciler plan` again and review")
    if counts["running"] or counts["unknown"]:
        todo.append(
            "`reconciler jobs resume` (or re-running the apply workflow) follows the open jobs"
        )
    if counts["blocked"]:
        todo.append(
            "the blocked offers were left alone: each says why and what would change it; "
            "the rest of the plan was applied"
        )
    if counts["waiting"]:
        todo.append("the waiting offers are completed by a later run, once they can be")
    return "; ".join(todo) if todo else None


def render_markdown(result: ApplyResult) -> str:
    """The apply outcome as a markdown document (step summary / PR comment).

    One row per offer: its live id, the state it is in now and the job result; errors with
    ``file:line`` below; one "what to do next" line when anything is not done; the job ids
    once, folded, at the end.
    """
    lines = [f"### Apply: {escape_markdown(result.summary_line())}", ""]
    if not result.outcomes:
        lines.append("Nothing to do: the live offers already match the files.")
        return redact("\n".join(lines) + "\n")
    todo = next_steps(result)
    if todo:
        lines += [f"> [!IMPORTANT]\n> **What to do next:** {md_inline(todo)}", ""]
    # Four columns: readable at 400 px. Ids and files are in the folded block below.
    lines.append("| | Offer | State now | Who acts next |")
    lines.append("|---|---|---|---|")
    for o in result.outcomes:
        state, who = state_and_next(o)
        lines.append(
            f"| {MD_ICONS.get(o.status, '')} | **{escape_markdown(o.offer_name)}**<br>"
            f"{escape_markdown(o.action)}: {escape_markdown(o.job_result or o.status)} "
            f"| {md_inline(state)} | {md_inline(who)} |"
        )
    problems = [o for o in result.outcomes if _detail(o)]
    if problems:
        lines += ["", "#### Errors", ""]
        for o in problems:
            lines.append(f"* **{escape_markdown(o.offer_name)}** ({escape_markdown(o.status)})")
            lines.extend(f"  * {escape_markdown(text)}" for text in _detail(o))
    if result.journal and not result.journal_closed:
        lines += [
            "",
            "Unfinished work is kept in the apply journal; run `reconciler jobs resume`.",
        ]
    lines += ["", "<details><summary>Offer ids, files and job ids</summary>", ""]
    for o in result.outcomes:
        bits = [inline_code(f"{o.file}:{o.line}")]
        if o.offer_id:
            bits.append(f"offer {inline_code(o.offer_id)}")
        if o.job_ids:
            bits.append("jobs " + ", ".join(inline_code(j) for j in o.job_ids))
        lines.append(f"* {escape_markdown(o.offer_name)}: {' · '.join(bits)}")
    lines += ["", "</details>"]
    return redact("\n".join(lines) + "\n")


def outputs(result: ApplyResult) -> dict[str, object]:
    """Step outputs for GitHub Actions: counts per status plus the exit code."""
    values: dict[str, object] = dict(result.counts())
    values["exit-code"] = result.exit_code
    values["changes"] = len(result.outcomes)
    return values
