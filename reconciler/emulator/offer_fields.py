"""The emulator's table of a private offer's top-level fields: who may send each, and its check.

This is the emulator's own copy, independent of the reconciler's catalogue
(``reconciler/offers/fields.py``) on purpose: it stands in for Microsoft's service, so a
field the reconciler gets wrong meets the documented answer here instead of being mirrored.
A field whose check is ``custom`` is checked by hand in
:mod:`reconciler.emulator.validation_offer`; every other check is this table's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from reconciler.emulator.validation_base import EMAIL_RE, SAS_RE
from reconciler.emulator.vocabulary import CHANNEL, CSP, CUSTOMER, ORIGINATOR, PRICING_TYPES

Check = Literal["custom", "string", "boolean", "date"]


@dataclass(frozen=True)
class FieldRule:
    """Which offer types may send a field, and how its value is checked."""

    kinds: frozenset[str]
    check: Check = "custom"
    max_len: int | None = None
    pattern: re.Pattern[str] | None = None
    enum: tuple[str, ...] | None = None


_ALL = frozenset({CUSTOMER, CSP, ORIGINATOR, CHANNEL})
_CUSTOMER = frozenset({CUSTOMER})
_NOT_CSP = frozenset({CUSTOMER, ORIGINATOR, CHANNEL})
_MULTIPARTY = frozenset({ORIGINATOR, CHANNEL})

# In the order the checks run (and their findings are listed).
OFFER_FIELDS: dict[str, FieldRule] = {
    "$schema": FieldRule(_ALL),
    "id": FieldRule(_ALL),
    "resourceName": FieldRule(_ALL),
    "name": FieldRule(_ALL),
    "privateOfferType": FieldRule(_ALL),
    "state": FieldRule(_ALL),
    "eTag": FieldRule(_ALL),
    # read-only fields a client may echo from a GET; accepted and ignored
    "lastModified": FieldRule(_ALL),
    "subState": FieldRule(_ALL),
    "acceptanceLinks": FieldRule(_ALL),
    "validations": FieldRule(_ALL),
    "variableStartDate": FieldRule(_ALL, "boolean"),
    "customerContractRenewal": FieldRule(_ALL, "boolean"),
    "start": FieldRule(_ALL, "date"),
    "end": FieldRule(_ALL, "date"),
    "acceptBy": FieldRule(_NOT_CSP, "date"),
    "offerPricingType": FieldRule(_NOT_CSP, "string", enum=PRICING_TYPES),
    "preparedBy": FieldRule(frozenset({CUSTOMER, CSP, CHANNEL}), "string", pattern=EMAIL_RE),
    "notes": FieldRule(_MULTIPARTY, "string", max_len=60),
    "termsAndConditionsDocSasUrl": FieldRule(_CUSTOMER, "string", pattern=SAS_RE),
    "notificationContacts": FieldRule(_ALL),
    "termsAndConditionsDocs": FieldRule(_MULTIPARTY),
    "originatorTermsAndConditionsDocs": FieldRule(frozenset({CHANNEL})),
    "upgradedFrom": FieldRule(frozenset({CUSTOMER, CSP})),
    "beneficiaries": FieldRule(_ALL),
    "partners": FieldRule(_MULTIPARTY),
    "pricing": FieldRule(frozenset({CUSTOMER, CSP, ORIGINATOR})),
    "originatorPricing": FieldRule(frozenset({CHANNEL})),
}

#: privateOfferType -> the top-level fields a body of that type may carry.
ALLOWED: dict[str, set[str]] = {
    kind: {name for name, rule in OFFER_FIELDS.items() if kind in rule.kinds} for kind in _ALL
}
