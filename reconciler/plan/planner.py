"""desired (offer files) + live (the account) -> :class:`~reconciler.plan.plan.Plan`.

The pipeline, for each file of the current role:

1. **Identity** (:mod:`.identity`). A file matches a live offer by its pinned ``id``;
   otherwise by ``name``; ambiguity is an error asking to pin the ``id``.
2. **Diff** (:mod:`.compare`). Essences of desired and live (:mod:`.normalize`), minus the
   ``ignore`` rules of the settings and the file; for the selling partner only the fields
   it owns.
3. **Lifecycle** (:mod:`.lifecycle`). Live offers cannot simply be edited; the live state,
   sub-state and kind decide the action, including ``Blocked`` with a reason.
4. **Why.** Each field change gets its origin from the baseline (:mod:`.baseline`).
5. **Bodies** (:mod:`.requests`) and **safety** (:mod:`.safety`).

Files of the other role are listed as skipped; live offers without a file as unmanaged.
Removing a file therefore never withdraws anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from reconciler.offers.domain import (
    CHANNEL_PARTNER,
    INACTIVE_STATES,
    PARTNER_TYPES,
    offer_key,
    role_types,
)
from reconciler.offers.schema_urls import stamp_versions, write_versions
from reconciler.plan.baseline import Baseline
from reconciler.plan.changes import Change, Origin
from reconciler.plan.compare import (
    aggregate_reason,
    essences,
    ignore_rules,
    origin_of,
    partner_view,
    shown_templates,
    template_field,
    top_level_ignored,
)
from reconciler.plan.identity import identify, match_offers
from reconciler.plan.inputs import OfferFileLike, PlanOptions
from reconciler.plan.labels import catalogue_names, describe, field_line
from reconciler.plan.lifecycle import Decision, decide
from reconciler.plan.live import LiveState
from reconciler.plan.namesakes import ambiguous_change, duplicate_withdraws
from reconciler.plan.normalize import diff, essence
from reconciler.plan.plan import OfferRef, Plan, PlanMeta, SkippedFile, UnmanagedOffer
from reconciler.plan.renames import block_renames
from reconciler.plan.safety import evaluate
from reconciler.plan.scope import Scope
from reconciler.settings import Settings

__all__ = [
    "OfferFileLike",
    "PlanOptions",
    "aggregate_reason",
    "make_plan",
    "match_offers",
    "role_kinds",
]


def role_kinds(role: str) -> frozenset[str]:
    return role_types(role)


def make_plan(
    files: Sequence[OfferFileLike],
    live: LiveState,
    settings: Settings,
    *,
    baseline: Baseline | None = None,
    options: PlanOptions | None = None,
) -> Plan:
    opts = options or PlanOptions()
    kinds = role_kinds(opts.role)
    mine = [f for f in files if f.kind in kinds]
    skipped = [
        SkippedFile(
            file=str(f.path),
            offer_name=f.name,
            kind=f.kind,
            reason=f"{f.kind} offers are planned with --role "
            f"{'partner' if f.kind in PARTNER_TYPES else 'publisher'}",
        )
        for f in files
        if f.kind not in kinds
    ]
    found = identify(mine, live, opts.ours)
    matches = found.matches

    changes: list[Change] = []
    unchanged: list[OfferRef] = []
    names = catalogue_names(live.offers)
    for f in mine:
        key = str(f.path)
        if key in found.ambiguous:  # this file alone waits for a pinned id
            changes.append(ambiguous_change(f, found.ambiguous[key]))
            continue
        if key in found.duplicates:  # the other live offers of its name: offered to withdraw
            changes.extend(duplicate_withdraws(f, found.duplicates[key]))
        live_offer = matches.get(key)
        rules = ignore_rules(settings, f)
        desired_body = top_level_ignored(dict(f.api_body()), live_offer, rules)
        desired_ess, live_ess = essences(f, desired_body, live_offer, live)
        raws = diff(live_ess, desired_ess, rules)

        known = baseline is not None and baseline.has(key)
        base_ess: dict[str, Any] | None = None
        base_state: str | None = None
        if known and baseline is not None:
            base_body = baseline.bodies.get(key)
            if base_body is not None:
                base_ess = essence(base_body)
                if f.kind == CHANNEL_PARTNER:
                    base_ess = partner_view(base_ess)
                base_state = str(base_body.get("state")) if base_body.get("state") else None
        shown = shown_templates(desired_body)
        fields = [
            template_field(raw.field_change(origin_of(raw, base_ess, known)), shown) for raw in raws
        ]
        live_state = (live_offer or {}).get("state")
        state_origin: Origin = "unknown"
        if known:
            if base_ess is None:
                state_origin = "git"
            elif base_state == f.state:
                state_origin = "live" if live_state != base_state else "git"
            else:
                state_origin = "both" if live_state != base_state else "git"
        controls = f.controls
        ctx = Decision(
            f=f,
            live_offer=live_offer,
            desired_body=desired_body,
            fields=fields,
            allow_republish=bool(
                opts.allow_republish
                or settings.plan.allow_republish
                or getattr(controls, "allow_republish", False)
            ),
            protect=bool(getattr(controls, "protect", False)),
        )
        change = decide(ctx, bool(raws), state_origin)
        if change is None:
            unchanged.append(
                OfferRef(
                    file=key,
                    offer_name=f.name,
                    offer_id=(live_offer or {}).get("id"),
                    kind=f.kind,
                    state=live_state,
                    etag=(live_offer or {}).get("eTag"),
                )
            )
            continue
        if change.reason is None:
            change.reason = aggregate_reason(change.field_changes)
        describe(change, desired=desired_ess, live=live_ess, names=names, path=f.path)
        if change.action == "blocked":
            change.line = field_line(f, change)
        changes.append(change)

    claimed = {offer_key(o.get("id")) for o in matches.values() if o}
    # Offered for withdrawal (or waiting for a pinned id): listed with their file, not unmanaged.
    named = [
        o for offers in (*found.duplicates.values(), *found.ambiguous.values()) for o in offers
    ]
    listed = claimed | {offer_key(o.get("id")) for o in named}
    by_path = {str(f.path): f for f in mine}
    creates = {c.file: by_path[c.file].api_body() for c in changes if c.action == "create"}
    if opts.scope is not Scope.CHANGED:
        # A targeted plan does not know which other offers are managed; it reads everything
        # instead when a file was removed or an offer renamed (reconciler.plan.scope).
        block_renames(changes, creates, live.offers, listed)

    versions = settings.api.versions
    offer_version, price_version = write_versions(
        (versions.offer, versions.price), versions.model_fields_set, live.reported_versions()
    )
    for change in changes:
        for step in change.steps:
            stamp_versions(step.resources, offer_version, price_version)

    unmanaged = [
        UnmanagedOffer(
            id=str(o.get("id", "")),
            name=str(o.get("name", "")),
            state=o.get("state"),
            kind=o.get("privateOfferType"),
            sub_state=o.get("subState"),
        )
        for o in live.offers
        if offer_key(o.get("id")) not in listed and o.get("state") != "deleted"
    ]
    if opts.scope is Scope.CHANGED:
        unmanaged = []  # a targeted plan read only the changed files' offers
    managed_offers = [o for o in matches.values() if o and o.get("state") != "deleted"]
    managed_offers += [o for offers in found.duplicates.values() for o in offers]
    managed = len(managed_offers)
    active = sum(1 for o in managed_offers if o.get("state") not in INACTIVE_STATES)
    if opts.population is not None:
        managed, active = opts.population
    safety = evaluate(changes, managed, active, settings.plan, force=opts.force)
    now = (opts.now or (lambda: dt.datetime.now(dt.UTC)))()
    meta = PlanMeta(
        created_at=now.isoformat(timespec="seconds"),
        endpoint=opts.endpoint,
        role=opts.role,
        git_sha=opts.git_sha,
        baseline=baseline.ref if baseline else None,
        scope=opts.scope.value,
        files_not_read=opts.files_not_read,
    )
    return Plan(
        meta=meta,
        changes=changes,
        unchanged=unchanged,
        unmanaged=unmanaged,
        skipped=skipped,
        safety=safety,
    )
