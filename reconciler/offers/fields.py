"""The catalogue of a private offer's top-level fields: one entry per field, read everywhere.

Each :class:`OfferField` says, for one field of the private-offer resource:

* **name** -- the API's own name, as files, bodies and diffs write it;
* **kinds** -- the ``privateOfferType`` s whose files carry it (none: never in a file);
* **owner** -- on a multiparty offer, who sets it: the originator, the selling partner, or
  nobody because it names the offer (identity);
* **read_only** -- the API sets it; a file copied from a GET response may carry it and is
  told to remove it;
* **normalisation** -- ``compare`` (a plain value, a date, a set of scalars, a list keyed by
  id, document or product/plan), ``compared`` (part of what the plan compares at all) and
  ``default`` (the documented value when the field is absent, filled on both sides);
* **rendering** -- ``secret_url`` (a SAS URL, whose signature the importer and the renderers
  keep out of files and output); the catalogue order is the order a written file uses;
* **model** -- ``annotation`` and ``constraints`` for a field the offer models do not declare
  themselves (:mod:`reconciler.offers.model` adds it to each kind that carries it);
* **carries_over** -- the list field whose entries the service copies from the offer this
  field names (an upgrade's pricing): entries the file does not name are the service's.

The offer models, the file-format messages, normalize, the partner's request body, the
importer and the renderers read these entries; the emulator keeps its own copy
(``reconciler/emulator/offer_fields.py``), as it keeps all its facts. Adding a field is the
recipe in docs/architecture.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, TypedDict

from reconciler.offers.domain import OfferType


class Owner(StrEnum):
    """Who may set a field of a multiparty offer."""

    IDENTITY = "identity"  # names the offer; both sides send it as read
    ORIGINATOR = "originator"  # the ISV's; read-only for the selling partner
    PARTNER = "partner"  # the selling partner's own


#: How a field's values compare: as written, as a date, as a set of scalars, or as a list
#: keyed by an item's id, a document's file name or a pricing entry's product and plan.
Compare = Literal["value", "date", "set", "keyed-id", "keyed-document", "keyed-pricing"]

_NO_DEFAULT = object()

#: A date field's value as the API may write it: the date, perhaps with a midnight time.
API_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ]00:00:00(?:\.0+)?(?:Z|[+-]00:?00)?)?$")
#: The pricing type of an offer that names none (the documented default).
DEFAULT_PRICING_TYPE = "editExistingOfferPricingOnly"


class Constraints(TypedDict, total=False):
    """Limits of a field the models take from the catalogue (pydantic ``Field`` arguments)."""

    min_length: int
    max_length: int
    pattern: str
    ge: float
    le: float


@dataclass(frozen=True)
class OfferField:
    """One top-level field of a private offer (see the module docstring for each part)."""

    name: str
    kinds: frozenset[str] = frozenset()
    owner: Owner | None = None
    read_only: bool = False
    compared: bool = True
    compare: Compare = "value"
    default: object = _NO_DEFAULT
    secret_url: bool = False
    annotation: object = None
    constraints: Constraints = field(default_factory=lambda: Constraints())
    doc: str | None = None
    carries_over: str | None = None

    @property
    def has_default(self) -> bool:
        return self.default is not _NO_DEFAULT


ALL = frozenset(OfferType)
DATED = frozenset({OfferType.CUSTOMER, OfferType.CSP, OfferType.ORIGINATOR})
CUSTOMER = frozenset({OfferType.CUSTOMER})
CSP = frozenset({OfferType.CSP})
ORIGINATOR = frozenset({OfferType.ORIGINATOR})
PARTNER = frozenset({OfferType.CHANNEL_PARTNER})
_O, _P, _I = Owner.ORIGINATOR, Owner.PARTNER, Owner.IDENTITY

# In the order a written offer file lists them (the example files in offers/): kind first,
# then identity and lifecycle, dates, people, documents, parties, prices.
CATALOGUE: tuple[OfferField, ...] = (
    OfferField("privateOfferType", ALL, _I),
    OfferField("offerPricingType", DATED, _O, default=DEFAULT_PRICING_TYPE),
    OfferField("id", ALL, _I, compared=False),
    OfferField("resourceName", ALL, compared=False),
    OfferField("name", ALL, _I),
    OfferField("state", ALL, _I, compared=False),
    OfferField("customerContractRenewal", CUSTOMER | ORIGINATOR, _O, default=False),
    OfferField("variableStartDate", DATED, _O, default=False),
    OfferField("start", DATED, _O, compare="date"),
    OfferField("end", DATED, _O, compare="date"),
    OfferField("acceptBy", CUSTOMER | ORIGINATOR, _O, compare="date"),
    OfferField("preparedBy", CUSTOMER | CSP | PARTNER, _P),
    OfferField("termsAndConditionsDocSasUrl", CUSTOMER, secret_url=True),
    OfferField("termsAndConditionsDocs", ORIGINATOR | PARTNER, _P, compare="keyed-document"),
    # The partner's view of the originator's documents: shown to it, sent by nobody.
    OfferField("originatorTermsAndConditionsDocs", owner=_O, compared=False),
    OfferField("notificationContacts", ALL, _P, compare="set"),
    OfferField("beneficiaries", DATED, _O, compare="keyed-id"),
    OfferField("partners", ORIGINATOR, _O, compare="keyed-id"),
    OfferField("pricing", DATED, _O, compare="keyed-pricing"),
    OfferField("originatorPricing", PARTNER, _P, compare="keyed-pricing"),
    # "If you do not provide new pricing information, the pricing information from the
    # original private offer will be carried over" (docs/api-unknowns.md, upgradedFrom).
    OfferField("upgradedFrom", CUSTOMER | CSP, carries_over="pricing"),
    OfferField("notes", ORIGINATOR | PARTNER, _P),
    # Set by the API, never by a file (a file copied from a GET response carries them).
    *(
        OfferField(name, read_only=True, compared=False)
        for name in (
            "eTag",
            "_etag",
            "lastModified",
            "subState",
            "acceptanceLinks",
            "validations",
            "productName",
            "planName",
        )
    ),
)

BY_NAME: Mapping[str, OfferField] = {f.name: f for f in CATALOGUE}


def fields_of(kind: str) -> Iterator[OfferField]:
    """The catalogue's fields a file of *kind* carries, in file order."""
    return (f for f in CATALOGUE if kind in f.kinds)


# --- what the rest of the reconciler reads, derived from the entries ---------------------------

#: Set by the API, never by a file.
READ_ONLY_FIELDS: frozenset[str] = frozenset(f.name for f in CATALOGUE if f.read_only)
#: Top-level fields left out of the essence the plan compares.
NOT_COMPARED: frozenset[str] = frozenset(f.name for f in CATALOGUE if not f.compared)
#: Documented values of absent fields, filled on both sides before comparing.
DEFAULTS: Mapping[str, object] = {f.name: f.default for f in CATALOGUE if f.has_default}
DATE_FIELDS: frozenset[str] = frozenset(f.name for f in CATALOGUE if f.compare == "date")
SET_FIELDS: frozenset[str] = frozenset(f.name for f in CATALOGUE if f.compare == "set")
#: list field -> how its items are keyed ("id", "document", "pricing").
KEYED_FIELDS: Mapping[str, str] = {
    f.name: f.compare.removeprefix("keyed-") for f in CATALOGUE if f.compare.startswith("keyed-")
}
#: field naming another offer -> the list field whose entries the service carries over from it.
CARRIED_OVER: Mapping[str, str] = {f.name: f.carries_over for f in CATALOGUE if f.carries_over}
SECRET_URL_FIELDS: frozenset[str] = frozenset(f.name for f in CATALOGUE if f.secret_url)
#: Keys of a SAS URL anywhere in an offer: the top-level ones and a terms document's ``sasUrl``.
SAS_URL_KEYS: frozenset[str] = SECRET_URL_FIELDS | {"sasUrl"}
#: The order a written file lists its top-level fields.
FILE_ORDER: tuple[str, ...] = tuple(f.name for f in CATALOGUE if f.kinds)

#: Top-level fields of a multiparty offer and who owns each (the selling partner's view).
MULTIPARTY_FIELDS: Mapping[str, Owner] = {f.name: f.owner for f in CATALOGUE if f.owner is not None}
#: Fields of one ``originatorPricing`` entry and who owns each.
MULTIPARTY_PRICING_FIELDS: Mapping[str, Owner] = {
    "product": _I,
    "plan": _I,
    "basePlan": _I,
    "markupPercentage": _P,
    "discountType": _O,
    "discountPercentage": _O,
    "priceDetails": _O,
    "newPlanDetails": _O,
}
#: What the selling partner sends of its own when completing an offer (besides the markups).
PARTNER_OWNED_FIELDS: tuple[str, ...] = tuple(
    k for k, o in MULTIPARTY_FIELDS.items() if o is _P and k != "originatorPricing"
)
#: What a selling partner's file must not declare: the originator's top-level fields.
ORIGINATOR_OWNED_FIELDS: frozenset[str] = frozenset(
    k for k, o in MULTIPARTY_FIELDS.items() if o is _O
)
#: The originator's fields of an ``originatorPricing`` entry.
ORIGINATOR_OWNED_PRICING_FIELDS: frozenset[str] = frozenset(
    k for k, o in MULTIPARTY_PRICING_FIELDS.items() if o is _O
)
#: What the selling partner compares of an ``originatorPricing`` entry: identity and markup.
PARTNER_PRICING_VIEW: frozenset[str] = frozenset(
    k for k, o in MULTIPARTY_PRICING_FIELDS.items() if o is not _O
)
