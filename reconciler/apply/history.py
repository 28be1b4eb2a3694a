"""What an apply records in the apply history (reconciler.state.history) for drift and import.

Only changes that were sent, or meant to be, are recorded: an offer left alone (blocked,
waiting) or not sent keeps its earlier record, since this apply did nothing to it.
"""

from __future__ import annotations

import datetime as dt

from reconciler.apply.outcome import ApplyResult
from reconciler.plan.plan import Plan
from reconciler.state.history import ApplyHistory, HistoryStore, OfferOutcome, digest

RECORDED = frozenset({"succeeded", "failed", "stale", "running", "unknown", "cancelled"})


def record_apply(store: HistoryStore, plan: Plan, result: ApplyResult) -> None:
    """Write each sent change's outcome, with digests of what git asked for."""
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    entries: list[OfferOutcome] = []
    for outcome in result.outcomes:
        if outcome.status not in RECORDED or not outcome.change_id.startswith("c"):
            continue
        index = int(outcome.change_id[1:])
        if index >= len(plan.changes):
            continue
        change = plan.changes[index]
        entries.append(
            OfferOutcome(
                file=change.file,
                offer_name=change.offer_name,
                offer_id=outcome.offer_id or change.offer_id,
                action=change.action,
                status=outcome.status,
                at=at,
                plan_checksum=plan.checksum,
                commit=plan.meta.git_sha,
                fields={fc.path: digest(fc.new) for fc in change.field_changes},
                message=outcome.message or (str(outcome.errors[0]) if outcome.errors else None),
            )
        )
    if not entries:
        return

    def change_history(history: ApplyHistory) -> None:
        for entry in entries:
            history.offers[entry.file] = entry

    store.update(change_history)
