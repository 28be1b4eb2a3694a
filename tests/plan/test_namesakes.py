"""Two live offers with one name: the plan says which one the file manages (the newest this
tool's journals record creating, else it asks for `id:`), offers the withdraw of the other
as a reviewable change, and blocks no other offer's change."""

from __future__ import annotations

from reconciler.plan.live import LiveState
from reconciler.plan.planner import PlanOptions, make_plan
from reconciler.settings import PlanSettings, Settings

from .conftest import FakeAccount, customer_file


def _twice(settings: Settings) -> tuple[FakeAccount, list[str]]:
    """An account holding the file's offer twice (a hand-made duplicate), and another offer."""
    account = FakeAccount()
    ids = []
    for _ in range(2):
        plan = make_plan([customer_file(settings)], LiveState(), settings)
        ids.append(str(account.add(plan.changes[0].steps[0].resources, sub_state="x")["id"]))
    return account, ids


def _settings(settings: Settings) -> Settings:
    return Settings(root=settings.root, plan=PlanSettings(min_existing=100))


def test_without_a_known_one_the_file_alone_is_blocked_asking_for_an_id(
    settings: Settings,
) -> None:
    s = _settings(settings)
    account, ids = _twice(s)
    other = customer_file(s, name="Other deal", path="offers/other.yaml")
    plan = make_plan([customer_file(s), other], account.live, s)
    blocked, create = sorted(plan.changes, key=lambda c: c.action != "blocked")
    assert blocked.action == "blocked" and "`id:`" in str(blocked.override)
    assert all(i in str(blocked.blocked_reason) for i in ids)
    assert create.action == "create" and create.offer_name == "Other deal"  # not blocked
    assert not [u for u in plan.unmanaged if u.id in ids]  # named with their file instead


def test_the_newest_offer_this_tool_created_is_managed_and_the_other_withdrawn(
    settings: Settings,
) -> None:
    s = _settings(settings)
    account, (first, second) = _twice(s)
    plan = make_plan([customer_file(s)], account.live, s, options=PlanOptions(ours=(first, second)))
    (withdraw,) = plan.changes
    assert withdraw.action == "withdraw" and withdraw.offer_id == first
    assert withdraw.steps[0].offer_resource["state"] == "withdrawn"
    assert [u.offer_id for u in plan.unchanged] == [second]
    assert not plan.is_blocked


def test_a_pinned_file_offers_the_withdraw_of_its_live_namesake(settings: Settings) -> None:
    s = _settings(settings)
    account, (first, second) = _twice(s)
    plan = make_plan([customer_file(s, extra=f"id: {first}")], account.live, s)
    (withdraw,) = plan.changes
    assert withdraw.action == "withdraw" and withdraw.offer_id == second
