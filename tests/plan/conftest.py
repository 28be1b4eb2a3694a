"""Fixtures for the plan tests: offer files from text, and a simulated account."""

from __future__ import annotations

import copy
import itertools
import textwrap
from pathlib import Path
from typing import Any

import pytest

from reconciler.offers.loader import OfferFile, load_offer_files, load_offer_text
from reconciler.plan.live import LiveState
from reconciler.plan.plan import Plan
from reconciler.settings import Settings

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "offers"

CUSTOMER = """
privateOfferType: customerPromotion
name: {name}
state: {state}
variableStartDate: true
end: 2027-06-30
acceptBy: 2027-01-31
preparedBy: amy@contoso.com
notificationContacts: [amy@contoso.com, deals@contoso.com]
beneficiaries:
  - id: 8d4e1f7a-3b2c-4d5e-9f6a-7b8c9d0e1f2a:1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f_2021-03-15
    description: Tailspin Toys
pricing:
  - product: product/34771906-9711-4196-9f60-4af380fd5042
    plan: plan/123456
    discountType: percentage
    discountPercentage: {discount}
  - product: product/34771906-9711-4196-9f60-4af380fd5042
    plan: plan/234567
    discountType: percentage
    discountPercentage: 7
{extra}
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(root=tmp_path)


def customer_file(
    settings: Settings,
    *,
    name: str = "Tailspin Analytics",
    state: str = "live",
    discount: float = 5,
    extra: str = "",
    path: str = "offers/tailspin.yaml",
) -> OfferFile:
    text = CUSTOMER.format(name=name, state=state, discount=discount, extra=textwrap.dedent(extra))
    return load_offer_text(text, path, settings, strict=False)


def examples(settings: Settings) -> list[OfferFile]:
    return load_offer_files([EXAMPLES], settings, strict=False)


class FakeAccount:
    """Plays the API's part for unit tests: applies a plan's create steps like the service
    would (durable ids, eTags, price resources by durable id, names added)."""

    def __init__(self) -> None:
        self.live = LiveState()
        self._ids = itertools.count(1)

    def create_from(self, plan: Plan, *, sub_state: str | None = "pendingAcceptance") -> None:
        for change in plan.changes:
            assert change.action == "create", change.action
            self.add(change.steps[0].resources, sub_state=sub_state)

    def add(
        self, resources: list[dict[str, Any]], *, sub_state: str | None = None
    ) -> dict[str, Any]:
        offer = copy.deepcopy(next(r for r in resources if "privateOfferType" in r))
        prices = {r["resourceName"]: r for r in resources if "privateOfferType" not in r}
        offer.pop("resourceName")
        n = next(self._ids)
        offer["id"] = f"private-offer/00000000-0000-0000-0000-{n:012d}"
        offer["eTag"] = f'"etag-{n}"'
        offer["lastModified"] = "2026-01-01"
        if offer["state"] == "live" and sub_state:
            offer["subState"] = sub_state
        for entry in offer.get("pricing", []):
            entry["productName"] = "Contoso Analytics"
            details = entry.get("priceDetails")
            if isinstance(details, dict):
                price = dict(prices[details["resourceName"]])
                price.pop("resourceName")
                durable = f"price-and-availability-private-offer-plan/x/{n}{len(self.live.prices)}"
                price["id"] = durable
                self.live.prices[durable] = price
                entry["priceDetails"] = durable
        self.live.offers.append(offer)
        return offer
