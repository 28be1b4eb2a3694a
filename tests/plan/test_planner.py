"""The planner against a simulated account: identity, lifecycle actions, origins, safety."""

from __future__ import annotations

import pytest

from reconciler.plan.baseline import Baseline
from reconciler.plan.live import LiveState
from reconciler.plan.planner import PlanOptions, make_plan
from reconciler.settings import PlanSettings, Settings

from .conftest import FakeAccount, customer_file, examples

P = "product/34771906-9711-4196-9f60-4af380fd5042"


def _live_with(
    settings: Settings, state: str = "live", sub_state: str | None = "pendingAcceptance", **kw
):
    account = FakeAccount()
    created = make_plan(
        [customer_file(settings, state=state if state != "withdrawn" else "live", **kw)],
        LiveState(),
        settings,
    )
    account.create_from(created, sub_state=sub_state)
    account.live.offers[0]["state"] = state
    return account


def test_every_example_plans_as_a_create_then_nothing(settings: Settings) -> None:
    files = examples(settings)
    plan = make_plan(files, LiveState(), settings)
    publisher = [f for f in files if f.kind != "multipartyPromotionChannelPartner"]
    assert [c.action for c in plan.changes] == ["create"] * len(publisher)
    assert len(plan.skipped) == len(files) - len(publisher)
    for change in plan.changes:
        assert change.reason == "git"
        offer = change.steps[0].offer_resource
        assert offer["$schema"].endswith("/private-offer/2026-02-01")
        assert "id" not in offer
        assert len(change.steps[0].offer_resource_name) <= 50
    account = FakeAccount()
    account.create_from(plan)
    again = make_plan(files, account.live, settings)
    assert again.changes == [] and not again.has_changes
    assert len(again.unchanged) == len(publisher)


def test_absolute_prices_become_linked_price_resources(settings: Settings) -> None:
    files = [f for f in examples(settings) if f.path.name == "customer-absolute.yaml"]
    step = make_plan(files, LiveState(), settings).changes[0].steps[0]
    price, offer = step.resources  # the price resource comes above the offer naming it
    link = offer["pricing"][0]["priceDetails"]
    assert link == {"resourceName": price["resourceName"]}
    assert price["$schema"].endswith("price-and-availability-private-offer-plan/2025-06-01")
    assert (
        price["plan"] == "plan/987654"
        and price["offerPricingType"] == "editExistingOfferPricingOnly"
    )
    assert "recurrentPrice" in price["pricing"]


def test_draft_edit_is_an_update_with_id_and_etag(settings: Settings) -> None:
    account = _live_with(settings, state="draft")
    plan = make_plan([customer_file(settings, state="draft", discount=9)], account.live, settings)
    (change,) = plan.changes
    assert change.action == "update"
    assert [fc.path for fc in change.field_changes] == [
        f"pricing[{P}/plan/123456].discountPercentage"
    ]
    offer = change.steps[0].offer_resource
    assert offer["id"] == account.live.offers[0]["id"]
    assert offer["eTag"] == account.live.offers[0]["eTag"] == change.steps[0].expect_etag
    assert offer["state"] == "draft"


def test_draft_to_live_is_a_publish(settings: Settings) -> None:
    account = _live_with(settings, state="draft")
    (change,) = make_plan([customer_file(settings, state="live")], account.live, settings).changes
    assert change.action == "publish"
    assert change.field_changes[0].path == "state"
    assert change.steps[0].offer_resource["state"] == "live"


def test_withdraw_and_delete_send_minimal_bodies(settings: Settings) -> None:
    many = PlanSettings(min_existing=100)
    s = Settings(root=settings.root, plan=many)
    account = _live_with(s)
    draft = make_plan([customer_file(s, name="Other", state="draft")], LiveState(), s)
    account.add(draft.changes[0].steps[0].resources)
    live = account.live
    files = [
        customer_file(s, state="withdrawn"),
        customer_file(s, name="Other", state="deleted", path="offers/o.yaml"),
    ]
    plan = make_plan(files, live, s, options=PlanOptions(allow_republish=False))
    assert [c.action for c in plan.changes] == ["withdraw", "delete"]
    for change in plan.changes:
        body = change.steps[0].offer_resource
        assert set(body) == {"$schema", "resourceName", "id", "name", "privateOfferType", "state"}


@pytest.mark.parametrize(
    ("live_state", "sub_state", "desired", "reason"),
    [
        ("live", "pendingAcceptance", "deleted", "only a draft can be deleted"),
        ("live", "accepted", "withdrawn", "contract"),
        ("live", "pendingAcceptance", "draft", "cannot return to draft"),
    ],
)
def test_impossible_transitions_are_blocked_with_a_reason(
    settings: Settings, live_state: str, sub_state: str | None, desired: str, reason: str
) -> None:
    account = _live_with(settings, state=live_state, sub_state=sub_state)
    (change,) = make_plan([customer_file(settings, state=desired)], account.live, settings).changes
    assert change.action == "blocked" and reason in (change.blocked_reason or "")
    assert change.steps == []


@pytest.mark.parametrize("read_back", ["draft", "withdrawn"])
def test_a_withdrawn_file_is_in_sync_with_the_state_a_withdraw_leaves(
    settings: Settings, read_back: str
) -> None:
    # "a withdrawn offer goes back to Draft" (docs): after the withdraw the API reads back
    # draft, and the file that asked for it must not stay blocked forever.
    account = _live_with(settings, state=read_back, sub_state=None)
    plan = make_plan([customer_file(settings, state="withdrawn")], account.live, settings)
    assert plan.changes == []


def test_editing_a_live_offer_needs_republish_permission(settings: Settings) -> None:
    account = _live_with(settings)
    edited = customer_file(settings, discount=9)
    (blocked,) = make_plan([edited], account.live, settings).changes
    assert blocked.action == "blocked" and blocked.wanted == "republish"
    assert "--allow-republish" in (blocked.override or "")
    (change,) = make_plan(
        [edited], account.live, settings, options=PlanOptions(allow_republish=True)
    ).changes
    assert change.action == "republish" and change.disruptive
    assert [s.kind for s in change.steps] == ["withdraw", "update"]
    assert change.steps[1].offer_resource["state"] == "live"
    per_file = customer_file(settings, discount=9, extra="reconciler: {allowRepublish: true}")
    assert make_plan([per_file], account.live, settings).changes[0].action == "republish"


def test_accepted_offer_cannot_change(settings: Settings) -> None:
    account = _live_with(settings, sub_state="accepted")
    plan = make_plan(
        [customer_file(settings, discount=9)],
        account.live,
        settings,
        options=PlanOptions(allow_republish=True),
    )
    assert plan.changes[0].action == "blocked" and "contract" in (
        plan.changes[0].blocked_reason or ""
    )
    assert plan.is_blocked


def test_protected_offer_is_never_withdrawn(settings: Settings) -> None:
    account = _live_with(settings)
    f = customer_file(settings, state="withdrawn", extra="reconciler: {protect: true}")
    (change,) = make_plan([f], account.live, settings).changes
    assert change.action == "blocked" and change.wanted == "withdraw"
    assert "protect" in (change.override or "")


def test_unmanaged_offers_are_listed_and_never_touched(settings: Settings) -> None:
    account = _live_with(settings)
    plan = make_plan([], account.live, settings)
    assert plan.changes == []
    assert [u.name for u in plan.unmanaged] == ["Tailspin Analytics"]


def test_two_live_offers_with_one_name_ask_for_a_pinned_id(settings: Settings) -> None:
    account = _live_with(settings)
    account.live.offers.append(
        {**account.live.offers[0], "id": "private-offer/00000000-0000-0000-0000-000000000099"}
    )
    (blocked,) = make_plan([customer_file(settings)], account.live, settings).changes
    assert blocked.action == "blocked" and "pin" in str(blocked.blocked_reason)
    # a withdrawn namesake does not count when exactly one other is active
    account.live.offers[1]["state"] = "withdrawn"
    assert make_plan([customer_file(settings)], account.live, settings).changes == []


def test_origins_from_the_baseline(settings: Settings) -> None:
    account = _live_with(settings)
    base = customer_file(settings).api_body()
    account.live.offers[0]["pricing"][1]["discountPercentage"] = 8  # edited outside git
    desired = customer_file(settings, discount=9)  # edited in git
    baseline = Baseline(ref="main", bodies={"offers/tailspin.yaml": base})
    (change,) = make_plan(
        [desired],
        account.live,
        settings,
        baseline=baseline,
        options=PlanOptions(allow_republish=True),
    ).changes
    origins = {fc.path: fc.origin for fc in change.field_changes}
    assert origins == {
        f"pricing[{P}/plan/123456].discountPercentage": "git",
        f"pricing[{P}/plan/234567].discountPercentage": "live",
    }
    assert change.reason == "both"


def test_withdrawing_every_managed_offer_is_refused(settings: Settings) -> None:
    account = _live_with(settings)
    plan = make_plan([customer_file(settings, state="withdrawn")], account.live, settings)
    assert [v.rule for v in plan.safety.violations] == ["withdraw-all"]
    assert plan.is_blocked
    forced = make_plan(
        [customer_file(settings, state="withdrawn")],
        account.live,
        settings,
        options=PlanOptions(force=True),
    )
    assert not forced.is_blocked and forced.has_changes


def test_update_threshold_counts_managed_offers(settings: Settings) -> None:
    s = Settings(root=settings.root, plan=PlanSettings(min_existing=2, update_threshold=0.4))
    account = FakeAccount()
    files = [
        customer_file(s, name=f"Offer {i}", state="draft", path=f"offers/{i}.yaml")
        for i in range(3)
    ]
    account.create_from(make_plan(files, LiveState(), s))
    edited = [
        customer_file(s, name=f"Offer {i}", state="draft", discount=9, path=f"offers/{i}.yaml")
        for i in range(2)
    ]
    plan = make_plan([*edited, files[2]], account.live, s)
    assert [v.rule for v in plan.safety.violations] == ["update-threshold"]
    assert "--force" in plan.safety.violations[0].override


def test_a_name_in_other_case_or_spacing_is_the_same_offer(settings: Settings) -> None:
    account = _live_with(settings)
    account.live.offers[0]["name"] = "  TAILSPIN analytics"
    plan = make_plan([customer_file(settings)], account.live, settings)
    # the file manages the live offer (a change of its name), never a second offer
    [change] = plan.changes
    assert change.action == "blocked"  # a live offer's edit needs republish permission
    assert change.offer_id == account.live.offers[0]["id"]
    assert [f.path for f in change.field_changes] == ["name"]
    assert plan.unmanaged == []


def test_live_plan_ids_in_the_long_form_match_the_file(settings: Settings) -> None:
    account = _live_with(settings)
    for entry in account.live.offers[0]["pricing"]:
        entry["plan"] = entry["plan"].replace("plan/", f"plan/{P.split('/')[1]}/")
    assert make_plan([customer_file(settings)], account.live, settings).changes == []
