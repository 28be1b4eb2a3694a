"""Offer bodies -> comparable *essences*.

The API answers with more than a file says and in a different shape: server-set fields
(eTag, lastModified, subState, acceptance links, validations, product and plan names),
lists in whatever order it keeps them, documented defaults filled in, ``5.0`` where the
file says ``5``, and absolute prices as a durable-id string instead of the inline body. An
*essence* removes all of that so that "same offer" means "equal essence":

* read-only and server-set fields are dropped (:data:`READ_ONLY`), and so is ``state``
  (the planner decides lifecycle transitions itself);
* keyed lists become :class:`Keyed` dicts with stable keys, so order does not matter and
  paths read ``pricing[product/…/plan/123456].discountPercentage`` instead of an index;
  contact lists become sets (``notificationContacts[amy@contoso.com]``);
* documented defaults are filled on both sides (:data:`DEFAULTS`), and empty lists,
  ``None`` and empty objects count as absent;
* numbers compare by value (``5 == 5.0``), dates by their ``YYYY-MM-DD`` part;
* an absolute price resource (fetched by the live-state reader) is folded back into the
  inline form of the file.

The comparison itself (:func:`reconciler.plan.fielddiff.diff`) and its readable paths live
in :mod:`reconciler.plan.fielddiff`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from reconciler.offers import fields
from reconciler.offers.domain import ALTERNATIVE_SPELLINGS, canonical_type, plan_key
from reconciler.plan.fielddiff import Keyed, KeySet
from reconciler.plan.plan_ids import PlanIds

# Left out of the essence: what the catalogue does not compare, and a file's `$schema`.
READ_ONLY = fields.NOT_COMPARED | {"$schema"}
PRICE_READ_ONLY = frozenset(
    {
        "$schema",
        "id",
        "resourceName",
        "product",
        "plan",
        "basePlan",
        "offerPricingType",
        "validations",
        "eTag",
        "lastModified",
        "planName",
        "productName",
    }
)
DEFAULTS = fields.DEFAULTS
DATE_FIELDS = fields.DATE_FIELDS
# Enum values the API has been seen to capitalise differently.
_ENUM_FIX = {
    "privateOfferType": {s: canonical_type(s) for s in ALTERNATIVE_SPELLINGS},
}
_LOWER_FIRST = frozenset({"discountType", "recipientType", "recurrentPriceMode", "type"})
_DATE_RE = fields.API_DATE


def _s(value: object) -> str:
    return "" if value is None else str(value)


def pricing_key(entry: Mapping[str, object]) -> str:
    plan = entry.get("plan") or entry.get("basePlan")
    parts = [_s(entry.get("product"))]
    if plan:
        parts.append(_s(plan))
    details = entry.get("newPlanDetails")
    if isinstance(details, Mapping) and details.get("name"):
        parts.append(_s(details.get("name")))
    return "/".join(p for p in parts if p) or "*"


def _doc_key(entry: Mapping[str, object]) -> str:
    return _s(entry.get("fileName") or entry.get("sasUrl"))


def _id_key(entry: Mapping[str, object]) -> str:
    return _s(entry.get("id"))


def _term(value: object) -> str:
    if isinstance(value, Mapping):
        return f"{_s(value.get('value'))}{_s(value.get('type'))}"
    return _s(value)


def _price_key(entry: Mapping[str, object]) -> str:
    return f"{_term(entry.get('billingTerm'))}/{_term(entry.get('paymentOption'))}"


def _quantity_key(entry: Mapping[str, object]) -> str:
    return _term(entry.get("billingTerm"))


# list field name -> key function; applied at any depth (names are unique enough in the API).
_KEYERS: dict[str, Callable[[Mapping[str, object]], str]] = {
    "id": _id_key,
    "document": _doc_key,
    "pricing": pricing_key,
}
KEYED_LISTS: dict[str, Callable[[Mapping[str, object]], str]] = {
    **{name: _KEYERS[how] for name, how in fields.KEYED_FIELDS.items()},
    # nested lists (the catalogue lists the top level)
    "originatorTermsAndConditionsDocs": _doc_key,
    "beneficiaryRecipients": _id_key,
    "prices": _price_key,
    "includedQuantities": _quantity_key,
}
SET_LISTS = fields.SET_FIELDS


def _number(value: float | int) -> float | int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _scalar(key: str | None, value: Any) -> Any:
    kind = type(value)
    if kind is str or isinstance(value, str):
        text = value if kind is str else str(value)  # ruamel scalar subclasses -> plain str
        if key is None:
            return text
        if key in DATE_FIELDS:
            match = _DATE_RE.match(text.strip())
            if match:
                return match.group(1)
        if key in _ENUM_FIX:
            text = _ENUM_FIX[key].get(text, text)
        if key in _LOWER_FIRST and text[:1].isupper():
            text = text[:1].lower() + text[1:]
        return text
    if kind is bool or kind is int:
        return value
    if kind is float:
        return int(value) if value.is_integer() else value
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return _number(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def short_plan(product: str, plan: str) -> str:
    """``plan/<productGuid>/<planId>`` (the API's canonical form) -> ``plan/<planId>``."""
    return plan_key(plan, product)


def _empty(value: object) -> bool:
    return value is None or (isinstance(value, list | dict) and not value)


# Server-set fields of nested resources (pricing entries, plans): dropped at any depth.
_NESTED_DROP = frozenset({"validations", "productName", "planName"})
_SCALARS = (str, int, float, bool)


def _norm(key: str | None, value: Any, drop: frozenset[str]) -> Any:
    # The hot loop of a large plan (hundreds of thousands of nodes): exact-type checks
    # first (JSON and model dumps only hold dict/list/str/int/float/bool/None), the ABCs
    # only for anything else.
    kind = type(value)
    if kind in _SCALARS:
        return _scalar(key, value)
    if kind is dict or (kind is not list and isinstance(value, Mapping)):
        out: dict[str, Any] = {}
        for k, v in value.items():
            k = k if type(k) is str else str(k)
            if k in drop:
                continue
            n = _norm(k, v, _NESTED_DROP)
            if n is None or (not n and type(n) in (dict, list, Keyed, KeySet)):
                continue
            out[k] = n
        product = out.get("product")
        if isinstance(product, str):
            for key in ("plan", "basePlan"):
                if isinstance(out.get(key), str):
                    out[key] = short_plan(product, out[key])
        return out
    if kind is list or isinstance(value, list | tuple):
        items = []
        for v in value:
            n = _norm(None, v, _NESTED_DROP)
            if not _empty(n):
                items.append(n)
        if key in SET_LISTS:
            return KeySet({str(_scalar(None, i)).strip().lower(): i for i in items})
        keyer = KEYED_LISTS.get(key or "")
        if keyer is not None and all(isinstance(i, Mapping) for i in items):
            keyed = Keyed()
            for item in items:
                k = keyer(item)
                # duplicate keys are a validation error upstream; keep both visible here
                while k in keyed:
                    k += "'"
                keyed[k] = item
            return keyed
        return items
    return _scalar(key, value)


def fold_prices(
    body: Mapping[str, object], prices: Mapping[str, Mapping[str, object]]
) -> dict[str, object]:
    """Replace durable-id ``priceDetails`` strings by the inline form of the fetched resource."""
    result = dict(body)
    for key in ("pricing", "originatorPricing"):
        entries = body.get(key)
        if not isinstance(entries, list):
            continue
        folded = []
        for entry in entries:
            details = entry.get("priceDetails") if isinstance(entry, Mapping) else None
            if isinstance(details, str) and details in prices:
                entry = dict(entry)
                resource = prices[details]
                entry["priceDetails"] = {
                    k: v for k, v in resource.items() if k not in PRICE_READ_ONLY
                }
            folded.append(entry)
        result[key] = folded
    return result


def _without_generated_plans(body: Mapping[str, object]) -> dict[str, object]:
    """A software reservation's ``newPlanDetails`` is made by the service, never sent:
    "will be system generated and available in the response of the job when completed"."""
    result = dict(body)
    for key in ("pricing", "originatorPricing"):
        entries = body.get(key)
        if isinstance(entries, list):
            result[key] = [
                {k: v for k, v in e.items() if k != "newPlanDetails"}
                if isinstance(e, Mapping)
                else e
                for e in entries
            ]
    return result


def essence(
    body: Mapping[str, object],
    *,
    prices: Mapping[str, Mapping[str, object]] | None = None,
    plans: PlanIds | None = None,
    defaults: bool = True,
) -> dict[str, object]:
    """The comparable form of a private-offer body (a file's ``api_body()`` or a live offer).

    With *plans*, a plan named by its durable id or its external id is one key."""
    if prices:
        body = fold_prices(body, prices)
    if plans is not None and plans.products:
        body = plans.named(body)
    if body.get("offerPricingType") == "vmSoftwareReservations":
        body = _without_generated_plans(body)
    result = _norm(None, body, READ_ONLY)
    assert isinstance(result, dict)
    if defaults:
        for key, default in DEFAULTS.items():
            result.setdefault(key, default)
    if result.get("variableStartDate") is True:
        result.pop("start", None)  # mutually exclusive; the API may echo a null start
    return result
