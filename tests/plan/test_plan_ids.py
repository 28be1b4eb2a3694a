"""A plan's two names from the plan list: one read per product, and what happens without it."""

from __future__ import annotations

from typing import Any

from reconciler.errors import ForbiddenError
from reconciler.plan.plan_ids import PlanIds, priced_products, read_plan_ids

PRODUCT = "product/34771906-9711-4196-9f60-4af380fd5042"
DURABLE = "plan/34771906-9711-4196-9f60-4af380fd5042/c61642ed-1d5e-51b8-9491-0668505383aa"
LISTED = [{"id": DURABLE, "identity": {"externalId": "123456"}, "alias": "Standard"}]


class Lister:
    def __init__(self, refuse: bool = False) -> None:
        self.asked: list[str] = []
        self.refuse = refuse

    def list_plans(self, product_id: str) -> list[dict[str, Any]]:
        self.asked.append(product_id)
        if self.refuse:
            raise ForbiddenError("forbidden", status=403)
        return LISTED


def test_both_names_of_a_plan_are_one_key_and_each_product_is_read_once() -> None:
    lister = Lister()
    plans = read_plan_ids(lister, {PRODUCT})
    read_plan_ids(lister, {PRODUCT}, into=plans)  # a later stage of the same run
    assert lister.asked == [PRODUCT]
    assert plans.key(PRODUCT, DURABLE) == plans.key(PRODUCT, "plan/123456") == "plan/123456"
    assert plans.key(PRODUCT, DURABLE.upper().replace("PLAN/", "plan/")) == "plan/123456"
    assert plans.key(PRODUCT, "plan/999999") is None
    live = {"pricing": [{"product": PRODUCT, "plan": DURABLE, "discountPercentage": 5}]}
    assert plans.named(live)["pricing"] == [
        {"product": PRODUCT, "plan": "plan/123456", "discountPercentage": 5}
    ]
    same = {"pricing": [{"product": PRODUCT, "plan": "plan/123456"}]}
    assert plans.named(same) is same  # nothing to rename: no copy


def test_without_a_readable_list_the_product_is_left_to_the_service() -> None:
    refused = read_plan_ids(Lister(refuse=True), {PRODUCT})
    assert not refused.knows(PRODUCT) and refused.key(PRODUCT, "plan/999999") is None
    assert read_plan_ids(object(), {PRODUCT}).products == {}  # a reader without plan lists
    assert PlanIds().named_all([{"id": "x"}]) == [{"id": "x"}]


def test_only_durable_references_ask_for_a_list_when_asked_so() -> None:
    bodies = [
        {"pricing": [{"product": PRODUCT, "plan": "plan/123456"}]},
        {"pricing": [{"product": "product/OTHER", "basePlan": "plan/other/guid"}]},
        {"pricing": [{"product": "product/none", "discountPercentage": 5}]},  # offer-level
    ]
    assert priced_products(bodies) == {PRODUCT, "product/other"}
    assert priced_products(bodies, durable_only=True) == {"product/other"}
