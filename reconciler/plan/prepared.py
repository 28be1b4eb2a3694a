"""The desired side's essences, prepared while the live reads are in flight.

A full plan reads the account (list pages, then price resources by the thousand) and only
then compares. While those reads are answered the main thread waits; normalising each
file's body costs about as much as normalising its live offer, and needs nothing live, so
it is done in that wait (:func:`reconciler.plan.live.fetch_live`'s *meanwhile*). Only a
digest of each essence is kept (5,000 essences held at once cost ~13 MB, the digests
~0.5 MB): the comparison afterwards normalises the live offer, and when its digest is the
file's, the two essences are equal and the offer is unchanged without the file's essence.
Any other offer is compared as before, from both essences.

Two things known only after the reads can change a desired essence: the plan ids (a plan
named by its durable id or its external id is one key, :mod:`.plan_ids`) and a top-level
``ignore`` rule whose live value replaces the file's (:func:`.compare.top_level_ignored`).
A prepared digest is used only when neither touches the body, so the plan is the same
either way.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping

from reconciler.offers.domain import CHANNEL_PARTNER
from reconciler.plan.compare import partner_view
from reconciler.plan.inputs import OfferFileLike
from reconciler.plan.normalize import essence
from reconciler.plan.plan_ids import PlanIds, PlanRef, plan_refs


def digest(ess: Mapping[str, object]) -> bytes | None:
    """A digest of *ess* (None for a value JSON cannot hold exactly): equal digests mean
    equal essences -- keys sorted, and the essence's numbers are already normalised."""
    try:
        # ASCII escapes: the encoder's fast path (an essence holds no cycles).
        text = json.dumps(ess, sort_keys=True, allow_nan=False, check_circular=False)
    except (TypeError, ValueError):
        return None
    return hashlib.blake2b(text.encode("ascii"), digest_size=20).digest()


class DesiredEssences:
    """Per file object: the digest of its essence without plan ids (of the partner's view
    for a partner's file), and its plan references (read twice before the comparison)."""

    def __init__(self) -> None:
        # id() of the file -> (the file, its digest); the file is kept so an id reused by
        # another object after the first was freed never matches.
        self._found: dict[int, tuple[OfferFileLike, bytes]] = {}
        self._refs: dict[int, tuple[OfferFileLike, list[PlanRef]]] = {}

    def prepare(self, files: Iterable[OfferFileLike]) -> None:
        for f in files:
            if id(f) in self._found:
                continue
            body = f.api_body()
            self._refs[id(f)] = (f, plan_refs(body))
            ess = essence(body)
            found = digest(partner_view(ess) if f.kind == CHANNEL_PARTNER else ess)
            if found is not None:
                self._found[id(f)] = (f, found)

    def plan_refs(self, f: OfferFileLike) -> list[PlanRef]:
        """The plan references of *f*'s body (read from it once)."""
        found = self._refs.get(id(f))
        if found is None or found[0] is not f:
            found = self._refs[id(f)] = (f, plan_refs(f.api_body()))
        return found[1]

    def take(self, f: OfferFileLike, body: Mapping[str, object], plans: PlanIds) -> bytes | None:
        """The prepared digest of *f*, whose desired *body* is its unchanged ``api_body()``,
        or None (not prepared, or the plan ids rename one of its plans). Taken once."""
        found = self._found.pop(id(f), None)
        if found is None or found[0] is not f:
            return None
        if plans.products and plans.named(body) is not body:
            return None
        return found[1]

    def __len__(self) -> int:
        return len(self._found)
