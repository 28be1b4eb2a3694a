"""Two live offers with one name: the plan's way forward instead of an error for every run.

* The file's name matches several active offers and none is known (:mod:`.identity`): that
  file alone is blocked, asking to pin ``id:``; every other offer's change goes on.
* The file manages one of them: each other *live* offer of its name and type that no file
  manages is offered for withdrawal -- a normal change, shown in the plan and reviewed like
  any other, counted by the safety thresholds -- so one live offer carries the name.
"""

from __future__ import annotations

from typing import Any

from reconciler.offers.domain import canonical_type
from reconciler.plan import requests as rq
from reconciler.plan.changes import Blocked, Change, FieldChange, Withdraw
from reconciler.plan.identity import ambiguous_reason
from reconciler.plan.inputs import OfferFileLike


def ambiguous_change(f: OfferFileLike, candidates: list[dict[str, Any]]) -> Change:
    return Blocked(
        file=str(f.path),
        line=f.position(["name"])[0] or 1,
        offer_name=f.name,
        offer_id=None,
        kind=f.kind,
        blocked_reason=ambiguous_reason(f.name, candidates),
        override="pin the offer this file manages with `id:`",
    )


def duplicate_withdraws(f: OfferFileLike, duplicates: list[dict[str, Any]]) -> list[Change]:
    changes: list[Change] = []
    for offer in duplicates:
        oid = str(offer.get("id"))
        step = rq.minimal_step(
            "withdraw",
            offer_id=oid,
            offer_name=f.name,
            offer_kind=canonical_type(offer.get("privateOfferType") or f.kind),
            state="withdrawn",
            etag=offer.get("eTag"),
        )
        changes.append(
            Withdraw(
                file=str(f.path),
                line=f.position(["name"])[0] or 1,
                offer_name=f.name,
                offer_id=oid,
                kind=f.kind,
                etag=offer.get("eTag"),
                live_state="live",
                desired_state="withdrawn",
                reason="live",
                field_changes=[
                    FieldChange(path="state", old="live", new="withdrawn", origin="live")
                ],
                steps=[step],
            )
        )
    return changes
