"""Rules on pricing entries: discount and markup ranges, plans by pricing type, absolute prices."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from reconciler.offers.model import (
    CspOffer,
    CustomerOffer,
    CustomMeters,
    OfferBase,
    OriginatorOffer,
    PriceDetails,
    PricingEntry,
    RecurrentPrice,
    SoftwareReservation,
)
from reconciler.offers.rules.common import (
    DISCOUNT_RANGE,
    MAX_PRICING_ENTRIES,
    PLAN_ID,
    PRODUCT_ID,
    Finding,
    Path,
    duplicates,
    plan_ref,
)


def pricing(offer: CustomerOffer | CspOffer | OriginatorOffer) -> Iterator[Finding]:
    entries = offer.pricing or []
    if len(entries) > MAX_PRICING_ENTRIES:
        yield Finding(
            ("pricing",),
            f"has {len(entries)} entries; at most {MAX_PRICING_ENTRIES} products/plans are allowed",
            "max-pricing-entries",
        )
    pricing_type = getattr(offer, "offer_pricing_type", None) or "editExistingOfferPricingOnly"
    for i, entry in enumerate(entries):
        yield from pricing_entry(entry, ("pricing", i), pricing_type, offer)
    yield from duplicates(
        [
            (
                e.product.lower(),
                plan_ref(e.product, e.plan),
                plan_ref(e.product, e.base_plan),
                e.new_plan_details.name if e.new_plan_details else None,
            )
            for e in entries
        ],
        ("pricing",),
        "product",
        "pricing entry",
    )


def pricing_entry(
    entry: PricingEntry, base: Path, pricing_type: str, offer: OfferBase
) -> Iterator[Finding]:
    if not PRODUCT_ID.match(entry.product):
        yield Finding((*base, "product"), "must be a product id product/<guid>", "id-format")
    for key, value in (("plan", entry.plan), ("basePlan", entry.base_plan)):
        if value is not None and not PLAN_ID.match(value):
            yield Finding((*base, key), "must be a plan id plan/<id>", "id-format")

    yield from _discount(entry, base, offer)
    yield from PRICING_TYPE_RULES.get(pricing_type, _no_rule)(entry, base, pricing_type)
    if entry.price_details is not None:
        yield from price_details(entry.price_details, (*base, "priceDetails"))


def _discount(entry: PricingEntry, base: Path, offer: OfferBase) -> Iterator[Finding]:
    """discountType decides which of discountPercentage / priceDetails is present."""
    if entry.discount_type == "percentage":
        if entry.discount_percentage is None:
            yield Finding(
                (*base, "discountPercentage"),
                "is required when discountType is percentage",
                "discount-type-fields",
            )
        elif not DISCOUNT_RANGE[0] <= entry.discount_percentage <= DISCOUNT_RANGE[1]:
            yield Finding(
                (*base, "discountPercentage"),
                f"{entry.discount_percentage} is out of range {DISCOUNT_RANGE[0]} to "
                f"{DISCOUNT_RANGE[1]}",
                "discount-range",
            )
        if entry.price_details is not None:
            yield Finding(
                (*base, "priceDetails"),
                "is only for discountType absolute",
                "discount-type-fields",
            )
    else:
        if entry.price_details is None:
            yield Finding(
                (*base, "priceDetails"),
                "is required when discountType is absolute (write the prices inline)",
                "discount-type-fields",
            )
        if entry.discount_percentage is not None:
            yield Finding(
                (*base, "discountPercentage"),
                "is only for discountType percentage",
                "discount-type-fields",
            )
        if isinstance(offer, CspOffer):
            yield Finding(
                (*base, "discountType"),
                "a CSP offer gives resellers a percentage margin; absolute prices are not "
                "available",
                "csp-percentage-only",
            )


def _edit_existing(entry: PricingEntry, base: Path, pricing_type: str) -> Iterator[Finding]:
    """editExistingOfferPricingOnly: a public plan (or all of them), no new plan."""
    rule = "pricing-type-edit-existing"
    if entry.base_plan is not None:
        yield Finding(
            (*base, "basePlan"),
            "is for saasNewCustomizedPlans/vmSoftwareReservations; use plan with "
            "editExistingOfferPricingOnly",
            rule,
        )
    if entry.new_plan_details is not None:
        yield Finding(
            (*base, "newPlanDetails"),
            "is not allowed with editExistingOfferPricingOnly",
            rule,
        )
    if entry.plan is None and entry.discount_type == "absolute":
        yield Finding(
            (*base, "plan"),
            "is required for absolute prices (only a percentage may cover all plans)",
            rule,
        )
    if entry.price_details is not None and entry.price_details.software_reservation:
        yield Finding(
            (*base, "priceDetails", "softwareReservation"),
            "is only for vmSoftwareReservations",
            rule,
        )


def _new_plans(entry: PricingEntry, base: Path, pricing_type: str) -> Iterator[Finding]:
    """saasNewCustomizedPlans / newCustomizedPlans: a base plan, the new plan's name, prices."""
    rule = "pricing-type-new-plans"
    yield from needs_base_plan(entry, base, pricing_type, rule)
    if entry.new_plan_details is None:
        yield Finding(
            (*base, "newPlanDetails"),
            f"is required with {pricing_type} (name and description of the new plan)",
            rule,
        )
    if entry.price_details is not None and entry.price_details.pricing is None:
        yield Finding(
            (*base, "priceDetails", "pricing"),
            f"is required with {pricing_type}",
            rule,
        )


def _vm_reservations(entry: PricingEntry, base: Path, pricing_type: str) -> Iterator[Finding]:
    """vmSoftwareReservations: a base plan and the reservation's prices; the API names the plan."""
    rule = "pricing-type-vm-reservations"
    yield from needs_base_plan(entry, base, pricing_type, rule)
    if entry.new_plan_details is not None:
        yield Finding(
            (*base, "newPlanDetails"),
            "is generated by the API for vmSoftwareReservations; remove it",
            rule,
        )
    if entry.price_details is not None and entry.price_details.software_reservation is None:
        yield Finding(
            (*base, "priceDetails", "softwareReservation"),
            "is required with vmSoftwareReservations",
            rule,
        )


def _no_rule(entry: PricingEntry, base: Path, pricing_type: str) -> Iterator[Finding]:
    return iter(())


#: offerPricingType -> the rules of an entry under it (a new pricing option adds its rule here).
PRICING_TYPE_RULES: dict[str, Callable[[PricingEntry, Path, str], Iterator[Finding]]] = {
    "editExistingOfferPricingOnly": _edit_existing,
    "saasNewCustomizedPlans": _new_plans,
    "newCustomizedPlans": _new_plans,
    "vmSoftwareReservations": _vm_reservations,
}


def needs_base_plan(
    entry: PricingEntry, base: Path, pricing_type: str, rule: str
) -> Iterator[Finding]:
    if entry.base_plan is None:
        yield Finding(
            (*base, "basePlan"),
            f"is required with {pricing_type} (the public plan used as template)",
            rule,
        )
    if entry.plan is not None:
        yield Finding(
            (*base, "plan"),
            f"is only for editExistingOfferPricingOnly; use basePlan with {pricing_type}",
            rule,
        )
    if entry.discount_type != "absolute":
        yield Finding((*base, "discountType"), f"must be absolute with {pricing_type}", rule)


def price_details(details: PriceDetails, base: Path) -> Iterator[Finding]:
    rule = "price-details-shape"
    if (details.pricing is None) == (details.software_reservation is None):
        yield Finding(base, "needs exactly one of pricing or softwareReservation", rule)
    if details.pricing is not None:
        pricing = details.pricing
        if pricing.recurrent_price is None and pricing.custom_meters is None:
            yield Finding((*base, "pricing"), "needs recurrentPrice, customMeters or both", rule)
        if pricing.recurrent_price is not None:
            yield from _recurrent(pricing.recurrent_price, (*base, "pricing", "recurrentPrice"))
        if pricing.custom_meters is not None:
            yield from _meters(pricing.custom_meters, base)
    if details.software_reservation is not None:
        yield from _reservation(details.software_reservation, base)


def _recurrent(recurrent: RecurrentPrice, where: Path) -> Iterator[Finding]:
    """A flat or per-user price: seat limits only per user, no negative price."""
    rule = "price-details-shape"
    if recurrent.recurrent_price_mode == "perUser" and recurrent.user_limits is None:
        yield Finding((*where, "userLimits"), "is required for perUser prices", rule)
    if recurrent.recurrent_price_mode != "perUser" and recurrent.user_limits is not None:
        yield Finding((*where, "userLimits"), "is only for recurrentPriceMode perUser", rule)
    limits = recurrent.user_limits
    if limits is not None and limits.min > limits.max:
        yield Finding((*where, "userLimits", "min"), "is greater than max", rule)
    for i, price in enumerate(recurrent.prices):
        if price.price_per_payment_in_usd < 0:
            yield Finding(
                (*where, "prices", i, "pricePerPaymentInUsd"), "must not be negative", rule
            )


def _meters(meters: CustomMeters, base: Path) -> Iterator[Finding]:
    """Each custom meter: a price or included quantities (finite or not), never negative."""
    rule = "price-details-shape"
    for meter_id, meter in meters.meters.items():
        where = (*base, "pricing", "customMeters", "meters", meter_id)
        if (meter.price_per_payment_in_usd is None) == (meter.included_quantities is None):
            yield Finding(
                where,
                "needs exactly one of pricePerPaymentInUsd or includedQuantities",
                rule,
            )
        if meter.price_per_payment_in_usd is not None and meter.price_per_payment_in_usd < 0:
            yield Finding((*where, "pricePerPaymentInUsd"), "must not be negative", rule)
        for j, included in enumerate(meter.included_quantities or []):
            infinite = included.is_infinite is True
            if infinite == (included.quantity is not None):
                yield Finding(
                    (*where, "includedQuantities", j),
                    "needs either a quantity or isInfinite: true",
                    rule,
                )
            elif included.quantity is not None and included.quantity < 0:
                yield Finding(
                    (*where, "includedQuantities", j, "quantity"),
                    "must not be negative",
                    rule,
                )


def _reservation(reservation: SoftwareReservation, base: Path) -> Iterator[Finding]:
    """VM reservation prices: a positive quantity, no negative unit price."""
    rule = "price-details-shape"
    for size, vm in reservation.vm_prices.items():
        where = (*base, "softwareReservation", "vmPrices", size)
        if vm.quantity <= 0:
            yield Finding((*where, "quantity"), "must be greater than 0", rule)
        if vm.unit_price_per_payment_period_in_usd < 0:
            yield Finding((*where, "unitPricePerPaymentPeriodInUsd"), "must not be negative", rule)
