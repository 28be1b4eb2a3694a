"""Business rules of private offers, beyond what the models' types express.

Every rule has an id (the ``rule`` of a :class:`~reconciler.errors.Problem`), a source (the
Microsoft sentence docs/validation.md names beside it), and a strictness; docs/validation.md
is the table. A rule
returns :class:`Finding` objects whose ``path`` uses the file's (camelCase) keys, so the
loader can point at the exact line.

Strictness: rules the API is known (or documented) to enforce are always errors. Rules
documented only for the Partner Center UI, whose API enforcement is unknown, are in
:data:`UI_ONLY_RULES`: errors when ``strict`` is on, warnings otherwise.
Time-dependent rules take ``today`` from the caller, never from the clock, so tests are
stable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from reconciler.offers.model import (
    ChannelPartnerOffer,
    CspOffer,
    CustomerOffer,
    OfferBase,
    OriginatorOffer,
)
from reconciler.offers.rules.common import (
    BILLING_ACCOUNT_ID,
    DISCOUNT_RANGE,
    EMAIL,
    GUID,
    MARKUP_MAX,
    MAX_CHANNEL_PARTNERS,
    MAX_CSP_PARTNERS,
    MAX_CUSTOMER_BENEFICIARIES,
    MAX_NAME_LENGTH,
    MAX_NOTES_LENGTH,
    MAX_NOTIFICATION_CONTACTS,
    MAX_PRICING_ENTRIES,
    MAX_RECIPIENTS_PER_CSP_PARTNER,
    MAX_TERMS_DOCS,
    NAME_FORBIDDEN,
    OFFER_ID,
    PARTNER_NAME_BAD_LAST,
    PLAN_ID,
    PRODUCT_ID,
    RESOURCE_NAME_LENGTH,
    TENANT_ID,
    Finding,
    Path,
)
from reconciler.offers.rules.fields import contacts, dates, identity, live_presence, url_rule
from reconciler.offers.rules.parties import beneficiaries, channel_partner, originator
from reconciler.offers.rules.pricing import pricing

__all__ = [
    "BILLING_ACCOUNT_ID",
    "DISCOUNT_RANGE",
    "EMAIL",
    "GUID",
    "MARKUP_MAX",
    "MAX_CHANNEL_PARTNERS",
    "MAX_CSP_PARTNERS",
    "MAX_CUSTOMER_BENEFICIARIES",
    "MAX_NAME_LENGTH",
    "MAX_NOTES_LENGTH",
    "MAX_NOTIFICATION_CONTACTS",
    "MAX_PRICING_ENTRIES",
    "MAX_RECIPIENTS_PER_CSP_PARTNER",
    "MAX_TERMS_DOCS",
    "NAME_FORBIDDEN",
    "OFFER_ID",
    "PARTNER_NAME_BAD_LAST",
    "PLAN_ID",
    "PRODUCT_ID",
    "RESOURCE_NAME_LENGTH",
    "TENANT_ID",
    "UI_ONLY_RULES",
    "Finding",
    "Path",
    "check_offer",
]

UI_ONLY_RULES = frozenset({"start-first-of-month", "end-last-of-month", "accept-by-future"})


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
    yield from identity(offer)
    if isinstance(offer, ChannelPartnerOffer):
        yield from channel_partner(offer)
        return
    assert isinstance(offer, CustomerOffer | CspOffer | OriginatorOffer)
    yield from dates(offer, today)
    yield from live_presence(offer)
    yield from contacts(offer.notification_contacts, getattr(offer, "prepared_by", None))
    yield from beneficiaries(offer)
    yield from pricing(offer)
    if isinstance(offer, OriginatorOffer):
        yield from originator(offer)
    if isinstance(offer, CustomerOffer) and offer.terms_and_conditions_doc_sas_url is not None:
        yield from url_rule(
            offer.terms_and_conditions_doc_sas_url, ("termsAndConditionsDocSasUrl",)
        )
    upgraded = offer.upgraded_from if isinstance(offer, CustomerOffer | CspOffer) else None
    if upgraded is not None and not OFFER_ID.match(upgraded.id):
        yield Finding(
            ("upgradedFrom", "id"), "must be a private offer id private-offer/<guid>", "id-format"
        )
