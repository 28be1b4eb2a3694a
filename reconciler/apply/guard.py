"""Reading the live side right before sending: the stale-plan guard and effect checks.

Stale-plan guard
----------------
A plan was computed from live eTags; between plan and apply someone may have edited an
offer in Partner Center (or another apply ran). Before sending, apply re-reads every
affected offer:

* a change on an existing offer is stale when the live ``eTag`` differs from the one the
  plan saw (``Change.etag`` / the first step's ``expect_etag``), or the offer is gone;
* a create is stale when an active (draft or live) offer of that name and type exists
  now: sending it would make a second offer with the same name.

Cost: one ``GET private-offer/{id}`` per change, or one paged list pass for all of them
(``ceil(offers / page size)`` requests, the list returns full resources with their eTags).
Creates can only be checked by name, so any create means a list pass anyway; without
creates apply issues GETs while there are at most :data:`GET_LIMIT` changes to check --
below that the GETs are cheaper than even a single list page of a large account, above
it the list pass wins.

Updates carry the eTag in their body, so a race after this check fails the job
(``conflict``) instead of overwriting the other edit.

Effect checks
-------------
:func:`effect_of` answers "did this step take effect?" for a request whose answer was lost,
without re-sending it: creates by name in the live list, withdraw/delete by the live state,
updates by the live eTag (unchanged = not applied; moved = applied *or* edited by someone
else, which apply reports as needing a new plan).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from reconciler.errors import NotFoundError
from reconciler.offers.domain import (
    STATE_AFTER_WITHDRAW,
    OfferState,
    is_active,
    name_key,
    offer_key,
    same_type,
)
from reconciler.plan.changes import Change, Step

GET_LIMIT = 5


class LiveReader(Protocol):
    def list_offers(self) -> Iterator[dict[str, Any]]: ...

    def get_offer(self, offer_id: str) -> dict[str, Any]: ...


@dataclass
class LiveView:
    """The live offers apply looked at, by id and by name (only what it fetched)."""

    by_id: dict[str, dict[str, Any]]
    by_name: dict[str, list[dict[str, Any]]]

    def get(self, offer_id: str | None) -> dict[str, Any] | None:
        return self.by_id.get(offer_key(offer_id))

    def active_named(self, name: str, kind: str) -> list[dict[str, Any]]:
        return [
            o
            for o in self.by_name.get(name_key(name), [])
            if is_active(o) and (not kind or same_type(o.get("privateOfferType"), kind))
        ]


def read_live(client: LiveReader, ids: Sequence[str], *, need_list: bool) -> LiveView:
    """Fetch what the checks need: a list pass, or one GET per id (see the module doc)."""
    by_id: dict[str, dict[str, Any]] = {}
    by_name: dict[str, list[dict[str, Any]]] = {}
    if need_list or len(set(ids)) > GET_LIMIT:
        for offer in client.list_offers():
            by_id[offer_key(offer.get("id"))] = offer
            by_name.setdefault(name_key(offer.get("name")), []).append(offer)
        return LiveView(by_id, by_name)
    for offer_id in dict.fromkeys(ids):
        try:
            offer = client.get_offer(offer_id)
        except NotFoundError:
            continue
        by_id[offer_key(offer_id)] = offer
        by_name.setdefault(name_key(offer.get("name")), []).append(offer)
    return LiveView(by_id, by_name)


def planned_etag(change: Change) -> str | None:
    if change.etag:
        return change.etag
    return change.steps[0].expect_etag if change.steps else None


def stale_reason(change: Change, live: LiveView) -> str | None:
    """Why *change* must not be sent against *live*, or None when it still applies."""
    if change.offer_id is None:
        taken = live.active_named(change.offer_name, change.kind)
        if taken:
            ids = ", ".join(str(o.get("id")) for o in taken)
            return f"an offer named {change.offer_name!r} exists now ({ids}); run plan again"
        return None
    offer = live.get(change.offer_id)
    if offer is None:
        return f"offer {change.offer_id} no longer exists; run plan again"
    expected = planned_etag(change)
    current = offer.get("eTag")
    if expected and current != expected:
        return (
            f"offer {change.offer_id} changed since the plan (eTag {expected} -> {current}); "
            "run plan again"
        )
    return None


Effect = Literal["applied", "not-applied", "moved"]


def step_target(step: Step) -> tuple[str | None, dict[str, Any]]:
    offer = step.offer_resource
    return (str(offer["id"]) if offer.get("id") else None), offer


def effect_of(step: Step, sent_etag: str | None, live: LiveView) -> tuple[Effect, str | None]:
    """Did *step* take effect? Returns the verdict and the durable id it concerns."""
    offer_id, body = step_target(step)
    if offer_id is None:
        found = live.active_named(str(body.get("name")), str(body.get("privateOfferType", "")))
        if found:
            return "applied", str(found[0].get("id"))
        return "not-applied", None
    current = live.get(offer_id)
    target_state = body.get("state")
    if current is None:
        # Gone: only a delete explains it; anything else was overtaken by someone else.
        return ("applied" if target_state == "deleted" else "moved"), offer_id
    if step.kind in ("withdraw", "delete"):
        reached = {target_state}
        if target_state == OfferState.WITHDRAWN:
            # a withdrawn offer goes back to draft; a withdraw is only sent to a live offer
            reached.add(STATE_AFTER_WITHDRAW)
        return ("applied" if current.get("state") in reached else "not-applied"), offer_id
    if sent_etag:
        return ("not-applied" if current.get("eTag") == sent_etag else "moved"), offer_id
    plain = {
        k: v
        for k, v in body.items()
        if k not in ("$schema", "id", "eTag", "resourceName")
        and isinstance(v, str | int | float | bool)
    }
    if plain and all(current.get(k) == v for k, v in plain.items()):
        return "applied", offer_id
    return "not-applied", offer_id
