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
(``ceil(offers / page size)`` requests when the list returns full resources with their
eTags; when it returns summaries, the changes' offers are read by id after it).
Creates can only be checked by name, so any create means a list pass anyway. Without
creates apply reads by id while there are at most :data:`GET_LIMIT` changes, or at most
a tenth of the live offers the plan saw (:func:`by_id_limit`): the GETs go out side by side
(``apply.max-concurrent-requests``) and move a tenth of the list's bytes or less, while
the list's pages follow each other (``@nextLink``): at 100 ms a round trip, 200 changes
of 5,000 offers are 7 rounds of GETs instead of 50 pages. Above that the list pass wins,
and within a rate budget (``apply.requests-per-second``) also when the GETs would be
more requests than the list's pages.

Updates carry the eTag in their body, so a race after this check fails the job
(``conflict``) instead of overwriting the other edit.

Create re-check
---------------
Just before a wave with creates, apply lists the live offers again
(:func:`unknown_same_name`): an active offer with the create's name and type that the plan
did not know (not the offer a recreate replaces, not one this run made) makes that create
stale. The same listing is recorded in the journal as the evidence base for a lost answer
(:mod:`reconciler.apply.effect`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from reconciler.api.shapes import is_summary
from reconciler.errors import NotFoundError
from reconciler.offers.domain import is_active, name_key, offer_key, same_type
from reconciler.plan.changes import Change, Step

GET_LIMIT = 5
BY_ID_SHARE = 10  # read by id up to 1/BY_ID_SHARE of the account's offers


def by_id_limit(live_offers: int, *, page_size: int, budgeted: bool) -> int:
    """How many changes (without creates) the guard reads one by one rather than listing
    an account of *live_offers* offers. Within a rate budget every request costs a token,
    so reading by id must then also cost fewer requests than the list's pages."""
    limit = max(GET_LIMIT, live_offers // BY_ID_SHARE)
    if budgeted:
        limit = min(limit, max(GET_LIMIT, math.ceil(live_offers / page_size)))
    return limit


class LiveReader(Protocol):
    def list_offers(self) -> Iterator[dict[str, object]]: ...

    def get_offer(self, offer_id: str) -> dict[str, object]: ...


@dataclass
class LiveView:
    """The live offers apply looked at, by id and by name (only what it fetched)."""

    by_id: dict[str, dict[str, object]]
    by_name: dict[str, list[dict[str, object]]]
    listed: bool  # True: by_id holds every offer (a missing id means the offer is gone)

    def get(self, offer_id: str | None) -> dict[str, object] | None:
        return self.by_id.get(offer_key(offer_id))

    def active_named(self, name: str, kind: str) -> list[dict[str, object]]:
        return [
            o
            for o in self.by_name.get(name_key(name), [])
            if is_active(o) and (not kind or same_type(o.get("privateOfferType"), kind))
        ]


def read_live(
    client: LiveReader,
    ids: Sequence[str],
    *,
    need_list: bool,
    by_id_max: int = GET_LIMIT,
    workers: int = 1,
) -> LiveView:
    """Fetch what the checks need: a list pass, or one GET per id (see the module doc)."""
    by_id: dict[str, dict[str, object]] = {}
    by_name: dict[str, list[dict[str, object]]] = {}
    wanted = list(dict.fromkeys(ids))

    def read(offer_id: str) -> dict[str, object] | None:
        try:
            return client.get_offer(offer_id)
        except NotFoundError:
            return None

    def read_all(offer_ids: list[str]) -> list[dict[str, object] | None]:
        if workers > 1 and len(offer_ids) > 1:
            with ThreadPoolExecutor(min(workers, len(offer_ids)), thread_name_prefix="guard") as p:
                return list(p.map(read, offer_ids))
        return [read(offer_id) for offer_id in offer_ids]

    if need_list or len(wanted) > by_id_max:
        for offer in client.list_offers():
            by_id[offer_key(offer.get("id"))] = offer
            by_name.setdefault(name_key(offer.get("name")), []).append(offer)
        # A list of summaries has no eTags: the changes' own offers are read by id.
        summaries = [i for i in wanted if is_summary(by_id.get(offer_key(i)) or {"eTag": ""})]
        for offer_id, got in zip(summaries, read_all(summaries), strict=True):
            if got is None:
                by_id.pop(offer_key(offer_id), None)
            else:
                by_id[offer_key(offer_id)] = got
        return LiveView(by_id, by_name, listed=True)
    for offer_id, got in zip(wanted, read_all(wanted), strict=True):
        if got is None:
            continue
        by_id[offer_key(offer_id)] = got
        by_name.setdefault(name_key(got.get("name")), []).append(got)
    return LiveView(by_id, by_name, listed=False)


def planned_etag(change: Change) -> str | None:
    if change.etag:
        return change.etag
    return change.steps[0].expect_etag if change.steps else None


def unknown_same_name(change: Change, live: LiveView, known: set[str]) -> list[dict[str, object]]:
    """Active offers named like *change* that neither the plan nor this run knows of."""
    if change.offer_id:
        known = known | {offer_key(change.offer_id)}
    return [
        o
        for o in live.active_named(change.offer_name, change.kind)
        if offer_key(o.get("id")) not in known
    ]


def named(live: LiveView, name: str) -> list[dict[str, object]]:
    """Every listed offer of that name, whatever its state or type."""
    return live.by_name.get(name_key(name), [])


def stale_reason(change: Change, live: LiveView) -> str | None:
    """Why *change* must not be sent against *live*, or None when it still applies."""
    if change.offer_id is None:
        taken = unknown_same_name(change, live, set())
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


def step_target(step: Step) -> tuple[str | None, dict[str, object]]:
    """The durable id a step acts on (None for a create) and its private-offer resource."""
    offer = step.offer_resource
    return (str(offer["id"]) if offer.get("id") else None), offer
