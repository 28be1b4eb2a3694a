"""A live offer (as the API returns it) -> the plain, ordered data of its offer file.

The file keeps only what a person would write: API field names, the pinned ``id``, the
``state``, absolute prices folded back inline (with the plan layer's own
:func:`~reconciler.plan.normalize.fold_prices`), and nothing the API sets by itself
(eTag, lastModified, subState, acceptance links, product and plan names, validations).

What the offer model does not know is *not* dropped silently: the shape is walked along
the model's own field types (:mod:`reconciler.offers.model`), and every key that is
neither modelled nor known to be server-set is returned as an unrepresentable field path,
so the caller can refuse to write a file that would lose it.

A selling partner's view of a multiparty offer carries the originator's fields too; the
channel-partner file keeps only what the partner owns plus the identifying fields, the
same projection the planner compares (``reconciler.offers.fields.ORIGINATOR_OWNED_*``).

SAS URLs: a literal ``sig=`` is a secret and must not reach git. The signature part is
replaced by a ``${VAR}`` reference named after the file
(``RECONCILER_VAR_TAILSPIN_TOYS_SAS_SIG``, ``..._2`` for the next one; the prefix lets
offer files use it without a settings entry); the real values are returned so the caller
can check the file against the live offer and tell the user which variables to set.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from reconciler.offers.domain import canonical_type, is_channel_partner
from reconciler.offers.fields import (
    API_DATE,
    DATE_FIELDS,
    FILE_ORDER,
    ORIGINATOR_OWNED_FIELDS,
    ORIGINATOR_OWNED_PRICING_FIELDS,
    PARTNER_OWNED_FIELDS,
    READ_ONLY_FIELDS,
    SAS_URL_KEYS,
)
from reconciler.offers.loader import unwrap_annotation
from reconciler.offers.model import KIND_MODELS
from reconciler.plan.normalize import READ_ONLY, fold_prices, short_plan
from reconciler.secrets import REGISTRY, VAR_PREFIX

# Top-level key order of a written file: the catalogue's.
TOP_ORDER = FILE_ORDER
# Server-set at the top level; `id` and `state` are the file's, so they stay.
_SERVER_TOP = (READ_ONLY | READ_ONLY_FIELDS) - {"id", "state"}
# Server-set inside nested objects (pricing entries, price resources).
_SERVER_NESTED = frozenset({"productName", "planName", "validations", "eTag", "lastModified"})
SAS_KEYS = SAS_URL_KEYS
# Small {type, value} objects read best on one line, as in the examples.
FLOW_KEYS = frozenset({"billingTerm", "paymentOption", "reservationDuration", "paymentSchedule"})
_DATE = API_DATE
_SIG = re.compile(r"(?i)([?&]sig=)(?!\$\{)([^&#]*)")

Path = tuple[str | int, ...]


@dataclass
class Rendered:
    """The file data of one offer, and what could not be put in it."""

    data: dict[str, object]
    unknown: list[str] = field(default_factory=list)
    """Dotted paths of live fields the offer model does not know (left out of ``data``)."""
    secrets: dict[str, str] = field(default_factory=dict)
    """``${VAR}`` name -> the real signature it stands for (never written anywhere)."""


def dotted(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def is_partner_pending(offer: Mapping[str, Any]) -> bool:
    """The selling partner has not completed this multiparty offer yet (nothing of its own)."""
    if offer.get("state") == "draft":
        return True
    entries = offer.get("originatorPricing") or []
    return any(isinstance(e, Mapping) and "markupPercentage" not in e for e in entries)


def env_prefix(file_stem: str) -> str:
    """``tailspin-toys.yaml`` -> ``RECONCILER_VAR_TAILSPIN_TOYS``: a valid environment
    variable name, with the prefix that lets offer files use it without a settings entry."""
    text = re.sub(r"[^A-Za-z0-9]+", "_", file_stem).strip("_").upper() or "OFFER"
    return f"{VAR_PREFIX}{text}"


def render_offer(
    offer: Mapping[str, object],
    prices: Mapping[str, Mapping[str, object]],
    *,
    file_stem: str,
    to_complete: bool = False,
) -> Rendered:
    """The file data of *offer* (a live private-offer body) in :data:`TOP_ORDER`.

    *to_complete*: a multiparty offer the selling partner has not completed yet. Its file
    asks for ``state: live`` and carries every partner field, empty where the partner has
    not set it, and a ``markupPercentage`` per pricing entry to fill in.
    """
    # A live offer may spell the channel-partner type with a capital P; the file gets the
    # canonical spelling (and the model of its kind).
    kind = canonical_type(offer.get("privateOfferType"))
    partner = is_channel_partner(kind)
    body = dict(fold_prices(offer, prices)) if not partner else dict(offer)
    unknown: list[str] = []
    model = KIND_MODELS.get(kind)
    data: dict[str, Any] = {}
    for key, value in body.items():
        if key in _SERVER_TOP:
            continue
        if partner and key in ORIGINATOR_OWNED_FIELDS:
            continue
        if model is None or key not in _aliases(model):
            unknown.append(key)
            continue
        annotation = _aliases(model)[key]
        if partner and key == "originatorPricing" and isinstance(value, list):
            value = [
                {k: v for k, v in e.items() if k not in ORIGINATOR_OWNED_PRICING_FIELDS}
                if isinstance(e, Mapping)
                else e
                for e in value
            ]
        shaped = _shape(value, annotation, (key,), unknown)
        if shaped is None or shaped == [] or shaped == {}:
            continue
        data[key] = shaped
    if "privateOfferType" in data:
        data["privateOfferType"] = kind
    if partner and to_complete:
        data["state"] = "live"
        for key in PARTNER_OWNED_FIELDS:
            data.setdefault(key, None)
        for entry in data.get("originatorPricing") or []:
            if isinstance(entry, dict):
                entry.setdefault("markupPercentage", None)
    for key in DATE_FIELDS & data.keys():
        match = _DATE.match(str(data[key])) if isinstance(data[key], str) else None
        if match:
            # an impossible date stays text: validation reports it with the file position
            with contextlib.suppress(ValueError):
                data[key] = dt.date.fromisoformat(match.group(1))
    for key in ("pricing", "originatorPricing"):
        for entry in data.get(key) or []:
            _tidy_entry(entry, str(data.get("offerPricingType", "")))
    ordered = {k: data[k] for k in TOP_ORDER if k in data}
    ordered.update({k: v for k, v in data.items() if k not in ordered})
    secrets: dict[str, str] = {}
    _hide_signatures(ordered, env_prefix(file_stem), secrets)
    return Rendered(ordered, unknown, secrets)


def _tidy_entry(entry: object, pricing_type: str) -> None:
    if not isinstance(entry, dict):
        return
    product = entry.get("product")
    if isinstance(product, str):
        for key in ("plan", "basePlan"):
            if isinstance(entry.get(key), str):
                entry[key] = short_plan(product, entry[key])
    if pricing_type == "vmSoftwareReservations":
        # Generated by the API for a software reservation; a file must not send it.
        entry.pop("newPlanDetails", None)


def _hide_signatures(node: object, prefix: str, secrets: dict[str, str]) -> None:
    items: list[tuple[Any, Any]]
    if isinstance(node, dict):
        items = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    else:
        return
    for key, value in items:
        if key in SAS_KEYS and isinstance(value, str) and _SIG.search(value):

            def placeholder(match: re.Match[str]) -> str:
                name = f"{prefix}_SAS_SIG" + (f"_{len(secrets) + 1}" if secrets else "")
                secrets[name] = match.group(2)
                REGISTRY.add_secret(match.group(2))
                return f"{match.group(1)}${{{name}}}"

            node[key] = _SIG.sub(placeholder, value)
        else:
            _hide_signatures(value, prefix, secrets)


# --- the model's shape ------------------------------------------------------------------------


def _aliases(model: type[BaseModel]) -> dict[str, object]:
    return {(f.alias or name): f.annotation for name, f in model.model_fields.items()}


def _shape(value: object, annotation: object, path: Path, unknown: list[str]) -> object:
    """*value* with its keys ordered as the model declares them; unknown keys reported."""
    annotation = unwrap_annotation(annotation)
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if not isinstance(value, Mapping):
            return value  # a type mismatch: validation reports it
        fields = _aliases(annotation)
        out: dict[str, object] = {}
        for key, sub in fields.items():
            if key in value:
                shaped = _shape(value[key], sub, (*path, key), unknown)
                if shaped is not None:
                    out[key] = shaped
        for key in value:
            if key not in fields and key not in _SERVER_NESTED:
                unknown.append(dotted((*path, str(key))))
        return out
    if origin is list and isinstance(value, list):
        (item,) = typing.get_args(annotation) or (object,)
        return [_shape(v, item, (*path, i), unknown) for i, v in enumerate(value)]
    if origin is dict and isinstance(value, Mapping):
        _, item = typing.get_args(annotation) or (str, object)
        return {str(k): _shape(v, item, (*path, str(k)), unknown) for k, v in value.items()}
    return value


_FILL_IN = re.compile(r"^(\s*(?:- )?)(markupPercentage|preparedBy|notificationContacts|"
                      r"termsAndConditionsDocs|notes):(?: null)?$", re.MULTILINE)  # fmt: skip


def mark_fill_ins(text: str) -> str:
    """Turn the empty partner fields of a to-complete file into visible fill-in lines."""
    return _FILL_IN.sub(lambda m: f"{m.group(1)}{m.group(2)}:  # fill in", text)
