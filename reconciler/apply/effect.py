"""Did a step take effect? The one place that decides it from the live offers.

Used when a configure answer was lost (the job id is unknown) and the only evidence is what
can be read back (docs/apply.md, "Lost answers"):

* a **create** took effect only if an offer id appears, with the desired name and type, that
  was *not* in the listing recorded in the journal before the POST (``before``). A matching
  name alone proves nothing: the old offer of a recreate has that name too;
* an **update / publish / partner completion** took effect only if the target's eTag moved
  away from the one sent and the plain fields sent now match; an eTag that moved to other
  values means someone else edited it (``moved``);
* a **withdraw / delete** took effect only if the target's state changed to the one sent
  (a deleted offer may vanish from reads).

Anything else is "not applied" *now*; whether that may be concluded for good (the job may
still be queued) is the caller's decision (:mod:`reconciler.apply.resolve`).
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.apply.guard import LiveView, step_target
from reconciler.apply.states import Verdict
from reconciler.offers.domain import STATE_AFTER_WITHDRAW, OfferState, offer_key
from reconciler.plan.changes import Step

_NOT_COMPARED = ("$schema", "id", "eTag", "resourceName", "state")


def new_offer(step: Step, before: Iterable[str], live: LiveView) -> str | None:
    """The id of an offer the create in *step* made: same name and type, not in *before*."""
    _, body = step_target(step)
    known = {offer_key(i) for i in before}
    for offer in live.active_named(str(body.get("name")), str(body.get("privateOfferType", ""))):
        if offer_key(offer.get("id")) not in known:
            return str(offer.get("id"))
    return None


def effect_of(
    step: Step,
    live: LiveView,
    *,
    sent_etag: str | None,
    before: Iterable[str] | None,
) -> tuple[Verdict, str | None]:
    """APPLIED / NOT_APPLIED / MOVED for *step*, and the durable id it concerns."""
    offer_id, body = step_target(step)
    if offer_id is None:
        if before is None:
            # No pre-POST listing recorded (a journal of an older version): nothing can be
            # proven, and a name match is no evidence.
            return Verdict.UNRESOLVED, None
        created = new_offer(step, before, live)
        return (Verdict.APPLIED, created) if created else (Verdict.NOT_APPLIED, None)
    current = live.get(offer_id)
    wanted_state = body.get("state")
    if current is None:
        if not live.listed:
            return Verdict.UNRESOLVED, offer_id
        # Gone: only a delete explains it; anything else was overtaken by someone else.
        return (Verdict.APPLIED if wanted_state == "deleted" else Verdict.MOVED), offer_id
    if step.kind in ("withdraw", "delete"):
        reached = {wanted_state}
        if wanted_state == OfferState.WITHDRAWN:
            # a withdrawn offer may read back as draft; a withdraw is only sent to a live one
            reached.add(STATE_AFTER_WITHDRAW)
        changed = current.get("state") in reached
        return (Verdict.APPLIED if changed else Verdict.NOT_APPLIED), offer_id
    if sent_etag and current.get("eTag") == sent_etag:
        return Verdict.NOT_APPLIED, offer_id
    if _fields_match(body, current):
        return Verdict.APPLIED, offer_id
    # The eTag moved (or none was sent) and the fields are not ours: someone else's edit,
    # or ours overtaken by theirs; either way a new plan must decide.
    return (Verdict.MOVED if sent_etag else Verdict.NOT_APPLIED), offer_id


def _fields_match(body: dict[str, object], current: dict[str, object]) -> bool:
    plain = {
        k: v
        for k, v in body.items()
        if k not in _NOT_COMPARED and isinstance(v, str | int | float | bool)
    }
    if body.get("state") and current.get("state") != body.get("state"):
        return False
    return all(current.get(k) == v for k, v in plain.items())
