"""Offer bodies -> comparable *essences*, and essences -> readable field changes.

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

:func:`diff` compares two essences with deepdiff (tree view, ``threshold_to_diff_deeper=0``
so a nested dict is never reported as one opaque change) and turns each difference into
a :class:`~reconciler.plan.changes.FieldChange`, dropping those matched by ``ignore``
rules. Ignore rules are globs on the readable path: ``*`` matches any characters except
``[`` and ``]``, and a rule also covers everything below the path it matches
(``notificationContacts``, ``pricing[*].discountPercentage``, ``beneficiaries[*]``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from deepdiff import DeepDiff

from reconciler.offers import fields
from reconciler.offers.domain import ALTERNATIVE_SPELLINGS, canonical_type, plan_key
from reconciler.plan.changes import FieldChange
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


class Keyed(dict[str, object]):
    """A list normalised into ``{stable key: item}``; paths render as ``name[key]``."""


class KeySet(Keyed):
    """A list of scalars compared as a set (``{value: value}``)."""


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


# ---------------------------------------------------------------------------------------
# Paths


def _child(node: object, part: object) -> object:
    if isinstance(node, Mapping):
        return node.get(part, MISSING) if part in node else MISSING
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return MISSING


def format_path(parts: Sequence[object], trees: Iterable[object]) -> str:
    """``['pricing', 'product/x/plan/1', 'discountPercentage']`` -> readable keyed path.

    Whether a segment is a key of a :class:`Keyed` container is read from the essences
    themselves (from whichever of *trees* holds the path).
    """
    text = ""
    nodes = list(trees)
    for part in parts:
        keyed = any(isinstance(n, Keyed) for n in nodes)
        indexed = isinstance(part, int) and any(isinstance(n, list) for n in nodes)
        if keyed or indexed:
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
        nodes = [c for c in (_child(n, part) for n in nodes) if c is not MISSING]
    return text


MISSING: object = object()


def lookup(tree: object, parts: Sequence[object]) -> object:
    """The value at *parts* in an essence, or :data:`MISSING`."""
    node = tree
    for part in parts:
        node = _child(node, part)
        if node is MISSING:
            return MISSING
    return node


@cache
def _ignore_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    for ch in pattern.strip():
        out += "[^\\[\\]]*" if ch == "*" else re.escape(ch)
    return re.compile(out + r"(?=$|[.\[])")


def is_ignored(path: str, rules: Iterable[str]) -> bool:
    return any(_ignore_regex(rule).match(path) for rule in rules if rule.strip())


def plain(value: object) -> object:
    """An essence value as plain JSON data (Keyed dicts stay dicts, sets become lists)."""
    if isinstance(value, KeySet):
        return sorted(value.values(), key=str)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def leaves(tree: Mapping[str, object]) -> list[RawChange]:
    """Every leaf of an essence as an ``add`` (how a create is shown: one line per value)."""
    out: list[RawChange] = []

    def walk(node: object, parts: list[object]) -> None:
        if isinstance(node, KeySet) or not isinstance(node, Mapping | list) or not node:
            out.append(RawChange(parts, format_path(parts, [tree]), "add", MISSING, node))
            return
        if isinstance(node, list):
            if all(not isinstance(i, Mapping | list) for i in node):
                out.append(RawChange(parts, format_path(parts, [tree]), "add", MISSING, node))
                return
            for i, item in enumerate(node):
                walk(item, [*parts, i])
            return
        for key, value in node.items():
            walk(value, [*parts, key])

    walk(tree, [])
    return out


# ---------------------------------------------------------------------------------------
# Diff


class RawChange:
    """A difference before origin classification: path parts plus the readable path."""

    __slots__ = ("new", "old", "op", "parts", "path")

    def __init__(self, parts: list[object], path: str, op: str, old: object, new: object) -> None:
        self.parts = parts
        self.path = path
        self.op = op
        self.old = old
        self.new = new

    def field_change(self, origin: str = "unknown") -> FieldChange:
        return FieldChange(
            path=self.path,
            old=None if self.old is MISSING else plain(self.old),
            new=None if self.new is MISSING else plain(self.new),
            origin=origin,
            op=self.op,
        )


_ADDED = ("dictionary_item_added", "iterable_item_added", "attribute_added")
_REMOVED = ("dictionary_item_removed", "iterable_item_removed", "attribute_removed")


def diff(
    live: Mapping[str, object], desired: Mapping[str, object], ignore: Iterable[str] = ()
) -> list[RawChange]:
    """Field-level differences from *live* to *desired*, sorted by path."""
    # Most offers of a large account are unchanged; plain equality (5 == 5.0 like
    # ignore_numeric_type_changes) settles them without building a DeepDiff tree.
    if live == desired:
        return []
    rules = list(ignore)
    tree = DeepDiff(
        dict(live),
        dict(desired),
        view="tree",
        threshold_to_diff_deeper=0,
        ignore_numeric_type_changes=True,
    )
    changes: list[RawChange] = []
    for report, levels in tree.items():
        for level in levels:
            parts = list(level.path(output_format="list"))
            path = format_path(parts, [live, desired])
            if is_ignored(path, rules):
                continue
            if report in _ADDED:
                op, old, new = "add", MISSING, level.t2
            elif report in _REMOVED:
                op, old, new = "remove", level.t1, MISSING
            else:
                op, old, new = "change", level.t1, level.t2
            changes.append(RawChange(parts, path, op, old, new))
    changes.sort(key=lambda c: c.path)
    return changes
