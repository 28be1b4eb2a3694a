"""One file against its live offer: essences, the partner's projection, ignore rules, origins."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.offers.domain import CHANNEL_PARTNER
from reconciler.offers.fields import CARRIED_OVER, PARTNER_OWNED_FIELDS, PARTNER_PRICING_VIEW
from reconciler.offers.template_value import Template, mark_live
from reconciler.plan.changes import FieldChange, Origin, Reason
from reconciler.plan.fielddiff import MISSING, Keyed, RawChange, lookup
from reconciler.plan.inputs import OfferFileLike
from reconciler.plan.live import LiveState
from reconciler.plan.normalize import essence, pricing_key
from reconciler.secrets import REGISTRY
from reconciler.settings import Settings


def partner_view(ess: Mapping[str, object]) -> dict[str, object]:
    view = {k: ess[k] for k in PARTNER_OWNED_FIELDS if k in ess}
    pricing = ess.get("originatorPricing")
    if isinstance(pricing, Mapping):
        projected = Keyed()
        for entry in pricing.values():
            seen = {f: v for f, v in entry.items() if f in PARTNER_PRICING_VIEW}
            # Re-keyed on what the partner sees: the originator's newPlanDetails is not in
            # the partner's file, so customised plans of one base plan match by position.
            k = pricing_key(seen)
            while k in projected:
                k += "'"
            projected[k] = seen
        view["originatorPricing"] = projected
    return view


def essences(
    f: OfferFileLike,
    desired_body: Mapping[str, object],
    live_offer: Mapping[str, object] | None,
    live: LiveState,
) -> tuple[dict[str, object], dict[str, object]]:
    desired = essence(desired_body, plans=live.plans)
    current = (
        essence(live_offer, prices=live.prices, plans=live.plans) if live_offer is not None else {}
    )
    if f.kind == CHANNEL_PARTNER:
        desired, current = partner_view(desired), partner_view(current)
    return desired, without_carried_over(desired, current)


def without_carried_over(
    desired: Mapping[str, object], current: dict[str, object]
) -> dict[str, object]:
    """*current* without the entries the service carried over into an upgrade.

    An upgrade keeps the original offer's pricing for every product/plan the request does
    not name (docs/api-unknowns.md, ``upgradedFrom``): those entries are the service's, not
    a difference from the file, which names only what it changes. Entries the file names
    are compared as usual.
    """
    for ref, field in CARRIED_OVER.items():
        theirs = current.get(field)
        if desired.get(ref) is None or not isinstance(theirs, Keyed):
            continue
        mine = desired.get(field)
        named = mine if isinstance(mine, Mapping) else {}
        kept = Keyed({k: v for k, v in theirs.items() if k in named})
        current = {**current, field: kept}
        if not kept and field not in desired:
            del current[field]  # every entry carried over: the file names none
    return current


def origin_of(raw: RawChange, base: Mapping[str, object] | None, known: bool) -> Origin:
    if not known:
        return "unknown"
    if base is None:
        return "git"
    value = lookup(base, raw.parts)
    desired_moved = raw.new is not value and not _same(raw.new, value)
    live_moved = not _same(raw.old, value)
    if desired_moved and not live_moved:
        return "git"
    if live_moved and not desired_moved:
        return "live"
    return "both"


def _same(a: object, b: object) -> bool:
    if a is MISSING or b is MISSING:
        return a is b
    return bool(a == b)


def aggregate_reason(changes: Sequence[FieldChange]) -> Reason | None:
    origins = {c.origin for c in changes}
    if not origins or "unknown" in origins:
        return None
    if origins == {"git"}:
        return "git"
    if origins == {"live"}:
        return "live"
    return "both"


def ignore_rules(settings: Settings, f: OfferFileLike) -> list[str]:
    controls = f.controls
    own = list(getattr(controls, "ignore", None) or [])
    return [*settings.plan.ignore, *own]


def top_level_ignored(
    body: dict[str, Any], live_offer: Mapping[str, Any] | None, rules: list[str]
) -> dict[str, object]:
    """Keep the live value of ignored top-level fields in the body we send, so an update
    made for another reason does not revert them."""
    if not live_offer:
        return body
    body = dict(body)
    for rule in rules:
        rule = rule.strip()
        if rule and all(ch not in rule for ch in "*[.") and rule in live_offer:
            # Live text, never a template; a secret in it is kept by reference (plan.sealed).
            body[rule] = mark_live(live_offer[rule], live_offer.get("id"), (rule,))
    return body


def shown_templates(body: object, found: dict[str, str] | None = None) -> dict[str, str]:
    """This file's own templates by expanded value: what a field change shows instead."""
    found = {} if found is None else found
    if isinstance(body, Template):
        found[str(body)] = body.source
    elif isinstance(body, Mapping):
        for value in body.values():
            shown_templates(value, found)
    elif isinstance(body, list):
        for value in body:
            shown_templates(value, found)
    return found


def _shown(value: object, templates: Mapping[str, str]) -> object:
    if isinstance(value, str):
        return templates.get(value, value)
    if isinstance(value, Mapping):
        return {k: _shown(v, templates) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_shown(v, templates) for v in value]
    return value


def template_field(fc: FieldChange, templates: Mapping[str, str] | None = None) -> FieldChange:
    # Persisted plans must not carry env-expanded secrets (e.g. a SAS URL from ${VAR}), nor
    # a live offer's SAS URL: old and new are only shown, never sent. Only the desired side
    # shows this file's own templates; the live side is data, shown (redacted) as read.
    new = _shown(fc.new, templates or {})
    old, new = REGISTRY.redact_obj(fc.old), REGISTRY.redact_obj(new)
    return FieldChange(path=fc.path, op=fc.op, old=old, new=new, origin=fc.origin)
