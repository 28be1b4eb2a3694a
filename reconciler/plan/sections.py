"""A pull request's plan: its own changes first, drift in a section of its own.

With a baseline (the pull request's base), every change knows why it is there: git changed
the offer since the baseline (``git``), someone changed the live offer outside git
(``live``), or both. A change that only undoes an edit made outside git is not what the
pull request asks for: a reviewer approving an unrelated offer must not approve (nor be
blocked by) a revert of a Partner Center edit, or a drifted CSP offer that cannot be
restored. Such changes leave ``plan.changes`` (so they are neither applied with the
approved plan, nor counted for its exit code or its checksum) and are kept in
``plan.drift``; the renderers (``reconciler.render.plan_notes``) show them in a section
"Not part of this pull request" with how to include them (``--include-drift``; in the
shipped workflow, the pull request label ``offers:include-drift``). The safety thresholds
are counted again over the pull request's own changes (:func:`reconciler.plan.safety.recount`):
a Partner Center edit of many offers must not block (nor tip over a limit) a pull request
that changes one.

Without a baseline (a laptop's ``reconciler plan``, ``apply PATHS``) there is no pull
request to separate from: every change stays in the plan.
"""

from __future__ import annotations

from reconciler.plan.changes import Change
from reconciler.plan.plan import Plan
from reconciler.plan.safety import recount
from reconciler.settings import PlanSettings


def is_drift(change: Change) -> bool:
    """Only the live side moved since the baseline: git did not ask for this change."""
    return change.reason == "live"


def separate_drift(plan: Plan, *, include: bool, settings: PlanSettings) -> list[Change]:
    """Move the changes git did not ask for into ``plan.drift`` (unless *include*), and
    count the safety thresholds again over the changes left.

    Returns the drift changes *include* kept in ``plan.changes`` (the renderers warn of them);
    the ones moved out are ``plan.drift``.
    """
    if plan.meta.baseline is None:
        return []
    drift = [c for c in plan.changes if is_drift(c)]
    if not drift or include:
        return drift
    plan.changes = [c for c in plan.changes if not is_drift(c)]
    plan.drift = drift
    plan.safety = recount(plan.safety, plan.changes, len(drift), settings)
    return []
