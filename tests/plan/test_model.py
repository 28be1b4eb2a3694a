"""The plan data model: exact round trip, checksum, tamper detection, batching."""

from __future__ import annotations

import json

import pytest

from reconciler.errors import PlanFileError
from reconciler.plan.changes import Blocked, Create, FieldChange, Step, Withdraw
from reconciler.plan.plan import Plan, PlanMeta, SafetyReport, SafetyViolation, batches


def _step(name: str, n: int = 1) -> Step:
    resources = [{"$schema": "s", "resourceName": f"{name}-{i}"} for i in range(n)]
    resources[0]["resourceName"] = name
    return Step(kind="create", resources=resources, offer_resource_name=name)


def _plan() -> Plan:
    meta = PlanMeta(created_at="2026-01-01T00:00:00+00:00", endpoint="https://x", role="publisher")
    withdraw = Withdraw(
        file="offers/b.yaml",
        line=3,
        offer_name="B",
        offer_id="private-offer/1",
        kind="customerPromotion",
        etag='"e"',
        field_changes=[FieldChange(path="state", old="live", new="withdrawn", origin="git")],
        reason="git",
        steps=[_step("offer-b")],
        live_state="live",
        desired_state="withdrawn",
    )
    create = Create(
        file="offers/z.yaml",
        line=1,
        offer_name="Z",
        offer_id=None,
        kind="cspPromotion",
        field_changes=[
            FieldChange(
                path="pricing[p/plan/1].discountPercentage", old=None, new=5, origin="git", op="add"
            )
        ],
        reason="git",
        steps=[_step("offer-z", 2)],
    )
    blocked = Blocked(
        file="offers/a.yaml",
        line=2,
        offer_name="A",
        offer_id="private-offer/2",
        kind="customerPromotion",
        blocked_reason="accepted",
        override=None,
        wanted="update",
    )
    return Plan(meta=meta, changes=[blocked, withdraw, create])


def test_changes_sort_by_action_then_file() -> None:
    plan = _plan()
    assert [c.action for c in plan.changes] == ["create", "withdraw", "blocked"]


def test_round_trip_is_exact() -> None:
    plan = _plan()
    data = json.loads(plan.to_json())
    again = Plan.from_data(data)
    assert again.to_data() == data
    assert again.checksum == plan.checksum


def test_checksum_ignores_metadata_but_not_changes() -> None:
    a, b = _plan(), _plan()
    b.meta.created_at = "2030-01-01T00:00:00+00:00"
    assert a.checksum == b.checksum
    b.changes[0].steps[0].resources[0]["name"] = "other"
    assert a.checksum != b.checksum


def test_tampered_plan_is_refused() -> None:
    data = _plan().to_data()
    data["changes"][0]["steps"][0]["resources"][0]["discountPercentage"] = 99
    with pytest.raises(PlanFileError, match="checksum"):
        Plan.from_data(data)


def test_unknown_schema_is_refused() -> None:
    data = _plan().to_data()
    data["schema"] = "offers-plan/2"
    with pytest.raises(PlanFileError, match="unsupported schema"):
        Plan.from_data(data)
    with pytest.raises(PlanFileError, match="not valid JSON"):
        Plan.from_json("{")


def test_blocked_and_summary() -> None:
    plan = _plan()
    assert plan.has_changes and plan.is_blocked
    assert plan.summary_line() == "1 to create, 1 to withdraw, 1 blocked"
    assert any("accepted" in r for r in plan.blocked_reasons())


def test_safety_violation_blocks_unless_forced() -> None:
    meta = PlanMeta(created_at="t", endpoint="e", role="publisher")
    violation = SafetyViolation(rule="withdraw-all", message="every offer", override="--force")
    assert Plan(meta=meta, safety=SafetyReport(violations=[violation])).is_blocked
    assert not Plan(meta=meta, safety=SafetyReport(violations=[violation], forced=True)).is_blocked


def test_batches_keep_a_step_together_and_respect_the_limit() -> None:
    steps = [("a", _step("a", 3)), ("b", _step("b", 2)), ("c", _step("c", 5)), ("d", _step("d", 1))]
    groups = batches(steps, 4)
    assert [[name for name, _ in g] for g in groups] == [["a"], ["b"], ["c"], ["d"]]
    groups = batches(steps, 6)
    assert [[name for name, _ in g] for g in groups] == [["a", "b"], ["c", "d"]]
    for group in groups:
        names = [r["resourceName"] for _, s in group for r in s.resources]
        assert len(names) == len(set(names))


def test_batches_never_repeat_a_resource_name_in_one_request() -> None:
    groups = batches([("x", _step("same")), ("y", _step("same"))], 20)
    assert len(groups) == 2
