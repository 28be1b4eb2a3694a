"""The emulator's words for offer types, states and who owns which field, from Microsoft's docs.

The emulator keeps its own copy of these facts instead of importing the reconciler's
(``reconciler/offers/domain.py``) on purpose: it stands in for Microsoft's service, so a
wrong fact in the reconciler must meet a documented answer here, not be mirrored by it.
Within the emulator, each fact is defined here once.
"""

from __future__ import annotations

from typing import Any

CUSTOMER = "customerPromotion"
CSP = "cspPromotion"
ORIGINATOR = "multipartyPromotionOriginator"
CHANNEL = "multipartyPromotionChannelPartner"
# The documented GET response spells the partner type with a capital P (docs/api-unknowns.md); the
# emulator accepts both spellings and answers with the one its settings choose.
CHANNEL_CAPITAL_P = "multiPartyPromotionChannelPartner"
CHANNEL_SPELLINGS = (CHANNEL, CHANNEL_CAPITAL_P)
OFFER_TYPES = (CUSTOMER, CSP, ORIGINATOR, CHANNEL)

STATES = ("draft", "live", "withdrawn", "deleted")
PRICING_TYPES = (
    "editExistingOfferPricingOnly",
    "saasNewCustomizedPlans",
    "vmSoftwareReservations",
    "newCustomizedPlans",
)
TERM_TYPES = ("month", "year")

# What the selling partner may set; everything else in its view is read-only.
PARTNER_OWN = ("preparedBy", "termsAndConditionsDocs", "notificationContacts", "notes")
PARTNER_READ_ONLY = (
    "name", "offerPricingType", "customerContractRenewal", "variableStartDate", "start", "end",
    "acceptBy", "beneficiaries", "partners", "originatorTermsAndConditionsDocs",
)  # fmt: skip


def normalize_type(value: Any) -> Any:
    """The partner type in one spelling (either documented spelling is accepted)."""
    return CHANNEL if value in CHANNEL_SPELLINGS else value
