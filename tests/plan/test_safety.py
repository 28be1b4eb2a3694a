"""The safety guards counted again once a pull request's drift is set apart: the thresholds
see only the pull request's own changes, and what other checks found stays."""

from __future__ import annotations

from reconciler.plan.changes import Change, UpdateDraft
from reconciler.plan.plan import Plan, PlanMeta, SafetyRule, SafetyViolation
from reconciler.plan.safety import evaluate
from reconciler.plan.sections import separate_drift
from reconciler.settings import PlanSettings

LIMITS = PlanSettings(min_existing=1, update_max=1, update_threshold=1.0)


def update(n: int, reason: str) -> Change:
    return UpdateDraft(
        file=f"offers/o{n}.yaml",
        line=1,
        offer_name=f"Offer {n}",
        offer_id=f"private-offer/00000000-0000-0000-0000-00000000000{n}",
        kind="customerPromotion",
        live_state="draft",
        desired_state="draft",
        reason=reason,
    )


def pull_request_plan(changes: list[Change]) -> Plan:
    plan = Plan(
        meta=PlanMeta(created_at="2026-12-07T00:00:00+00:00", endpoint="", role="publisher"),
        changes=changes,
    )
    plan.meta.baseline = "main"
    plan.safety = evaluate(changes, managed=4, active=4, settings=LIMITS, force=False)
    return plan


def test_drift_leaves_the_count_and_a_price_warning_still_blocks() -> None:
    plan = pull_request_plan([update(1, "git"), update(2, "live"), update(3, "live")])
    assert [v.rule for v in plan.safety.violations] == [SafetyRule.UPDATE_THRESHOLD]
    price = SafetyViolation(rule=SafetyRule.PRICE_GUARD, message="deep discount", override="x")
    plan.safety.violations.append(price)

    separate_drift(plan, include=False, settings=LIMITS)
    assert (plan.safety.updates, plan.safety.drift) == (1, 2)  # the pull request's one update
    assert plan.safety.violations == [price]  # the threshold is met; the price guard stays
    assert plan.is_blocked


def test_a_violation_says_the_drift_was_not_counted() -> None:
    plan = pull_request_plan([update(1, "git"), update(2, "git"), update(3, "live")])
    separate_drift(plan, include=False, settings=LIMITS)
    (violation,) = plan.safety.violations
    assert violation.message == (
        "2 of 4 managed offers would be updated (50%; limits 100% and 1; counted: this pull "
        "request's changes, not the 1 made outside git)"
    )
    included = pull_request_plan([update(1, "git"), update(2, "live")])
    separate_drift(included, include=True, settings=LIMITS)  # --include-drift: all counted
    assert included.safety.updates == 2 and included.safety.drift == 0
