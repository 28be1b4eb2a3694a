"""Upgrades: a new offer naming, in ``upgradedFrom``, the accepted offer it upgrades.

"This allows you to upgrade an existing accepted private offer" (Partner Center's FAQ,
docs/api-unknowns.md). The API page does not repeat the condition, so the reconciler takes
the harder reading: a create whose ``upgradedFrom`` names an offer the live read shows not
accepted (or not there at all) is planned as ``Blocked`` with the reason, rather than sent
to fail in its job; the plan's other offers proceed. ``plan.upgrade-from = "any"`` sends it
all the same, for a service that turns out to take the wider reading.

What the service carries over into the new offer is compared in
:func:`reconciler.plan.compare.without_carried_over`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from reconciler.api.shapes import is_summary
from reconciler.offers.domain import SubState, is_accepted, name_key, offer_key
from reconciler.plan.changes import Blocked, Change
from reconciler.plan.inputs import OfferFileLike

ACCEPTED_ONLY = (
    'only an accepted private offer can be upgraded ("This allows you to upgrade an '
    'existing accepted private offer", Partner Center)'
)


def upgraded_from(body: Mapping[str, object]) -> Mapping[str, object] | None:
    """The ``upgradedFrom`` reference of an offer body, if it has one."""
    ref = body.get("upgradedFrom")
    return ref if isinstance(ref, Mapping) else None


def upgrade_sources(files: Iterable[OfferFileLike], live_names: set[str]) -> set[str]:
    """Offer keys the upgrades about to be created name (their acceptance is read by id)."""
    keys = set()
    for f in files:
        if f.id or name_key(f.name) in live_names:
            continue  # already created: the upgrade is done
        ref = upgraded_from(f.api_body())
        if ref is not None and ref.get("id"):
            keys.add(offer_key(ref.get("id")))
    return keys


def block_upgrades(
    changes: list[Change],
    bodies: Mapping[str, Mapping[str, object]],
    files: Mapping[str, OfferFileLike],
    live_offers: Sequence[Mapping[str, object]],
    *,
    accepted_only: bool,
    read_all: bool,
) -> None:
    """Replace (in place) each create whose ``upgradedFrom`` the live read refuses.

    *bodies*: file path -> the desired API body of each create; *read_all*: the live read
    holds every offer of the account, so one it lacks is gone (a targeted plan read only
    its own files' offers, and cannot tell).
    """
    by_id: dict[str, Mapping[str, object]] | None = None
    for index, change in enumerate(changes):
        body = bodies.get(change.file)
        ref = upgraded_from(body) if change.action == "create" and body is not None else None
        if ref is None:
            continue
        if by_id is None:
            by_id = {offer_key(o.get("id")): o for o in live_offers if o.get("id")}
        original = by_id.get(offer_key(ref.get("id")))
        reason = _refusal(ref, original, accepted_only=accepted_only, read_all=read_all)
        if reason is not None:
            f = files.get(change.file)
            line = (f.position(["upgradedFrom", "id"])[0] if f else 0) or change.line
            changes[index] = _blocked(change, reason, ref, line)


def _refusal(
    ref: Mapping[str, object],
    original: Mapping[str, object] | None,
    *,
    accepted_only: bool,
    read_all: bool,
) -> str | None:
    named = f"upgradedFrom names the private offer {ref.get('id')}"
    if original is None or original.get("state") == "deleted":
        if not read_all:
            return None
        return f"{named}, which this account does not have (deleted, or never created)"
    if not accepted_only or is_accepted(original):
        return None
    if "subState" not in original and is_summary(original):
        return None  # a summary does not say; the service decides
    shown = f"{original.get('name')!r}"
    sub_state = original.get("subState") or "none"
    state = f"state {original.get('state')}, subState {sub_state}"
    if sub_state == SubState.EXPIRED:
        state += ": it expired before its customer accepted it"
    return f"{named} ({shown}), which its customer has not accepted ({state}); {ACCEPTED_ONLY}"


def _blocked(change: Change, reason: str, ref: Mapping[str, object], line: int) -> Change:
    override = (
        f"wait until the customer accepts {ref.get('id')} and plan again; for a new deal "
        "instead, remove upgradedFrom; to send it all the same, set plan.upgrade-from = "
        '"any"'
    )
    data = change.model_dump(exclude={"action", "disruptive", "steps", "source"})
    data.update(blocked_reason=reason, override=override, wanted="create", line=line)
    return Blocked.model_validate(data)
