"""Every independent problem of a file: the rules still run when some fields fail.

pydantic reports every type error of a file at once, but the rules need a valid offer, and an
unknown ``privateOfferType`` stops validation before either. So one wrong value used to hide
the file's other problems until it was fixed, one round trip per problem.

Here the fields that failed are set aside (their own messages are already reported), the rest
is validated again, and the rules run on that offer. A rule finding about a set-aside field,
or about a field holding one, is dropped: it would be a guess about a value the user still
has to fix. An unknown type with a close match (``customerPromo``) is checked as that match.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import TypeAdapter, ValidationError

from reconciler.offers.domain import PRIVATE_OFFER_TYPES
from reconciler.offers.messages import suggest, translate
from reconciler.offers.model import KIND_MODELS, OfferBase
from reconciler.offers.rules import Finding

Path = tuple[str | int, ...]
Rules = Callable[[OfferBase], list[Finding]]

# Setting a field aside can leave its parent invalid (an emptied entry); a few rounds settle
# that, and a file still invalid after them gets no rule findings rather than a loop.
ROUNDS = 3


def as_closest_kind(body: dict[str, Any], adapter: TypeAdapter[Any], rules: Rules) -> list[Finding]:
    """The findings of a file whose type is unknown, checked as the type it is closest to
    (none when no type is close: the fields and rules differ too much by type)."""
    kind = body.get("privateOfferType")
    closest = suggest(kind, PRIVATE_OFFER_TYPES) if isinstance(kind, str) else None
    if closest is None:
        return []
    guessed = {**body, "privateOfferType": closest}
    try:
        offer = adapter.validate_python(guessed)
    except ValidationError as exc:
        found = list(translate(exc, KIND_MODELS[closest], (), closest))
        found += rules_despite_errors(guessed, exc, closest, adapter, rules)
    else:
        found = rules(offer)
    return [f for f in found if f.path[:1] != ("privateOfferType",)]


def rules_despite_errors(
    body: dict[str, object],
    exc: ValidationError,
    kind: str,
    adapter: TypeAdapter[Any],
    rules: Rules,
) -> list[Finding]:
    """The rule findings of *body* without the fields *exc* refused (see the module doc)."""
    current = copy.deepcopy(body)
    aside: list[Path] = []
    error: ValidationError = exc
    for _ in range(ROUNDS):
        for raw in error.errors(include_url=False):
            loc = tuple(raw["loc"])
            loc = loc[1:] if loc and loc[0] == kind else loc
            if not loc or not _remove(current, loc):
                return []  # nothing to set aside (a required field is missing): stop here
            aside.append(loc)
        try:
            offer = adapter.validate_python(current)
        except ValidationError as again:
            error = again
            continue
        return [f for f in rules(offer) if not _touches(f.path, aside)]
    return []


def _remove(data: Any, loc: Sequence[str | int]) -> bool:
    """Drop the key at *loc* (a list item's field, never a list item: that would renumber the
    items after it, and every position after it would be wrong)."""
    parent = data
    for part in loc[:-1]:
        try:
            parent = parent[part]
        except (KeyError, IndexError, TypeError):
            return False
    last = loc[-1]
    if isinstance(parent, dict) and last in parent:
        del parent[last]
        return True
    return False


def _touches(path: Path, aside: list[Path]) -> bool:
    """Whether a finding at *path* is about a set-aside field, a part of one, holds one, or
    is the field a misspelt one meant (``discountPercentag`` set aside, then "discountPercentage
    is required"). Findings about the file as a whole (an empty path) are kept."""
    if not path:
        return False
    return any(path[: len(a)] == a or a[: len(path)] == path or _misspelt(path, a) for a in aside)


def _misspelt(path: Path, aside: Path) -> bool:
    if len(path) != len(aside) or path[:-1] != aside[:-1]:
        return False
    name, other = path[-1], aside[-1]
    if not isinstance(name, str) or not isinstance(other, str):
        return False
    return suggest(other, [name]) is not None
