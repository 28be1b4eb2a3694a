"""Identity: which live offer each offer file manages (pinned id first, then name).

Deleted live offers never match by name. When several offers carry the name and exactly
one of them is active (draft or live), that one matches: a recreated offer leaves withdrawn
namesakes behind. Any other ambiguity is an error asking to pin the ``id``; two files
claiming one live offer is an error too. Names compare by
:func:`reconciler.offers.domain.name_key`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from reconciler.errors import OfferFilesInvalid, Problem
from reconciler.offers.domain import INACTIVE_STATES, name_key, offer_key
from reconciler.plan.inputs import OfferFileLike
from reconciler.plan.live import LiveState


def match_offers(
    files: Sequence[OfferFileLike], live: LiveState
) -> dict[str, dict[str, Any] | None]:
    """file path -> the live offer it manages (None: not live yet). Raises on ambiguity."""
    by_id = live.by_id()
    by_name: dict[str, list[dict[str, Any]]] = {}
    for offer in live.offers:
        if offer.get("state") != "deleted":
            by_name.setdefault(name_key(offer.get("name")), []).append(offer)
    problems: list[Problem] = []
    result: dict[str, dict[str, Any] | None] = {}
    claimed: dict[str, str] = {}
    for f in files:
        key = str(f.path)
        match: dict[str, Any] | None = None
        if f.id:
            match = by_id.get(offer_key(f.id))
        else:
            candidates = by_name.get(name_key(f.name), [])
            if len(candidates) > 1:
                active = [c for c in candidates if c.get("state") not in INACTIVE_STATES]
                if len(active) == 1:
                    candidates = active
            if len(candidates) > 1:
                line, col = f.position(["name"])
                ids = ", ".join(sorted(str(c.get("id")) for c in candidates))
                problems.append(
                    Problem(
                        key,
                        line,
                        col,
                        "name",
                        f"{len(candidates)} live offers are named {f.name!r} ({ids}); "
                        "pin the one this file manages with `id:`",
                        rule="plan-ambiguous-name",
                    )
                )
                continue
            match = candidates[0] if candidates else None
        if match is not None:
            mid = offer_key(match.get("id"))
            if mid in claimed:
                line, col = f.position(["id"] if f.id else ["name"])
                problems.append(
                    Problem(
                        key,
                        line,
                        col,
                        "id" if f.id else "name",
                        f"live offer {match.get('id')} is already managed by {claimed[mid]}",
                        rule="plan-duplicate-claim",
                    )
                )
                continue
            claimed[mid] = key
        result[key] = match
    if problems:
        raise OfferFilesInvalid(problems)
    return result
