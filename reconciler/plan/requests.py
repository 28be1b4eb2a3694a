"""The exact configure resources a plan will send, and how they share requests.

Bodies are the smallest that do the job:

* creates, updates and publishes send the full private-offer resource (the API replaces
  the offer's fields), updates with the durable ``id`` and the live ``eTag``;
* withdraw and delete send the documented minimal body
  ``{$schema, resourceName, id, name, privateOfferType, state}``;
* absolute prices (``pricing[i].priceDetails`` given inline in the file) ride along as
  separate ``price-and-availability-private-offer-plan`` resources in the same step,
  linked from the offer by ``priceDetails: {"resourceName": ...}``.

``resourceName`` values are deterministic (a hash of the offer name, and for prices of the
product and plan) so that the same files give the same plan, and its checksum, every time.
They are at most 50 characters, the API's limit, and unique within one request because
offer names are unique among the managed offers (identity guarantees it).

Every step is stored sealed (:func:`reconciler.plan.sealed.seal`): an offer file's
``${ENV}`` string is persisted as its template, a live secret as a reference, never the value.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from reconciler.offers.domain import CHANNEL_PARTNER
from reconciler.offers.fields import DEFAULT_PRICING_TYPE, PARTNER_OWNED_FIELDS
from reconciler.offers.schema_urls import OFFER_SCHEMA, PRICE_SCHEMA
from reconciler.offers.template_value import mark_live
from reconciler.plan.changes import Step, StepKind
from reconciler.plan.normalize import short_plan
from reconciler.plan.plan import batches
from reconciler.plan.sealed import seal

__all__ = ["batches", "full_step", "minimal_step", "partner_step", "split_prices"]


def _step(kind: StepKind, resources: list[dict[str, object]], name: str, etag: str | None) -> Step:
    stored, templates, live = seal(resources)
    return Step(
        kind=kind,
        resources=stored,
        offer_resource_name=name,
        expect_etag=etag,
        templates=templates,
        live_values=live,
    )


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:20]


def offer_resource_name(offer_name: str, variant: str = "") -> str:
    """``offer-<20 hex>``: stable per offer name (and variant, e.g. a recreate's new copy)."""
    return f"offer-{_digest(offer_name, variant)}"


def price_resource_name(offer_name: str, product: str, plan: str, index: int = 0) -> str:
    # index separates several new customised plans sharing one base plan
    return f"price-{_digest(offer_name, product, plan, str(index))}"


def split_prices(
    body: dict[str, Any], offer_name: str, *, variant: str = ""
) -> tuple[dict[str, object], list[dict[str, object]]]:
    """Move inline absolute prices out of ``pricing[]`` into linked price resources."""
    body = copy.deepcopy(body)
    prices: list[dict[str, object]] = []
    pricing_type = body.get("offerPricingType", DEFAULT_PRICING_TYPE)
    seen: dict[tuple[str, str], int] = {}
    for entry in body.get("pricing") or []:
        details = entry.get("priceDetails")
        if not isinstance(details, dict) or "resourceName" in details:
            continue
        product = str(entry.get("product", ""))
        plan = str(entry.get("plan") or entry.get("basePlan") or "")
        index = seen.get((product, plan), 0)
        seen[(product, plan)] = index + 1
        name = price_resource_name(offer_name + variant, product, plan, index)
        resource: dict[str, object] = {
            "$schema": PRICE_SCHEMA,
            "resourceName": name,
            "product": product,
        }
        if plan:
            resource["plan"] = plan
        resource["offerPricingType"] = pricing_type
        resource.update(details)
        prices.append(resource)
        entry["priceDetails"] = {"resourceName": name}
    return body, prices


def _offer_head(resource_name: str) -> dict[str, object]:
    return {"$schema": OFFER_SCHEMA, "resourceName": resource_name}


def full_step(
    kind: StepKind,
    body: dict[str, object],
    *,
    offer_name: str,
    state: str,
    offer_id: str | None = None,
    etag: str | None = None,
    variant: str = "",
) -> Step:
    """A create/update/publish step: the whole offer plus its linked price resources."""
    offer_body, prices = split_prices(body, offer_name, variant=variant)
    name = offer_resource_name(offer_name, variant)
    resource = _offer_head(name)
    if offer_id:
        resource["id"] = offer_id
    if etag:
        resource["eTag"] = etag
    for key, value in offer_body.items():
        if key in ("$schema", "resourceName", "id", "eTag", "state"):
            continue
        resource[key] = value
    resource["state"] = state
    # The price resources come "above" the offer that names them (docs/api-unknowns.md):
    # a service that processes a request in order finds them before the offer.
    return _step(kind, [*prices, resource], name, etag)


def minimal_step(
    kind: StepKind, *, offer_id: str, offer_name: str, offer_kind: str, state: str, etag: str | None
) -> Step:
    """Withdraw / delete: the documented minimal body."""
    name = offer_resource_name(offer_name, kind)
    resource = _offer_head(name)
    resource.update(
        {"id": offer_id, "name": offer_name, "privateOfferType": offer_kind, "state": state}
    )
    return _step(kind, [resource], name, etag)


def _pricing_key(entry: dict[str, object]) -> tuple[str, str]:
    product = str(entry.get("product", ""))
    return (product, short_plan(product, str(entry.get("plan") or entry.get("basePlan") or "")))


# Set by the service on read; the documented partner sample re-sends eTag and lastModified
# but none of these.
_PARTNER_NOT_RESENT = frozenset({"subState", "acceptanceLinks", "validations", "resourceName"})
_ENTRY_NOT_RESENT = frozenset({"productName", "planName", "validations"})


def _markups(desired: dict[str, Any], live_entries: list[dict[str, Any]]) -> list[Any]:
    """The file's markup for each live ``originatorPricing`` entry, in the live order.

    Matched by product and plan (``plan`` or ``basePlan``, either id form) when that names one
    entry; entries that share a base plan (several customised plans of one public plan) are
    matched by their position among the file's entries, the order import writes them in.
    """
    given = [e for e in desired.get("originatorPricing") or [] if isinstance(e, dict)]
    keys = [_pricing_key(e) for e in live_entries]
    result: list[object] = []
    for index, (entry, key) in enumerate(zip(live_entries, keys, strict=True)):
        same = [g for g in given if _pricing_key(g) == key]
        wide = [g for g in given if g.get("product") == key[0] and not _pricing_key(g)[1]]
        if keys.count(key) == 1 and len(same) == 1:
            chosen: dict[str, object] | None = same[0]
        elif keys.count(key) > 1 and len(same) == keys.count(key):
            chosen = same[keys[:index].count(key)]
        elif len(given) == len(live_entries):
            chosen = given[index]
        elif wide:  # an offer-wide markup for the product
            chosen = wide[0]
        else:
            chosen = None
        result.append(
            None
            if chosen is None
            else chosen.get("markupPercentage", entry.get("markupPercentage"))
        )
    return result


def partner_step(
    desired: dict[str, Any],
    live: dict[str, Any],
    *,
    offer_id: str,
    offer_name: str,
    etag: str | None,
) -> Step:
    """The selling partner's completion: the whole resource it read, with its own fields.

    As the documented partner sample does, the request re-sends everything the partner's GET
    returned (the originator's fields are read-only but present, ``offerPricingType``
    included, so every pricing type completes), with the partner's own fields from the file
    and its ``markupPercentage`` on each ``originatorPricing`` entry.
    """
    name = offer_resource_name(offer_name, "partner")
    resource = _offer_head(name)
    for key, value in live.items():
        if key in _PARTNER_NOT_RESENT or key in ("$schema", "eTag"):
            continue
        # The originator's text is data: sent back as read, a secret in it kept by reference.
        resource[key] = mark_live(value, offer_id, (key,))
    resource["id"] = offer_id
    if etag:
        resource["eTag"] = etag
    else:
        resource.pop("lastModified", None)
    resource["name"] = offer_name
    resource["privateOfferType"] = CHANNEL_PARTNER
    resource["state"] = "live"
    # What the selling partner may send; the rest is the originator's, read-only for it.
    for key in PARTNER_OWNED_FIELDS:
        if key in desired:
            resource[key] = copy.deepcopy(desired[key])
        else:
            resource.pop(key, None)
    live_entries = [e for e in live.get("originatorPricing") or [] if isinstance(e, dict)]
    entries = []
    raw = live.get("originatorPricing") or []
    live_index = [i for i, e in enumerate(raw) if isinstance(e, dict)]
    pairs = zip(live_entries, _markups(desired, live_entries), live_index, strict=True)
    for entry, markup, at in pairs:
        field = ("originatorPricing", at)
        # A software reservation's newPlanDetails is "not applicable for the request body":
        # the service generates it, so it is not sent back.
        generated = live.get("offerPricingType") == "vmSoftwareReservations"
        sent = {
            k: mark_live(v, offer_id, (*field, k))
            for k, v in entry.items()
            if k not in _ENTRY_NOT_RESENT and not (generated and k == "newPlanDetails")
        }
        if markup is not None:
            sent["markupPercentage"] = markup
        entries.append(sent)
    if not entries:
        entries = copy.deepcopy(list(desired.get("originatorPricing") or []))
    resource["originatorPricing"] = entries
    return _step("partner-complete", [resource], name, etag)
