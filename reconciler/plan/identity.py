"""Identity: which live offer each offer file manages (pinned id first, then name).

Deleted live offers never match by name. When several offers carry the name and exactly
one of them is active (draft or live), that one matches: a recreated offer leaves withdrawn
namesakes behind. When several are active (a duplicate made by hand, or by an interrupted
run of an older version), the newest one this tool's journals record creating matches
(``ours``); the other live ones are the file's *duplicates*, which the plan offers to
withdraw as a reviewable change. With none of them known, the file is *ambiguous*: the plan
blocks that file alone and asks to pin the ``id``. Two files claiming one live offer is an
error. Names compare by :func:`reconciler.offers.domain.name_key`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from reconciler.errors import OfferFilesInvalid, Problem
from reconciler.offers.domain import INACTIVE_STATES, name_key, offer_key
from reconciler.plan.inputs import OfferFileLike
from reconciler.plan.live import LiveState


@dataclass
class Identity:
    matches: dict[str, dict[str, object] | None] = field(default_factory=dict)
    # file -> the active offers of its name when none of them could be chosen
    ambiguous: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    # file -> live offers of its name and type besides the one it manages, no file's own
    duplicates: dict[str, list[dict[str, object]]] = field(default_factory=dict)


def match_offers(
    files: Sequence[OfferFileLike], live: LiveState
) -> dict[str, dict[str, object] | None]:
    """file path -> the live offer it manages (None: not live yet). Raises on ambiguity."""
    found = identify(files, live)
    if found.ambiguous:
        raise OfferFilesInvalid(
            [
                ambiguity(f, found.ambiguous[str(f.path)])
                for f in files
                if str(f.path) in found.ambiguous
            ]
        )
    return found.matches


def ambiguity(f: OfferFileLike, candidates: list[dict[str, object]]) -> Problem:
    line, col = f.position(["name"])
    return Problem(
        str(f.path), line, col, "name", ambiguous_reason(f.name, candidates),
        rule="plan-ambiguous-name",
    )  # fmt: skip


def ambiguous_reason(name: str, candidates: list[dict[str, object]]) -> str:
    ids = ", ".join(sorted(str(c.get("id")) for c in candidates))
    return (
        f"{len(candidates)} live offers are named {name!r} ({ids}); pin the one this file "
        "manages with `id:` (the plan then offers to withdraw the other)"
    )


def identify(files: Sequence[OfferFileLike], live: LiveState, ours: Sequence[str] = ()) -> Identity:
    """Which live offer each file manages; *ours*: ids this tool created, oldest first."""
    by_id = live.by_id()
    rank = {offer_key(i): n for n, i in enumerate(ours)}
    by_name: dict[str, list[dict[str, object]]] = {}
    for offer in live.offers:
        if offer.get("state") != "deleted":
            by_name.setdefault(name_key(offer.get("name")), []).append(offer)
    found = Identity()
    problems: list[Problem] = []
    claimed: dict[str, str] = {}
    for f in files:
        key = str(f.path)
        match: dict[str, object] | None = None
        namesakes = by_name.get(name_key(f.name), [])
        active = [c for c in namesakes if c.get("state") not in INACTIVE_STATES]
        if f.id:
            match = by_id.get(offer_key(f.id))
        elif len(namesakes) <= 1:
            match = namesakes[0] if namesakes else None
        elif len(active) == 1:
            match = active[0]
        else:
            pool = active or namesakes
            known = [c for c in pool if offer_key(c.get("id")) in rank]
            if not known:
                found.ambiguous[key] = pool
                continue
            match = max(known, key=lambda c: rank[offer_key(c.get("id"))])
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
            # Only beside a live offer of the file: an old file of a withdrawn offer says
            # nothing about a new live one that happens to share its name.
            found.duplicates[key] = [
                c
                for c in active
                if match.get("state") == "live"
                and c.get("state") == "live"
                and offer_key(c.get("id")) != mid
                and c.get("privateOfferType") == match.get("privateOfferType")
            ]
        found.matches[key] = match
    if problems:
        raise OfferFilesInvalid(problems)
    # A duplicate some file manages (by its pinned id) is that file's, not a duplicate.
    for key, others in list(found.duplicates.items()):
        others = [c for c in others if offer_key(c.get("id")) not in claimed]
        if others:
            found.duplicates[key] = others
        else:
            del found.duplicates[key]
    return found
