"""Rules on who an offer is for and with: beneficiaries, recipients, partners, the partner side."""

from __future__ import annotations

from collections.abc import Iterator

from reconciler.offers.model import (
    ChannelPartnerOffer,
    CspOffer,
    CustomerOffer,
    OriginatorOffer,
)
from reconciler.offers.rules.common import (
    BILLING_ACCOUNT_ID,
    MARKUP_MAX,
    MAX_CHANNEL_PARTNERS,
    MAX_CSP_PARTNERS,
    MAX_CUSTOMER_BENEFICIARIES,
    MAX_NOTES_LENGTH,
    MAX_RECIPIENTS_PER_CSP_PARTNER,
    PLAN_ID,
    PRODUCT_ID,
    TENANT_ID,
    Finding,
    Path,
    duplicates,
    plan_ref,
)
from reconciler.offers.rules.fields import contacts, terms_docs


def beneficiaries(offer: CustomerOffer | CspOffer | OriginatorOffer) -> Iterator[Finding]:
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
        yield from duplicates(
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


def originator(offer: OriginatorOffer) -> Iterator[Finding]:
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
    yield from terms_docs(offer.terms_and_conditions_docs)


def channel_partner(offer: ChannelPartnerOffer) -> Iterator[Finding]:
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
    yield from contacts(offer.notification_contacts, offer.prepared_by)
    if offer.notes is not None and len(offer.notes) > MAX_NOTES_LENGTH:
        yield Finding(
            ("notes",),
            f"is {len(offer.notes)} characters long; at most {MAX_NOTES_LENGTH} are allowed",
            "notes-length",
        )
    yield from terms_docs(offer.terms_and_conditions_docs)
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
    yield from duplicates(
        [
            (e.product.lower(), plan_ref(e.product, e.plan), plan_ref(e.product, e.base_plan))
            for e in entries
        ],
        ("originatorPricing",),
        "product",
        "pricing entry",
    )
