"""Banners and sections a plan's own facts call for: a targeted plan that read every file,
files renamed with their offer still managed, and drift kept apart from a pull request.

The plan records these as data (``Selection.full_because``, :class:`~reconciler.plan.gone.Gone`,
``Plan.drift``); this module words them for the renderers, as :class:`PlanExtra` items the
markdown, text and JSON renderers show like every other note. ``markdown`` is escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.markdown import escape_markdown, inline_code, md_inline
from reconciler.plan.changes import Change
from reconciler.plan.extras import ExtraKind, ExtraLevel, PlanExtra
from reconciler.plan.gone import MovedFile
from reconciler.plan.plan import Plan, SafetyReport
from reconciler.secrets import redact

DRIFT_TITLE = "Not part of this pull request: changed outside git"
INCLUDE_LABEL = "offers:include-drift"
HOW_TO_INCLUDE = (
    f"to apply them with this pull request, add the label `{INCLUDE_LABEL}` (the plan "
    "runs again with `reconciler plan --include-drift`); to keep the live values instead, "
    "`reconciler import` writes them into the offer files"
)


def drift_notes(plan: Plan, included: Sequence[Change]) -> list[PlanExtra]:
    """After :func:`~reconciler.plan.sections.separate_drift`: a warning for the drift kept
    in the plan (*included*), a section for the drift set apart (``plan.drift``)."""
    notes = [included_drift_banner(len(included))] if included else []
    if plan.drift:
        notes.append(drift_section(plan.drift, counted(plan.safety)))
    return notes


def full_plan_banner(reason: str) -> PlanExtra:
    """A plan asked to read only the changed files read them all, and why."""
    return PlanExtra(
        kind=ExtraKind.BANNER,
        title="Full plan",
        markdown=escape_markdown(f"Every offer file was planned: {reason}."),
        text=f"every offer file was planned: {reason}",
    )


def moved_files_section(moved: Sequence[MovedFile]) -> PlanExtra:
    """A line per renamed file whose offer the new file still manages."""
    md = [
        f"- {inline_code(m.before)} → {inline_code(m.after)}: **{escape_markdown(m.offer_name)}**"
        ", the same offer, still managed; the rename changes nothing live"
        for m in moved
    ]
    text = [f"{m.before} → {m.after}: {m.offer_name}, the same offer; nothing changes live"
            for m in moved]  # fmt: skip
    return PlanExtra(
        kind=ExtraKind.SECTION,
        title="Renamed files",
        markdown="\n".join(md) + "\n",
        text="\n".join(text),
    )


def included_drift_banner(count: int) -> PlanExtra:
    """Changes made outside git that ``--include-drift`` keeps in the plan."""
    return PlanExtra(
        kind=ExtraKind.BANNER,
        level=ExtraLevel.WARNING,
        title=f"{count} change(s) made outside git are included in this plan",
        markdown="They undo edits made in Partner Center; merging applies them.",
        text="they undo edits made in Partner Center; merging applies them",
    )


def counted(safety: SafetyReport) -> str:
    """What the safety thresholds counted once the drift was set apart."""
    return (
        f"The safety thresholds do not count these {safety.drift} change(s): they counted "
        f"this pull request's own, {safety.updates} update(s) and {safety.removals} "
        f"withdrawal(s), deletion(s) or replacement(s) of {safety.managed} managed offer(s)"
    )


def drift_section(drift: list[Change], counts: str | None = None) -> PlanExtra:
    """The section listing the drift, each offer with what apply would do and why not now;
    *counts* says what the safety thresholds counted instead."""
    md = [
        "These offers differ from their files, but this pull request does not change them: "
        "merging it does not touch them. "
        + md_inline(HOW_TO_INCLUDE[0].upper() + HOW_TO_INCLUDE[1:])
        + "."
        + (f" {md_inline(counts)}." if counts else ""),
        "",
    ]
    text = [HOW_TO_INCLUDE[0].upper() + HOW_TO_INCLUDE[1:] + "."]
    if counts:
        text.append(counts + ".")
    for change in drift:
        what = _what(change)
        md.append(
            f"- **{escape_markdown(redact(change.offer_name))}** "
            f"({inline_code(redact(f'{change.file}:{change.line}'))}): {md_inline(redact(what))}"
        )
        text.append(f"{change.offer_name} ({change.file}:{change.line}): {what}")
    return PlanExtra(
        kind=ExtraKind.SECTION,
        title=DRIFT_TITLE,
        markdown="\n".join(md) + "\n",
        text="\n".join(redact(line) for line in text) + "\n",
    )


def _what(change: Change) -> str:
    fields = ", ".join(fc.path for fc in change.field_changes[:5])
    more = len(change.field_changes) - 5
    if more > 0:
        fields += f" and {more} more"
    changed = f"changed outside git ({fields})" if fields else "changed outside git"
    if change.action == "blocked":
        return f"{changed}; it cannot be restored: {change.blocked_reason}"
    return f"{changed}; restoring it would {change.action} the offer"
