"""Which live offers an import takes, and the absolute-price resources they reference.

The offers come from the plan layer's own reader (:func:`reconciler.plan.live.fetch_live`):
one paged list, then one GET per price resource of a *selected* publisher offer. A selling
partner's view references the originator's price resources, which are the originator's
business (and the partner's file never carries prices), so they are not fetched.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from reconciler.errors import ReconcilerError
from reconciler.offers.domain import OFFER_STATES, is_channel_partner, name_key
from reconciler.plan.live import LiveClient, LiveState, fetch_live, price_references, short_id
from reconciler.plan.plan_ids import priced_products, read_plan_ids

STATES = OFFER_STATES
DEFAULT_STATES = ("draft", "live")


class ImportSelectionError(ReconcilerError):
    """The command line selects no offer, or names one the account does not have."""


def parse_states(text: str | None) -> tuple[str, ...]:
    """``draft,live`` -> the states; ``all`` -> every state; None -> :data:`DEFAULT_STATES`."""
    if text is None:
        return DEFAULT_STATES
    parts = [p.strip().lower() for p in text.split(",") if p.strip()]
    if parts == ["all"]:
        return STATES
    bad = [p for p in parts if p not in STATES]
    if bad or not parts:
        raise ImportSelectionError(
            f"--state: unknown state {', '.join(bad) or repr(text)}; "
            f"use a comma-separated list of {', '.join(STATES)}, or all"
        )
    return tuple(dict.fromkeys(parts))


@dataclass
class Selection:
    take_all: bool = False
    ids: Sequence[str] = ()
    name_glob: str | None = None
    states: Sequence[str] = DEFAULT_STATES

    def check(self) -> None:
        if not (self.take_all or self.ids or self.name_glob):
            raise ImportSelectionError("choose the offers to import: --all, --id ID or --name GLOB")

    def wants(self, offer: dict[str, object]) -> bool:
        if self.take_all:
            return True
        if self.ids and short_id(str(offer.get("id", ""))) in {short_id(i) for i in self.ids}:
            return True
        return self.name_glob is not None and fnmatch.fnmatchcase(
            name_key(offer.get("name")), name_key(self.name_glob)
        )


@dataclass
class Selected:
    offers: list[dict[str, object]]
    prices: dict[str, dict[str, object]]
    filtered: list[dict[str, object]] = field(default_factory=list)
    """Offers the selection named but the --state filter left out."""
    all_offers: list[dict[str, object]] = field(default_factory=list)
    """Every offer the account lists (for name ambiguity)."""


def select_offers(client: LiveClient, selection: Selection) -> Selected:
    selection.check()

    def managed(offer: dict[str, object]) -> bool:
        return (
            not is_channel_partner(offer.get("privateOfferType"))
            and selection.wants(offer)
            and offer.get("state") in selection.states
        )

    def complete(offer: dict[str, object]) -> bool:
        # Every selected offer is written in full, the partner's too (its prices excepted).
        return selection.wants(offer) and offer.get("state") in selection.states

    live: LiveState = fetch_live(client, managed=managed, complete=complete)
    chosen = [o for o in live.offers if selection.wants(o)]
    found = {short_id(str(o.get("id", ""))) for o in chosen}
    missing = [i for i in selection.ids if short_id(i) not in found]
    if missing:
        raise ImportSelectionError(
            f"the account has no private offer {', '.join(missing)} (--id takes "
            "private-offer/<guid> or <guid>)"
        )
    offers = [o for o in chosen if o.get("state") in selection.states]
    filtered = [o for o in chosen if o.get("state") not in selection.states]
    prices = dict(live.prices)
    # fetch_live skips deleted offers' prices; an explicit --state deleted still needs them.
    for ref in _refs(o for o in offers if not is_channel_partner(o.get("privateOfferType"))):
        if ref not in prices:
            prices[ref] = client.get_resource(ref)
    # A file names a plan as its user would write it: plan/<externalId>, the plan ID chosen in
    # Partner Center and the form of the documentation's samples, not the GUID of its
    # durable id (docs/import.md).
    plans = read_plan_ids(client, priced_products(offers), into=live.plans)
    offers = plans.named_all(offers)
    return Selected(offers, prices, filtered, live.offers)


def _refs(offers: Iterable[dict[str, object]]) -> list[str]:
    return [ref for offer in offers for ref in price_references(offer)]
