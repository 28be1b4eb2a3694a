"""Renames: a new offer file for a deal that already has a live offer no file manages.

Names are identity. Renaming an offer (a new ``name``, often with ``git mv``) without
pinning its ``id`` makes the new name look like a new offer, and applying it would leave
the old one live beside it: two live offers for one deal, which no reviewer asked for.

A create whose offer matches an *unmanaged*, active live offer of the same deal -- the
same kind, the same beneficiaries (customers, CSP partners), the same partners and the
same products and plans -- is therefore planned as ``Blocked``, with the exact line that
makes it the documented change of that one live offer (``id: …``), and how to get a second
offer on purpose (give the old offer a file of its own, so the reviewer sees both). With
the ``id`` pinned, identity matches the live offer and the plan changes it in place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from reconciler.offers.domain import INACTIVE_STATES, canonical_type, offer_key
from reconciler.plan.changes import Blocked, Change
from reconciler.plan.normalize import short_plan

DealKey = tuple[str, frozenset[str], frozenset[str], frozenset[tuple[str, str]]]


def _ids(items: object, key: str = "id") -> frozenset[str]:
    if not isinstance(items, list):
        return frozenset()
    return frozenset(str(i.get(key, "")).lower() for i in items if isinstance(i, Mapping))


def deal_key(body: Mapping[str, object]) -> DealKey | None:
    """What identifies a deal apart from its name; None when there is too little to tell."""
    pricing = body.get("pricing") or body.get("originatorPricing")
    plans = frozenset(
        (product.lower(), short_plan(product, str(p.get("plan") or p.get("basePlan") or "")))
        for p in (pricing if isinstance(pricing, list) else [])
        if isinstance(p, Mapping)
        for product in [str(p.get("product", ""))]
    )
    if not plans:
        return None
    return (
        canonical_type(body.get("privateOfferType")),
        _ids(body.get("beneficiaries")),
        _ids(body.get("partners")),
        plans,
    )


def block_renames(
    changes: list[Change],
    bodies: Mapping[str, Mapping[str, object]],
    live_offers: Iterable[Mapping[str, object]],
    claimed: set[str],
) -> None:
    """Replace (in place) each create that matches an unmanaged live offer's deal.

    *bodies*: file path -> the desired API body of its offer; *claimed*: offer keys of the
    live offers some file manages.
    """
    deals: dict[DealKey, list[Mapping[str, object]]] = {}
    for offer in live_offers:
        if offer_key(offer.get("id")) in claimed or offer.get("state") in INACTIVE_STATES:
            continue
        key = deal_key(offer)
        if key is not None:
            deals.setdefault(key, []).append(offer)
    if not deals:
        return
    for index, change in enumerate(changes):
        if change.action != "create":
            continue
        body = bodies.get(change.file)
        key = deal_key(body) if body is not None else None
        found = deals.get(key) if key is not None else None
        if found:
            changes[index] = renamed(change, found)


def renamed(change: Change, olds: Sequence[Mapping[str, object]]) -> Change:
    """The create of *change* refused, with the line that makes it a change of *olds[0]*."""
    old = olds[0]
    oid, name = str(old.get("id", "")), str(old.get("name", ""))
    others = f" (and {len(olds) - 1} more: {', '.join(str(o.get('id')) for o in olds[1:])})"
    reason = (
        f"this looks like a rename of the live offer {name!r} ({oid}"
        f"{others if len(olds) > 1 else ''}): the same kind, beneficiaries and pricing, and no "
        "file manages that offer any more; creating it would put a new offer beside the old "
        "one, live for the same deal"
    )
    override = (
        f"to change that offer in place (rename it), add this line to {change.file}: "
        f"`id: {oid}`; to keep it and create a new offer beside it, give the old offer a "
        f"file of its own (`reconciler import --id {oid}`)"
    )
    data = change.model_dump(exclude={"action", "disruptive", "steps", "source"})
    data.update(blocked_reason=reason, override=override, wanted="create")
    return Blocked.model_validate(data)
