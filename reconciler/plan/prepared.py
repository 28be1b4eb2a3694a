"""The desired side's essences, prepared while the live reads are in flight.

A full plan reads the account (list pages, then price resources by the thousand) and only
then compares. While those reads are answered the main thread waits; normalising each
file's body costs about as much as normalising its live offer, and needs nothing live, so
it is done in that wait (:func:`reconciler.plan.live.fetch_live`'s *meanwhile*) and the
comparison afterwards only normalises the live side.

Two things known only after the reads can change a desired essence: the plan ids (a plan
named by its durable id or its external id is one key, :mod:`.plan_ids`) and a top-level
``ignore`` rule whose live value replaces the file's (:func:`.compare.top_level_ignored`).
A prepared essence is used only when neither touches the body; otherwise it is computed
again as before, so the plan is the same either way.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.offers.domain import CHANNEL_PARTNER
from reconciler.plan.compare import partner_view
from reconciler.plan.inputs import OfferFileLike
from reconciler.plan.normalize import essence
from reconciler.plan.plan_ids import PlanIds


class DesiredEssences:
    """Per file object: its essence without plan ids (the partner's view for a partner)."""

    def __init__(self) -> None:
        # id() of the file -> (the file, its essence); the file is kept so an id reused by
        # another object after the first was freed never matches.
        self._found: dict[int, tuple[OfferFileLike, dict[str, object]]] = {}

    def prepare(self, files: Iterable[OfferFileLike]) -> None:
        for f in files:
            if id(f) in self._found:
                continue
            ess = essence(f.api_body())
            self._found[id(f)] = (f, partner_view(ess) if f.kind == CHANNEL_PARTNER else ess)

    def take(
        self, f: OfferFileLike, body: dict[str, object], plans: PlanIds
    ) -> dict[str, object] | None:
        """The prepared essence of *f*, whose desired *body* is its unchanged ``api_body()``,
        or None (not prepared, or the plan ids rename one of its plans). Taken once: the
        comparison owns it afterwards."""
        found = self._found.pop(id(f), None)
        if found is None or found[0] is not f:
            return None
        if plans.products and plans.named(body) is not body:
            return None
        return found[1]

    def __len__(self) -> int:
        return len(self._found)
