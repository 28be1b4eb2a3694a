"""Live state for a targeted plan: only the offers the changed files manage, read by id.

A full plan reads every page of the offer list (it needs them all: identity by name,
unmanaged offers, thresholds). A targeted plan (:mod:`.scope`) needs only the offers of a
few files, so it reads each by id -- ``GET private-offer/{id}`` -- when the id is known:

* pinned in the file (``id:``), or
* remembered by name from the last full run or apply (the id cache, :class:`KnownIds`).

An id from the cache is checked: the offer must still carry the file's name (one name rule,
:func:`~reconciler.offers.domain.name_key`) and not be deleted; otherwise, and for a name
nobody has seen yet (a new file), the plan falls back to one pass over the list to find
the offers of that name, as a full plan would. Price resources are then read for the
offers found, as in a full plan.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from reconciler.errors import NotFoundError
from reconciler.offers.domain import name_key, offer_key
from reconciler.plan.inputs import OfferFileLike
from reconciler.plan.live import LiveState, price_references


class TargetClient(Protocol):
    """The reads of :class:`reconciler.api.client.ProductIngestionClient` a targeted plan uses."""

    def list_offers(self) -> Iterator[dict[str, object]]: ...

    def get_offer(self, offer_id: str) -> dict[str, object]: ...

    def get_resource(self, durable_id: str) -> dict[str, object]: ...


class KnownIds(Protocol):
    """Live ids by name, as the last full run (or apply) saw them."""

    def id_for(self, name: str) -> str | None: ...


@dataclass(frozen=True)
class TargetedLive:
    live: LiveState
    by_id: int  # offers read with GET private-offer/{id}
    listed: bool  # whether a name had to be looked up in the list


def _pooled(workers: int, fn: Any, items: Sequence[str]) -> list[Any]:
    if workers <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        return list(pool.map(fn, items))


def fetch_targeted(
    client: TargetClient,
    files: Sequence[OfferFileLike],
    known: KnownIds | None,
    *,
    workers: int = 1,
) -> TargetedLive:
    """The live offers (and their prices) *files* manage, read by id where an id is known."""
    wanted: dict[str, tuple[OfferFileLike, bool]] = {}  # offer key -> (file, pinned)
    by_name: list[OfferFileLike] = []
    for f in files:
        pin = offer_key(f.id) if f.id else ""
        cached = known.id_for(f.name) if known is not None and not pin else None
        if pin or cached:
            wanted.setdefault(pin or offer_key(cached), (f, bool(pin)))
        else:
            by_name.append(f)

    def read(key: str) -> dict[str, object] | None:
        try:
            return client.get_offer(key)
        except NotFoundError:
            return None

    keys = list(wanted)
    offers: dict[str, dict[str, object]] = {}
    for key, offer in zip(keys, _pooled(workers, read, keys), strict=True):
        f, pinned = wanted[key]
        if pinned:
            if offer is not None:  # a pinned id that is gone: the planner reports it
                offers[key] = offer
        elif (
            offer is not None
            and offer.get("state") != "deleted"
            and name_key(offer.get("name")) == name_key(f.name)
        ):
            offers[key] = offer
        else:
            by_name.append(f)  # the remembered id no longer names this offer
    listed = bool(by_name)
    if listed:
        names = {name_key(f.name) for f in by_name}
        for offer in client.list_offers():
            if name_key(offer.get("name")) in names:
                offers.setdefault(offer_key(offer.get("id")), offer)
    found = list(offers.values())
    refs: dict[str, None] = {}
    for offer in found:
        if offer.get("state") != "deleted":
            refs.update(dict.fromkeys(price_references(offer)))
    ref_list = list(refs)
    prices = dict(zip(ref_list, _pooled(workers, client.get_resource, ref_list), strict=True))
    return TargetedLive(LiveState(offers=found, prices=prices), by_id=len(keys), listed=listed)


@dataclass(frozen=True)
class MappingIds:
    """:class:`KnownIds` over a plain ``{name_key: id}`` mapping."""

    ids: Mapping[str, str]

    def id_for(self, name: str) -> str | None:
        return self.ids.get(name_key(name))
