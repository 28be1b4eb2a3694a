"""Safety guards evaluated on a finished plan, before anything can be sent.

octoDNS-style thresholds: the share *and* the count of managed offers a plan may update
or take away (withdraw, delete, recreate, republish), active once at least
``plan.min-existing`` offers are managed, so small accounts are not blocked by one change.
Independently of the population, a plan that would withdraw or delete *every* managed
offer is refused unless ``plan.allow-withdraw-all`` is set (a deleted directory or a
wrong ``--role`` must never empty an account).

Per-offer protection (``reconciler: {protect: true}``) is enforced by the planner, which
turns the disruptive change into a ``Blocked`` one; the guards here only count.

Violations block the plan (exit 3) unless ``--force`` was given; each names its override.

A pull request's plan counts only the changes the pull request proposes: once
:func:`reconciler.plan.sections.separate_drift` has set the changes made outside git apart,
:func:`recount` evaluates the thresholds again without them (they are not applied with the
plan, so they cannot make it too large), and the report and its messages say so.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.plan.changes import Change
from reconciler.plan.plan import SafetyReport, SafetyRule, SafetyViolation
from reconciler.settings import PlanSettings

UPDATE_ACTIONS = frozenset({"update", "publish", "partner-complete"})
REMOVE_ACTIONS = frozenset({"withdraw", "delete", "recreate", "republish"})


#: The guards this module evaluates (other checks add violations of their own, e.g. prices).
THRESHOLD_RULES = frozenset(
    {SafetyRule.WITHDRAW_THRESHOLD, SafetyRule.UPDATE_THRESHOLD, SafetyRule.WITHDRAW_ALL}
)


def evaluate(
    changes: Sequence[Change],
    managed: int,
    active: int,
    settings: PlanSettings,
    *,
    force: bool,
    drift: int = 0,
) -> SafetyReport:
    """*managed*: live offers claimed by a file; *active*: those not yet withdrawn/deleted;
    *drift*: changes made outside git left out of *changes* (named in each message)."""
    updates = sum(1 for c in changes if c.action in UPDATE_ACTIONS)
    removals = sum(1 for c in changes if c.action in REMOVE_ACTIONS)
    takedowns = sum(1 for c in changes if c.action in ("withdraw", "delete"))
    counted = (
        f"; counted: this pull request's changes, not the {drift} made outside git" if drift else ""
    )
    violations: list[SafetyViolation] = []
    if managed >= settings.min_existing and managed > 0:
        share = removals / managed
        if removals > settings.withdraw_max or share > settings.withdraw_threshold:
            violations.append(
                SafetyViolation(
                    rule=SafetyRule.WITHDRAW_THRESHOLD,
                    message=(
                        f"{removals} of {managed} managed offers would be withdrawn, deleted, "
                        f"recreated or republished ({share:.0%}; limits "
                        f"{settings.withdraw_threshold:.0%} "
                        f"and {settings.withdraw_max}{counted})"
                    ),
                    override="--force, or raise plan.withdraw-threshold / plan.withdraw-max",
                )
            )
        share = updates / managed
        if updates > settings.update_max or share > settings.update_threshold:
            violations.append(
                SafetyViolation(
                    rule=SafetyRule.UPDATE_THRESHOLD,
                    message=(
                        f"{updates} of {managed} managed offers would be updated ({share:.0%}; "
                        f"limits {settings.update_threshold:.0%} and {settings.update_max}"
                        f"{counted})"
                    ),
                    override="--force, or raise plan.update-threshold / plan.update-max",
                )
            )
    if active > 0 and takedowns >= active and not settings.allow_withdraw_all:
        violations.append(
            SafetyViolation(
                rule=SafetyRule.WITHDRAW_ALL,
                message=f"the plan would withdraw or delete every managed offer ({active})",
                override="--force, or set plan.allow-withdraw-all = true",
            )
        )
    return SafetyReport(
        violations=violations,
        forced=force,
        managed=managed,
        updates=updates,
        removals=removals,
        active=active,
        drift=drift,
    )


def recount(
    report: SafetyReport, changes: Sequence[Change], drift: int, settings: PlanSettings
) -> SafetyReport:
    """*report* evaluated again over *changes* alone (*drift* changes were set apart), with
    the same population; violations of other checks (prices) are kept as they were."""
    again = evaluate(
        changes, report.managed, report.active, settings, force=report.forced, drift=drift
    )
    others = [v for v in report.violations if v.rule not in THRESHOLD_RULES]
    again.violations = [*again.violations, *others]
    return again
