"""List prices: the public plan's price resource, and the prices of an entry to compare with it.

The documented read ``GET price-and-availability-private-offer-plan/{productId}?plan=``
returns the price resource of an existing public plan (docs/api-unknowns.md, list prices):
its prices are the list prices the price guard compares a private offer's absolute prices
with. Each price is reduced to a *price point*: where it is written, its value, the value
per month of the payment period and the matching list price per month (recurrent prices by
billing-term length, meters by id, VM reservations by size), so terms paid monthly and
yearly compare with each other and with list.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

from pydantic import ValidationError

from reconciler.errors import ApiError
from reconciler.offers import domain
from reconciler.offers.loader import OfferFile
from reconciler.offers.model import (
    ChannelPartnerOffer,
    PlanPricing,
    PriceDetails,
    PricingEntry,
    SoftwareReservation,
    Term,
)


class PriceClient(Protocol):
    """The read call of :class:`reconciler.api.client.ProductIngestionClient` the guard uses."""

    def get_price_template(self, product_id: str, plan_id: str) -> dict[str, object]: ...


PlanKey = tuple[str, str]


def plan_key(product: str, plan: str) -> PlanKey:
    """``plan/987654`` and ``plan/<productGuid>/987654`` name the same public plan."""
    return (domain.product_id(product).lower(), domain.plan_key(plan, product).lower())


def entry_plan(entry: PricingEntry) -> str | None:
    return entry.plan or entry.base_plan


def list_price_plans(files: Iterable[OfferFile]) -> dict[PlanKey, tuple[str, str]]:
    """The public plans whose list price the files' absolute prices need (product, plan)."""
    wanted: dict[PlanKey, tuple[str, str]] = {}
    for f in files:
        for entry in pricing_entries(f):
            plan = entry_plan(entry)
            if entry.discount_type == "absolute" and plan:
                wanted.setdefault(plan_key(entry.product, plan), (entry.product, plan))
    return wanted


def fetch_list_prices(
    client: PriceClient, files: Iterable[OfferFile]
) -> tuple[dict[PlanKey, PriceDetails], list[str]]:
    """Read each needed plan's list price once; unreadable ones are named, not fatal."""
    prices: dict[PlanKey, PriceDetails] = {}
    unavailable: list[str] = []
    for key, (product, plan) in sorted(list_price_plans(files).items()):
        try:
            template = client.get_price_template(product, plan)
            body = {k: template[k] for k in ("pricing", "softwareReservation") if k in template}
            prices[key] = PriceDetails.model_validate(body)
        except ApiError as exc:
            unavailable.append(f"{plan} ({product}): {exc.message}")
        except ValidationError:
            unavailable.append(f"{plan} ({product}): the list price has an unexpected shape")
    return prices, unavailable


def pricing_entries(f: OfferFile) -> list[PricingEntry]:
    return [] if isinstance(f.offer, ChannelPartnerOffer) else list(f.offer.pricing or [])


def _months(term: Term) -> int:
    return term.value * (12 if term.type == "year" else 1)


PricePoint = tuple[list[str | int], float, float, float | None, float]


def _recurrent_list(listed: PlanPricing | None) -> dict[int, float]:
    """List price per month, by billing-term length in months."""
    out: dict[int, float] = {}
    if listed and listed.recurrent_price:
        for price in listed.recurrent_price.prices:
            payment = _months(price.payment_option or price.billing_term)
            out[_months(price.billing_term)] = float(price.price_per_payment_in_usd) / payment
    return out


def price_points(details: PriceDetails, listed: PriceDetails | None) -> Iterator[PricePoint]:
    """Each price of *details*: (path, value, per month, list per month, months per payment)."""
    pricing = details.pricing
    list_pricing = listed.pricing if listed else None
    if pricing and pricing.recurrent_price:
        terms = _recurrent_list(list_pricing)
        for j, price in enumerate(pricing.recurrent_price.prices):
            payment = _months(price.payment_option or price.billing_term)
            value = float(price.price_per_payment_in_usd)
            parts: list[str | int] = ["pricing", "recurrentPrice", "prices", j]
            parts.append("pricePerPaymentInUsd")
            yield parts, value, value / payment, terms.get(_months(price.billing_term)), payment
    if pricing and pricing.custom_meters:
        list_meters = (
            list_pricing.custom_meters.meters if list_pricing and list_pricing.custom_meters else {}
        )
        for meter_id, meter in pricing.custom_meters.meters.items():
            if meter.price_per_payment_in_usd is None:
                continue
            value = float(meter.price_per_payment_in_usd)
            ref = list_meters.get(meter_id)
            ref_value = (
                float(ref.price_per_payment_in_usd)
                if ref and ref.price_per_payment_in_usd
                else None
            )
            yield (
                ["pricing", "customMeters", "meters", meter_id, "pricePerPaymentInUsd"],
                value,
                value,
                ref_value,
                1.0,
            )
    if details.software_reservation:
        yield from _vm_points(details.software_reservation, listed)


def _vm_points(mine: SoftwareReservation, listed: PriceDetails | None) -> Iterator[PricePoint]:
    ref = listed.software_reservation if listed else None
    payment = _months(mine.payment_schedule)
    ref_payment = _months(ref.payment_schedule) if ref else 1
    for size, vm in mine.vm_prices.items():
        value = float(vm.unit_price_per_payment_period_in_usd)
        ref_vm = ref.vm_prices.get(size) if ref else None
        ref_value = (
            float(ref_vm.unit_price_per_payment_period_in_usd) / ref_payment if ref_vm else None
        )
        parts: list[str | int] = ["softwareReservation", "vmPrices", size]
        parts.append("unitPricePerPaymentPeriodInUsd")
        yield parts, value, value / payment, ref_value, payment
