"""What the service's answers look like: full resources or list summaries.

No page documents what ``GET private-offer/query`` returns per offer; the only public
fixture of it holds ``id``, ``name``, ``privateOfferType`` and ``state``
(docs/api-unknowns.md). An item without an ``eTag`` and without pricing is such a summary:
whoever needs its fields or its eTag reads the offer by id.
"""

from __future__ import annotations

from collections.abc import Mapping

SUMMARY_FIELDS = frozenset({"id", "name", "privateOfferType", "state"})


def is_summary(offer: Mapping[str, object]) -> bool:
    """True when *offer* (a list item) is not the full resource a GET by id returns."""
    if offer.get("state") == "deleted":
        return False  # a deleted offer has nothing left to compare
    return "eTag" not in offer and "pricing" not in offer and "originatorPricing" not in offer
