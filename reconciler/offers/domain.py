"""The offer domain's facts in one place: types and spellings, identity, lifecycle.

Which fields an offer has, and who owns each, is the catalogue's (:mod:`.fields`).

Every other module asks this one instead of re-stating a fact (the emulator excepted: it
is an independent implementation of the API and keeps its own copies on purpose).

Sources are the Microsoft sentences and samples quoted in docs/api-unknowns.md and
docs/validation.md; the document is named beside each fact.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum

# --- offer types and their spellings (docs/validation.md, private-offer-type) ----------------


class OfferType(StrEnum):
    """``privateOfferType``: who makes the offer to whom."""

    CUSTOMER = "customerPromotion"
    CSP = "cspPromotion"
    ORIGINATOR = "multipartyPromotionOriginator"
    CHANNEL_PARTNER = "multipartyPromotionChannelPartner"


#: The selling partner's side of a multiparty offer, in the one spelling the reconciler writes.
CHANNEL_PARTNER: str = OfferType.CHANNEL_PARTNER.value
#: Every type in its canonical spelling, in the order users read them.
PRIVATE_OFFER_TYPES: tuple[str, ...] = tuple(t.value for t in OfferType)
# Docs, samples and a documented GET response also write a capital P (docs/api-unknowns.md); both
# spellings are read, only the canonical one is written.
_SPELLINGS: dict[str, OfferType] = {
    **{t.value: t for t in OfferType},
    "multiPartyPromotionChannelPartner": OfferType.CHANNEL_PARTNER,
}
#: Spellings accepted on input besides the canonical ones.
ALTERNATIVE_SPELLINGS: tuple[str, ...] = tuple(
    s for s in _SPELLINGS if s not in PRIVATE_OFFER_TYPES
)


def offer_type(value: object) -> OfferType | None:
    """The type *value* names in any accepted spelling; None for anything else."""
    return _SPELLINGS.get(value) if isinstance(value, str) else None


def canonical_type(value: object) -> str:
    """*value* in the canonical spelling; an unknown value comes back as text, unchanged."""
    known = offer_type(value)
    return known.value if known is not None else ("" if value is None else str(value))


def is_channel_partner(value: object) -> bool:
    """Whether *value* (a ``privateOfferType`` in any spelling) is the selling partner's side."""
    return offer_type(value) is OfferType.CHANNEL_PARTNER


def same_type(a: object, b: object) -> bool:
    """Two ``privateOfferType`` values name the same type (spellings aside)."""
    return canonical_type(a) == canonical_type(b)


class Role(StrEnum):
    """Whose offers a run plans: the publisher's own kinds, or the selling partner's."""

    PUBLISHER = "publisher"
    PARTNER = "partner"


PUBLISHER_TYPES: frozenset[str] = frozenset(
    {OfferType.CUSTOMER.value, OfferType.CSP.value, OfferType.ORIGINATOR.value}
)
PARTNER_TYPES: frozenset[str] = frozenset({CHANNEL_PARTNER})


def role_types(role: str) -> frozenset[str]:
    """The offer types a run with *role* manages."""
    return PARTNER_TYPES if role == Role.PARTNER else PUBLISHER_TYPES


# --- identity ---------------------------------------------------------------------------------

OFFER_ID_PREFIX = "private-offer/"


def name_key(name: object) -> str:
    """The key under which two offer names are "the same offer by name".

    One rule everywhere (files among themselves, files against live offers, the apply-time
    guard against duplicates): surrounding spaces and letter case do not count. The API
    does not document names as unique or case-sensitive (docs/offer-files.md, ``name``), so the
    stricter reading is taken: ``Contoso`` and ``contoso `` would be two offers a customer
    cannot tell apart.
    """
    return ("" if name is None else str(name)).strip().casefold()


def same_name(a: object, b: object) -> bool:
    return name_key(a) == name_key(b)


def offer_key(offer_id: object) -> str:
    """``private-offer/<guid>`` and ``<guid>``, in any case, name the same offer."""
    return ("" if offer_id is None else str(offer_id)).removeprefix(OFFER_ID_PREFIX).lower()


def product_guid(product: str) -> str:
    """``product/<guid>`` -> ``<guid>`` (a bare guid is returned as is)."""
    return product.split("/", 1)[1] if product.startswith("product/") else product


def product_id(product: str) -> str:
    """``<guid>`` -> ``product/<guid>`` (a durable id is returned as is)."""
    return product if product.startswith("product/") else f"product/{product}"


_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def plan_key(plan: str, product: str | None = None) -> str:
    """One key for a plan, whichever form names it, as far as the text alone tells.

    ``plan/<productGuid>/<planId>`` and ``plan/<planId>`` map to ``plan/<planId>``. With
    *product* given the long form is shortened only when its product guid is that product's
    (a plan id of another product stays as written, so the mismatch shows). A durable id
    ``plan/<productGuid>/<planGuid>`` stays whole: only the product's plan list relates it
    to the external id a file writes (:mod:`reconciler.plan.plan_ids`).
    """
    parts = plan.split("/")
    if len(parts) != 3 or parts[0] != "plan" or _GUID.fullmatch(parts[2]):
        return plan
    if product is None or product_guid(product).lower() == parts[1].lower():
        return f"plan/{parts[2]}"
    return plan


def same_plan(a: str, b: str, product: str | None = None) -> bool:
    return plan_key(a, product) == plan_key(b, product)


# --- lifecycle (docs/api-unknowns.md, withdrawn offers) --------------------------------------


class OfferState(StrEnum):
    """``state`` of a private offer."""

    DRAFT = "draft"
    LIVE = "live"
    WITHDRAWN = "withdrawn"
    DELETED = "deleted"


class SubState(StrEnum):
    """The ``subState`` values the reconciler acts on."""

    PENDING_ACCEPTANCE = "pendingAcceptance"
    ACCEPTED = "accepted"  # a contract: never changed, never withdrawn
    PENDING_PARTNER_ACTION = "pendingPartnerAction"
    # Past acceptBy, never accepted: the UI's "Expired"; withdraw it to change and resubmit.
    EXPIRED = "expired"


OFFER_STATES: tuple[str, ...] = tuple(s.value for s in OfferState)
#: Offers that count: a name taken by one of these is taken.
ACTIVE_STATES: frozenset[str] = frozenset({OfferState.DRAFT, OfferState.LIVE})
INACTIVE_STATES: frozenset[str] = frozenset({OfferState.WITHDRAWN, OfferState.DELETED})
#: States whose offer may be edited in place (a live offer is locked; withdraw it first).
EDITABLE_STATES: frozenset[str] = frozenset({OfferState.DRAFT, OfferState.WITHDRAWN})

#: "The UI says a withdrawn offer goes back to Draft and becomes editable"
#: (docs/api-unknowns.md): the state the API may report after a withdraw. Readers treat
#: ``withdrawn`` and this alike.
STATE_AFTER_WITHDRAW = OfferState.DRAFT

#: The state changes a configure request can ask for, from the live state.
TRANSITIONS: Mapping[OfferState, frozenset[OfferState]] = {
    OfferState.DRAFT: frozenset({OfferState.LIVE, OfferState.DELETED}),
    OfferState.LIVE: frozenset({OfferState.WITHDRAWN}),
    # a withdrawn offer is a draft again: it can be published, edited or deleted
    OfferState.WITHDRAWN: frozenset({OfferState.DRAFT, OfferState.LIVE, OfferState.DELETED}),
    OfferState.DELETED: frozenset(),
}


def can_transition(old: object, new: object) -> bool:
    """Whether a request may move an offer from state *old* to state *new*."""
    try:
        return OfferState(str(new)) in TRANSITIONS[OfferState(str(old))]
    except ValueError:
        return False


def is_active(offer: Mapping[str, object]) -> bool:
    """A draft or live offer (withdrawn and deleted ones leave their name free)."""
    return offer.get("state") in ACTIVE_STATES


def is_accepted(offer: Mapping[str, object]) -> bool:
    return offer.get("subState") == SubState.ACCEPTED
