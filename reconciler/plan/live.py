"""The live side of a plan: every private offer of the account, plus the prices they use.

Request budget: the offers come from the paged list endpoint, and absolute price
resources are fetched once per durable id, only for offers a file manages. When the list
answers full resources, that is the floor -- list pages plus one GET per referenced price
resource. When it answers summaries (``id``, ``name``, ``privateOfferType``, ``state``:
no eTag, no pricing; :func:`reconciler.api.shapes.is_summary`), each managed offer is
also read by id, side by side with the paging: list pages + one GET per managed offer +
the price reads, the floor for that shape.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from reconciler.api.shapes import is_summary
from reconciler.offers.domain import offer_key
from reconciler.offers.schema_urls import reported_versions
from reconciler.plan.plan_ids import PlanIds, priced_products, read_plan_ids


class LiveClient(Protocol):
    """The read calls of :class:`reconciler.api.client.ProductIngestionClient` plan uses."""

    def list_offers(self) -> Iterator[dict[str, object]]: ...

    def get_offer(self, offer_id: str) -> dict[str, object]: ...

    def get_resource(self, durable_id: str) -> dict[str, object]: ...


@dataclass
class LiveState:
    offers: list[dict[str, object]] = field(default_factory=list)
    prices: dict[str, dict[str, object]] = field(default_factory=dict)  # durable id -> resource
    # Both names of the plans of the products the files price (read by the pipeline).
    plans: PlanIds = field(default_factory=PlanIds)

    def reported_versions(self) -> dict[str, str]:
        """The newest schema version per resource type the service answered with."""
        return reported_versions([*self.offers, *self.prices.values()])

    def by_id(self) -> dict[str, dict[str, object]]:
        return {short_id(str(o.get("id", ""))): o for o in self.offers if o.get("id")}


def short_id(offer_id: str) -> str:
    """``private-offer/<guid>`` and ``<guid>`` name the same offer."""
    return offer_key(offer_id)


def price_references(offer: Mapping[str, Any]) -> list[str]:
    """The absolute-price resources an offer's own ``pricing`` references.

    ``originatorPricing`` (the selling partner's view) is left out on purpose: those prices
    belong to the originator, the partner cannot read them (404) and a partner file cannot
    declare them, so there is nothing to compare them with.
    """
    refs = []
    for entry in offer.get("pricing") or []:
        details = entry.get("priceDetails") if isinstance(entry, Mapping) else None
        if isinstance(details, str) and details:
            refs.append(details)
    return refs


def _wanted_refs(
    offer: dict[str, object], managed: Callable[[dict[str, object]], bool] | None
) -> list[str]:
    if offer.get("state") == "deleted":
        return []
    if managed is not None and not managed(offer):
        return []
    return price_references(offer)


def _needs_read(
    offer: dict[str, object], wanted: Callable[[dict[str, object]], bool] | None
) -> bool:
    """A listed summary of an offer the caller wants: its fields come from a GET by id."""
    return bool(offer.get("id")) and is_summary(offer) and (wanted is None or wanted(offer))


def fetch_live(
    client: LiveClient,
    *,
    managed: Callable[[dict[str, object]], bool] | None = None,
    workers: int = 1,
    complete: Callable[[dict[str, object]], bool] | None = None,
) -> LiveState:
    """List all offers; fetch the price resources of the offers *managed* selects (all if None).

    A listed summary is read by id when *complete* selects it (default: *managed*).

    The list is paged and sequential by nature (each page names the next); the reads by id
    of summarised offers and the price resources are independent reads, fetched by up to
    *workers* - 1 threads beside the paging (*workers* requests at once in all) because
    against the real API (~100 ms a request) thousands of them one by one take minutes.
    They start as soon as the page naming them arrives, so they overlap the paging instead
    of waiting for the last page; the client's rate budget paces them all.
    """
    complete = managed if complete is None else complete
    if workers <= 1:
        offers: list[dict[str, object]] = []
        refs: dict[str, None] = {}
        for offer in client.list_offers():
            if _needs_read(offer, complete):
                offer = client.get_offer(str(offer["id"]))
            offers.append(offer)
            refs.update(dict.fromkeys(_wanted_refs(offer, managed)))
        prices = {ref: client.get_resource(ref) for ref in refs}
        return _with_plans(client, LiveState(offers=offers, prices=prices), managed, 1)
    # The paging holds one of the *workers* connections meanwhile. More requesters than
    # connections would queue in httpx's pool, where a queued request can have its
    # connection closed under it by another thread (encode/httpcore#1110): a failed read,
    # a retry and a backoff wait in about every other plan of 5,000 offers.
    pool = ThreadPoolExecutor(max_workers=max(1, workers - 1), thread_name_prefix="live")
    futures: dict[str, Future[dict[str, object]]] = {}
    lock = threading.Lock()

    def want_prices(offer: dict[str, object]) -> None:
        for ref in _wanted_refs(offer, managed):
            with lock:
                if ref not in futures:
                    futures[ref] = pool.submit(client.get_resource, ref)

    def read_full(offer_id: str) -> dict[str, object]:
        full = client.get_offer(offer_id)
        want_prices(full)  # before returning: the prices are awaited after the offers
        return full

    slots: list[dict[str, object] | Future[dict[str, object]]] = []
    try:
        for offer in client.list_offers():
            if _needs_read(offer, complete):
                slots.append(pool.submit(read_full, str(offer["id"])))
            else:
                slots.append(offer)
                want_prices(offer)
        offers = [s.result() if isinstance(s, Future) else s for s in slots]
        with lock:
            pending = dict(futures)
        prices = {ref: future.result() for ref, future in pending.items()}
    finally:
        # On an error, reads not yet started are dropped rather than sent for nothing.
        pool.shutdown(wait=True, cancel_futures=True)
    return _with_plans(client, LiveState(offers=offers, prices=prices), managed, workers)


def _with_plans(
    client: LiveClient,
    live: LiveState,
    managed: Callable[[dict[str, object]], bool] | None,
    workers: int,
) -> LiveState:
    """*live* with the plans its managed offers name by durable id renamed ``plan/<externalId>``
    (the form files write; docs/api-unknowns.md, "Plan ids"): one ``GET plan`` per product."""
    mine = [o for o in live.offers if managed is None or managed(o)]
    products = priced_products(mine, durable_only=True)
    read_plan_ids(client, products, workers=workers, into=live.plans)
    live.offers = live.plans.named_all(live.offers)
    return live


def complete_summaries(
    client: LiveClient,
    live: LiveState,
    wanted: Callable[[dict[str, object]], bool],
    *,
    workers: int = 1,
) -> None:
    """Replace (in place) the listed summaries *wanted* selects by the offers read by id."""
    at = [n for n, o in enumerate(live.offers) if _needs_read(o, wanted)]
    if not at:
        return
    ids = [str(live.offers[n]["id"]) for n in at]
    if workers > 1 and len(ids) > 1:
        with ThreadPoolExecutor(min(workers, len(ids)), thread_name_prefix="live") as pool:
            found = list(pool.map(client.get_offer, ids))
    else:
        found = [client.get_offer(i) for i in ids]
    for n, offer in zip(at, found, strict=True):
        live.offers[n] = offer


def managed_selector(names: set[str], ids: set[str]) -> Callable[[dict[str, object]], bool]:
    """A *managed* predicate for :func:`fetch_live` from the files' names and pinned ids."""
    short = {short_id(i) for i in ids}

    def managed(offer: dict[str, object]) -> bool:
        return offer.get("name") in names or short_id(str(offer.get("id", ""))) in short

    return managed
