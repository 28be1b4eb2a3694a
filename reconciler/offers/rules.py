"""Business rules of private offers, beyond what the models' types express.

Every rule has an id (the ``rule`` of a :class:`~reconciler.errors.Problem`), a source in
docs/product-ingestion-api.md, and a strictness; docs/validation.md is the table. A rule
returns :class:`Finding` objects whose ``path`` uses the file's (camelCase) keys, so the
loader can point at the exact line.

Strictness: rules the API is known (or documented) to enforce are always errors. Rules
documented only for the Partner Center UI, whose API enforcement is unknown, are in
:data:`UI_ONLY_RULES`: errors when ``strict`` is on, warnings otherwise.
Time-dependent rules take ``today`` from the caller, never from the clock, so tests are
stable.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from reconciler.offers.model import (
    ChannelPartnerOffer,
    CspOffer,
    CustomerOffer,
    OfferBase,
    OriginatorOffer,
    PriceDetails,
    PricingEntry,
)

Path = tuple[str | int, ...]

# Limits (docs/product-ingestion-api.md §7); the JSON Schema states the same numbers.
MAX_PRICING_ENTRIES = 10
MAX_NOTIFICATION_CONTACTS = 5
MAX_CHANNEL_PARTNERS = 1
MAX_CUSTOMER_BENEFICIARIES = 1
MAX_RECIPIENTS_PER_CSP_PARTNER = 25
MAX_CSP_PARTNERS = 150  # the schema dump; the UI FAQ says 400 CSP tenants (documented conflict)
MAX_NAME_LENGTH = 128
MAX_NOTES_LENGTH = 60
MAX_TERMS_DOCS = 5
RESOURCE_NAME_LENGTH = (1, 50)
DISCOUNT_RANGE = (0.01, 100)
MARKUP_MAX = 100

_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
OFFER_ID = re.compile(rf"^private-offer/{_GUID}$")
PRODUCT_ID = re.compile(rf"^product/{_GUID}$")
PLAN_ID = re.compile(r"^plan/[A-Za-z0-9][A-Za-z0-9_-]{0,49}(/[A-Za-z0-9_-]{1,50})?$")
TENANT_ID = re.compile(rf"^{_GUID}$")
BILLING_ACCOUNT_ID = re.compile(rf"^{_GUID}:{_GUID}_\d{{4}}-\d{{2}}-\d{{2}}$")
EMAIL = re.compile(
    r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)
# Customer/CSP/originator names: no ! < > ^ [ ] @ # % /, no control characters, nothing
# from 0x7E up (C-GUIDE pattern).
_NAME_FORBIDDEN = set("!<>^[]@#%/")
# The channel partner's pattern: printable ASCII, not ending in one of these.
_PARTNER_NAME_BAD_LAST = set("!>^[@#%/")

UI_ONLY_RULES = frozenset({"start-first-of-month", "end-last-of-month", "accept-by-future"})


@dataclass(frozen=True)
class Finding:
    path: Path
    message: str
    rule: str
    severity: str = "error"


def check_offer(offer: OfferBase, *, today: dt.date, strict: bool) -> list[Finding]:
    """Every rule finding for one validated offer (cross-file rules live in the loader)."""
    findings = list(_all_findings(offer, today))
    if not strict:
        findings = [
            Finding(f.path, f.message, f.rule, "warning") if f.rule in UI_ONLY_RULES else f
            for f in findings
        ]
    return findings


def _all_findings(offer: OfferBase, today: dt.date) -> Iterator[Finding]:
    yield from _identity(offer)
    if isinstance(offer, ChannelPartnerOffer):
        yield from _channel_partner(offer)
        return
    assert isinstance(offer, CustomerOffer | CspOffer | OriginatorOffer)
    yield from _dates(offer, today)
    yield from _live_presence(offer)
    yield from _contacts(offer.notification_contacts, getattr(offer, "prepared_by", None))
    yield from _beneficiaries(offer)
    yield from _pricing(offer)
    if isinstance(offer, OriginatorOffer):
        yield from _originator(offer)
    if isinstance(offer, CustomerOffer) and offer.terms_and_conditions_doc_sas_url is not None:
        yield from _url(offer.terms_and_conditions_doc_sas_url, ("termsAndConditionsDocSasUrl",))
    upgraded = offer.upgraded_from if isinstance(offer, CustomerOffer | CspOffer) else None
    if upgraded is not None and not OFFER_ID.match(upgraded.id):
        yield Finding(
            ("upgradedFrom", "id"), "must be a private offer id private-offer/<guid>", "id-format"
        )


# --- identity ---------------------------------------------------------------------------------


def _identity(offer: OfferBase) -> Iterator[Finding]:
    if offer.id is not None and not OFFER_ID.match(offer.id):
        yield Finding(("id",), "must be a private offer id: private-offer/<guid>", "id-format")
    if offer.resource_name is not None:
        low, high = RESOURCE_NAME_LENGTH
        if not low <= len(offer.resource_name) <= high:
            yield Finding(
                ("resourceName",),
                f"must be {low} to {high} characters long",
                "resource-name-length",
            )
    name = offer.name
    if not name.strip():
        yield Finding(("name",), "must not be empty", "name-length")
    elif len(name) > MAX_NAME_LENGTH:
        yield Finding(
            ("name",),
            f"is {len(name)} characters long; at most {MAX_NAME_LENGTH} are allowed",
            "name-length",
        )
    if isinstance(offer, ChannelPartnerOffer):
        bad = sorted({c for c in name if not 0x20 <= ord(c) < 0x7F})
        if bad or (name and name[-1] in _PARTNER_NAME_BAD_LAST):
            yield Finding(
                ("name",),
                "must be printable ASCII and must not end with one of ! > ^ [ @ # % /",
                "name-characters",
            )
    else:
        bad = sorted({c for c in name if c in _NAME_FORBIDDEN or ord(c) < 0x20 or ord(c) >= 0x7E})
        if bad:
            shown = " ".join(repr(c) for c in bad[:5])
            yield Finding(
                ("name",),
                f"contains characters the API forbids ({shown}); not allowed: "
                "! < > ^ [ ] @ # % / ~, control and non-ASCII characters",
                "name-characters",
            )


# --- dates ------------------------------------------------------------------------------------


def _dates(offer: CustomerOffer | CspOffer | OriginatorOffer, today: dt.date) -> Iterator[Finding]:
    variable = offer.variable_start_date is True
    if variable and offer.start is not None:
        yield Finding(
            ("start",),
            "must not be set when variableStartDate is true (the offer starts on acceptance)",
            "start-or-variable",
        )
    elif not variable and offer.start is None:
        yield Finding(
            ("start",),
            "is required unless variableStartDate is true",
            "start-or-variable",
        )
    if offer.start is not None and offer.end is not None and offer.end < offer.start:
        yield Finding(("end",), f"{offer.end} is before start {offer.start}", "date-order")
    accept_by = getattr(offer, "accept_by", None)
    if accept_by is not None and offer.end is not None and accept_by > offer.end:
        yield Finding(
            ("acceptBy",), f"{accept_by} is after end {offer.end}", "accept-by-before-end"
        )
    if offer.start is not None and offer.start.day != 1:
        yield Finding(
            ("start",),
            f"{offer.start} is not the 1st of a month (Partner Center starts offers on the 1st)",
            "start-first-of-month",
        )
    if offer.end is not None:
        last = calendar.monthrange(offer.end.year, offer.end.month)[1]
        if offer.end.day != last:
            yield Finding(
                ("end",),
                f"{offer.end} is not the last day of its month "
                "(Partner Center ends offers on the last day)",
                "end-last-of-month",
            )
    if accept_by is not None and offer.state in ("draft", "live") and accept_by < today:
        yield Finding(
            ("acceptBy",),
            f"{accept_by} is in the past (today is {today}); the customer could not accept",
            "accept-by-future",
        )


# --- presence by type and state ---------------------------------------------------------------


def _live_presence(offer: CustomerOffer | CspOffer | OriginatorOffer) -> Iterator[Finding]:
    if offer.state != "live":
        return
    if offer.end is None:
        yield Finding(("end",), "is required for a live offer", "live-required")
    if not offer.beneficiaries:
        yield Finding(
            ("beneficiaries",), "a live offer needs at least one beneficiary", "live-required"
        )
    if not offer.pricing:
        yield Finding(
            ("pricing",), "a live offer needs at least one pricing entry", "live-required"
        )
    if isinstance(offer, CustomerOffer) and offer.accept_by is None:
        yield Finding(("acceptBy",), "is required for a live customer offer", "customer-accept-by")
    if isinstance(offer, OriginatorOffer) and not offer.partners:
        yield Finding(
            ("partners",),
            "a live multiparty offer needs its selling partner",
            "mpo-partner-required",
        )


# --- contacts and URLs ------------------------------------------------------------------------


def _contacts(contacts: Sequence[str] | None, prepared_by: str | None) -> Iterator[Finding]:
    if prepared_by is not None and not EMAIL.match(prepared_by):
        yield Finding(("preparedBy",), "is not a valid email address", "email-format")
    if contacts is None:
        return
    if len(contacts) > MAX_NOTIFICATION_CONTACTS:
        yield Finding(
            ("notificationContacts",),
            f"has {len(contacts)} contacts; at most {MAX_NOTIFICATION_CONTACTS} are allowed",
            "max-notification-contacts",
        )
    for i, email in enumerate(contacts):
        if not EMAIL.match(email):
            yield Finding(
                ("notificationContacts", i), "is not a valid email address", "email-format"
            )


def _url(url: str, path: Path) -> Iterator[Finding]:
    # An unexpanded ${VAR} (unset variable) is reported once, by the loader.
    if not url.startswith("https://") and "${" not in url:
        yield Finding(path, "must be an https:// URL", "url-format")


def _terms_docs(docs: Sequence[object] | None) -> Iterator[Finding]:
    if not docs:
        return
    if len(docs) > MAX_TERMS_DOCS:
        yield Finding(
            ("termsAndConditionsDocs",),
            f"has {len(docs)} documents; at most {MAX_TERMS_DOCS} are allowed",
            "max-terms-docs",
        )
    for i, doc in enumerate(docs):
        yield from _url(getattr(doc, "sas_url", ""), ("termsAndConditionsDocs", i, "sasUrl"))


# --- beneficiaries and partners ---------------------------------------------------------------


def _beneficiaries(offer: CustomerOffer | CspOffer | OriginatorOffer) -> Iterator[Finding]:
    if not offer.beneficiaries:
        return
    if isinstance(offer, CspOffer):
        if len(offer.beneficiaries) > MAX_CSP_PARTNERS:
            yield Finding(
                ("beneficiaries",),
                f"has {len(offer.beneficiaries)} CSP partners; at most {MAX_CSP_PARTNERS} are "
                "allowed",
                "max-csp-partners",
            )
        for i, csp in enumerate(offer.beneficiaries):
            if not TENANT_ID.match(csp.id):
                yield Finding(
                    ("beneficiaries", i, "id"),
                    "must be the CSP partner's tenant id (a GUID)",
                    "id-format",
                )
            recipients = csp.beneficiary_recipients or []
            if len(recipients) > MAX_RECIPIENTS_PER_CSP_PARTNER:
                yield Finding(
                    ("beneficiaries", i, "beneficiaryRecipients"),
                    f"has {len(recipients)} customers; at most "
                    f"{MAX_RECIPIENTS_PER_CSP_PARTNER} per CSP partner are allowed",
                    "max-csp-recipients",
                )
            for j, recipient in enumerate(recipients):
                if not TENANT_ID.match(recipient.id):
                    yield Finding(
                        ("beneficiaries", i, "beneficiaryRecipients", j, "id"),
                        "must be the customer's tenant id (a GUID)",
                        "id-format",
                    )
        yield from _duplicates(
            [b.id.lower() for b in offer.beneficiaries], ("beneficiaries",), "id", "beneficiary"
        )
        return
    if len(offer.beneficiaries) > MAX_CUSTOMER_BENEFICIARIES:
        yield Finding(
            ("beneficiaries",),
            f"has {len(offer.beneficiaries)} customers; exactly one billing account is allowed",
            "max-customer-beneficiaries",
        )
    for i, customer in enumerate(offer.beneficiaries):
        if not BILLING_ACCOUNT_ID.match(customer.id):
            yield Finding(
                ("beneficiaries", i, "id"),
                "must be the customer's billing account id: <guid>:<guid>_YYYY-MM-DD",
                "id-format",
            )


def _duplicates(keys: Sequence[object], base: Path, field: str, what: str) -> Iterator[Finding]:
    seen: dict[object, int] = {}
    for i, key in enumerate(keys):
        if key in seen:
            yield Finding(
                (*base, i, field),
                f"duplicate {what}: same as entry {seen[key]}",
                f"duplicate-{what.replace(' ', '-')}",
            )
        else:
            seen[key] = i


def _originator(offer: OriginatorOffer) -> Iterator[Finding]:
    partners = offer.partners or []
    if len(partners) > MAX_CHANNEL_PARTNERS:
        yield Finding(
            ("partners",),
            f"has {len(partners)} partners; a multiparty offer has exactly one selling partner",
            "max-channel-partners",
        )
    if offer.notes is not None and len(offer.notes) > MAX_NOTES_LENGTH:
        yield Finding(
            ("notes",),
            f"is {len(offer.notes)} characters long; at most {MAX_NOTES_LENGTH} are allowed",
            "notes-length",
        )
    yield from _terms_docs(offer.terms_and_conditions_docs)


def _channel_partner(offer: ChannelPartnerOffer) -> Iterator[Finding]:
    if offer.state == "deleted":
        yield Finding(
            ("state",),
            "a selling partner cannot delete a multiparty offer (only the originator can); "
            "use withdrawn",
            "partner-state",
        )
    if offer.state == "live" and not offer.prepared_by:
        yield Finding(
            ("preparedBy",),
            "the selling partner must provide preparedBy to publish",
            "partner-prepared-by",
        )
    yield from _contacts(offer.notification_contacts, offer.prepared_by)
    if offer.notes is not None and len(offer.notes) > MAX_NOTES_LENGTH:
        yield Finding(
            ("notes",),
            f"is {len(offer.notes)} characters long; at most {MAX_NOTES_LENGTH} are allowed",
            "notes-length",
        )
    yield from _terms_docs(offer.terms_and_conditions_docs)
    entries = offer.originator_pricing or []
    if offer.state == "live" and not entries:
        yield Finding(
            ("originatorPricing",),
            "list the originator's pricing entries with your markupPercentage on each",
            "partner-markup-required",
        )
    for i, entry in enumerate(entries):
        base: Path = ("originatorPricing", i)
        if not PRODUCT_ID.match(entry.product):
            yield Finding((*base, "product"), "must be a product id product/<guid>", "id-format")
        for key, value in (("plan", entry.plan), ("basePlan", entry.base_plan)):
            if value is not None and not PLAN_ID.match(value):
                yield Finding((*base, key), "must be a plan id plan/<id>", "id-format")
        if entry.plan is not None and entry.base_plan is not None:
            yield Finding(
                (*base, "basePlan"),
                "name the entry by plan or by basePlan, not both",
                "pricing-entry-plan",
            )
        if entry.markup_percentage is None:
            yield Finding(
                (*base, "markupPercentage"),
                "is required: the selling partner sets a markup on every pricing entry",
                "partner-markup-required",
            )
        elif not 0 < entry.markup_percentage <= MARKUP_MAX:
            yield Finding(
                (*base, "markupPercentage"),
                f"{entry.markup_percentage} is out of range: more than 0 and at most {MARKUP_MAX}",
                "markup-range",
            )
    yield from _duplicates(
        [(e.product.lower(), e.plan, e.base_plan) for e in entries],
        ("originatorPricing",),
        "product",
        "pricing entry",
    )


# --- pricing ----------------------------------------------------------------------------------


def _pricing(offer: CustomerOffer | CspOffer | OriginatorOffer) -> Iterator[Finding]:
    entries = offer.pricing or []
    if len(entries) > MAX_PRICING_ENTRIES:
        yield Finding(
            ("pricing",),
            f"has {len(entries)} entries; at most {MAX_PRICING_ENTRIES} products/plans are allowed",
            "max-pricing-entries",
        )
    pricing_type = getattr(offer, "offer_pricing_type", None) or "editExistingOfferPricingOnly"
    for i, entry in enumerate(entries):
        yield from _pricing_entry(entry, ("pricing", i), pricing_type, offer)
    yield from _duplicates(
        [
            (
                e.product.lower(),
                e.plan,
                e.base_plan,
                e.new_plan_details.name if e.new_plan_details else None,
            )
            for e in entries
        ],
        ("pricing",),
        "product",
        "pricing entry",
    )


def _pricing_entry(
    entry: PricingEntry, base: Path, pricing_type: str, offer: OfferBase
) -> Iterator[Finding]:
    if not PRODUCT_ID.match(entry.product):
        yield Finding((*base, "product"), "must be a product id product/<guid>", "id-format")
    for key, value in (("plan", entry.plan), ("basePlan", entry.base_plan)):
        if value is not None and not PLAN_ID.match(value):
            yield Finding((*base, key), "must be a plan id plan/<id>", "id-format")

    # discountType decides which of discountPercentage / priceDetails is present.
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

    if pricing_type == "editExistingOfferPricingOnly":
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
    elif pricing_type in ("saasNewCustomizedPlans", "newCustomizedPlans"):
        rule = "pricing-type-new-plans"
        yield from _needs_base_plan(entry, base, pricing_type, rule)
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
    elif pricing_type == "vmSoftwareReservations":
        rule = "pricing-type-vm-reservations"
        yield from _needs_base_plan(entry, base, pricing_type, rule)
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
    if entry.price_details is not None:
        yield from _price_details(entry.price_details, (*base, "priceDetails"))


def _needs_base_plan(
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


def _price_details(details: PriceDetails, base: Path) -> Iterator[Finding]:
    rule = "price-details-shape"
    if (details.pricing is None) == (details.software_reservation is None):
        yield Finding(base, "needs exactly one of pricing or softwareReservation", rule)
    if details.pricing is not None:
        pricing = details.pricing
        if pricing.recurrent_price is None and pricing.custom_meters is None:
            yield Finding((*base, "pricing"), "needs recurrentPrice, customMeters or both", rule)
        recurrent = pricing.recurrent_price
        if recurrent is not None:
            where = (*base, "pricing", "recurrentPrice")
            if recurrent.recurrent_price_mode == "perUser" and recurrent.user_limits is None:
                yield Finding((*where, "userLimits"), "is required for perUser prices", rule)
            if recurrent.recurrent_price_mode != "perUser" and recurrent.user_limits is not None:
                yield Finding(
                    (*where, "userLimits"), "is only for recurrentPriceMode perUser", rule
                )
            limits = recurrent.user_limits
            if limits is not None and limits.min > limits.max:
                yield Finding((*where, "userLimits", "min"), "is greater than max", rule)
            for i, price in enumerate(recurrent.prices):
                if price.price_per_payment_in_usd < 0:
                    yield Finding(
                        (*where, "prices", i, "pricePerPaymentInUsd"), "must not be negative", rule
                    )
        if pricing.custom_meters is not None:
            for meter_id, meter in pricing.custom_meters.meters.items():
                where = (*base, "pricing", "customMeters", "meters", meter_id)
                if (meter.price_per_payment_in_usd is None) == (meter.included_quantities is None):
                    yield Finding(
                        where,
                        "needs exactly one of pricePerPaymentInUsd or includedQuantities",
                        rule,
                    )
                if (
                    meter.price_per_payment_in_usd is not None
                    and meter.price_per_payment_in_usd < 0
                ):
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
    reservation = details.software_reservation
    if reservation is not None:
        for size, vm in reservation.vm_prices.items():
            where = (*base, "softwareReservation", "vmPrices", size)
            if vm.quantity <= 0:
                yield Finding((*where, "quantity"), "must be greater than 0", rule)
            if vm.unit_price_per_payment_period_in_usd < 0:
                yield Finding(
                    (*where, "unitPricePerPaymentPeriodInUsd"), "must not be negative", rule
                )
