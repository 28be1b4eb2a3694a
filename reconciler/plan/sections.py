"""A pull request's plan: its own changes first, drift in a section of its own.

With a baseline (the pull request's base), every change knows why it is there: git changed
the offer since the baseline (``git``), someone changed the live offer outside git
(``live``), or both. A change that only undoes an edit made outside git is not what the
pull request asks for: a reviewer approving an unrelated offer must not approve (nor be
blocked by) a revert of a Partner Center edit, or a drifted CSP offer that cannot be
restored. Such changes leave ``plan.changes`` (so they are neither applied with the
approved plan, nor counted for its exit code or its checksum) and are kept in
``plan.drift``, shown in a section "Not part of this pull request" with how to include
them (``--include-drift``; in the shipped workflow, the pull request label
``offers:include-drift``).

Without a baseline (a laptop's ``reconciler plan``, ``apply PATHS``) there is no pull
request to separate from: every change stays in the plan.
"""

from __future__ import annotations

from reconciler.markdown import escape_markdown, inline_code, md_inline
from reconciler.plan.changes import Change
from reconciler.plan.extras import ExtraKind, ExtraLevel, PlanExtra
from reconciler.plan.plan import Plan
from reconciler.secrets import redact

DRIFT_TITLE = "Not part of this pull request: changed outside git"
INCLUDE_LABEL = "offers:include-drift"
HOW_TO_INCLUDE = (
    f"to apply them with this pull request, add the label `{INCLUDE_LABEL}` (the plan "
    "runs again with `reconciler plan --include-drift`); to keep the live values instead, "
    "`reconciler import` writes them into the offer files"
)


def is_drift(change: Change) -> bool:
    """Only the live side moved since the baseline: git did not ask for this change."""
    return change.reason == "live"


def separate_drift(plan: Plan, *, include: bool) -> None:
    """Move the changes git did not ask for into ``plan.drift`` (unless *include*)."""
    if plan.meta.baseline is None:
        return
    drift = [c for c in plan.changes if is_drift(c)]
    if not drift:
        return
    if include:
        plan.extras.append(
            PlanExtra(
                kind=ExtraKind.BANNER,
                level=ExtraLevel.WARNING,
                title=f"{len(drift)} change(s) made outside git are included in this plan",
                markdown="They undo edits made in Partner Center; merging applies them.",
                text="they undo edits made in Partner Center; merging applies them",
            )
        )
        return
    plan.changes = [c for c in plan.changes if not is_drift(c)]
    plan.drift = drift
    plan.extras.append(drift_section(drift))


def drift_section(drift: list[Change]) -> PlanExtra:
    """The section listing the drift, each offer with what apply would do and why not now."""
    md = [
        "These offers differ from their files, but this pull request does not change them: "
        "merging it does not touch them. "
        + md_inline(HOW_TO_INCLUDE[0].upper() + HOW_TO_INCLUDE[1:])
        + ".",
        "",
    ]
    text = [HOW_TO_INCLUDE[0].upper() + HOW_TO_INCLUDE[1:] + "."]
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
