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
from dataclasses import dataclass
from typing import Any

from reconciler.offers.domain import (
    CHANNEL_PARTNER,
    INACTIVE_STATES,
    PARTNER_TYPES,
    offer_key,
    role_types,
)
from reconciler.offers.schema_urls import stamp_versions, write_versions
from reconciler.parallel import map_parts, parts_for
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
from reconciler.plan.fielddiff import diff
from reconciler.plan.identity import Identity, identify, match_offers
from reconciler.plan.inputs import OfferFileLike, PlanOptions
from reconciler.plan.labels import catalogue_names, describe, field_line
from reconciler.plan.lifecycle import Decision, decide
from reconciler.plan.live import LiveState
from reconciler.plan.namesakes import ambiguous_change, duplicate_withdraws
from reconciler.plan.normalize import essence
from reconciler.plan.plan import (
    OfferRef,
    Plan,
    PlanMeta,
    SafetyReport,
    SkippedFile,
    UnmanagedOffer,
)
from reconciler.plan.plan_ids import PlanIds
from reconciler.plan.renames import block_renames
from reconciler.plan.safety import evaluate
from reconciler.plan.scope import Scope
from reconciler.plan.upgrades import block_upgrades
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
    """The plan of *files* against the *live* offers (the stages of the module docstring).

    Files of the other role are skipped; each file of this role gets a change or is
    unchanged; then renames are blocked, the bodies stamped with the schema versions to
    write, live offers without a file listed as unmanaged, and the safety guards run.
    """
    opts = options or PlanOptions()
    kinds = role_kinds(opts.role)
    mine = [f for f in files if f.kind in kinds]
    found = identify(mine, live, opts.ours)
    changes, unchanged = _decide_files(mine, found, live, settings, baseline, opts)
    listed = _listed(found)
    by_path = {str(f.path): f for f in mine}
    creates = {c.file: by_path[c.file].api_body() for c in changes if c.action == "create"}
    if opts.scope is not Scope.CHANGED:
        # A targeted plan does not know which other offers are managed; it reads everything
        # instead when a file was removed or an offer renamed (reconciler.plan.scope).
        block_renames(changes, creates, live.offers, listed)
    block_upgrades(
        changes,
        creates,
        by_path,
        live.offers,
        accepted_only=settings.plan.upgrade_from == "accepted",
        read_all=opts.scope is not Scope.CHANGED,
    )
    _stamp_versions(changes, settings, live)
    return Plan(
        meta=_meta(opts, baseline),
        changes=changes,
        unchanged=unchanged,
        unmanaged=_unmanaged(live, listed, opts),
        skipped=_skipped(files, kinds),
        safety=_safety(changes, found, settings, opts),
    )


def _skipped(files: Sequence[OfferFileLike], kinds: frozenset[str]) -> list[SkippedFile]:
    """Files of the other role: listed, never planned."""
    return [
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


@dataclass(frozen=True)
class _Deciding:
    """What every file's decision reads: the run's identities, live state and options."""

    found: Identity
    live: LiveState
    settings: Settings
    baseline: Baseline | None
    opts: PlanOptions
    names: dict[str, str]


def _decide_files(
    mine: Sequence[OfferFileLike],
    found: Identity,
    live: LiveState,
    settings: Settings,
    baseline: Baseline | None,
    opts: PlanOptions,
) -> tuple[list[Change], list[OfferRef]]:
    """Each file of the role: its change (with the withdrawal of its duplicates), or unchanged.

    Pure computation, file by file: thousands of files are split among the cores
    (:mod:`reconciler.parallel`), the results joined in the files' order."""
    ctx = _Deciding(found, live, settings, baseline, opts, catalogue_names(live.offers))
    changes: list[Change] = []
    unchanged: list[OfferRef] = []
    for run_changes, run_unchanged in map_parts(
        lambda run: _decide_run(run, ctx), mine, parts_for(len(mine))
    ):
        changes.extend(run_changes)
        unchanged.extend(run_unchanged)
    return changes, unchanged


def _decide_run(
    mine: Sequence[OfferFileLike], ctx: _Deciding
) -> tuple[list[Change], list[OfferRef]]:
    changes: list[Change] = []
    unchanged: list[OfferRef] = []
    for f in mine:
        key = str(f.path)
        if key in ctx.found.ambiguous:  # this file alone waits for a pinned id
            changes.append(ambiguous_change(f, ctx.found.ambiguous[key]))
            continue
        if key in ctx.found.duplicates:  # the other live offers of its name: offered to withdraw
            changes.extend(duplicate_withdraws(f, ctx.found.duplicates[key]))
        decided = _decide_file(f, ctx.found.matches.get(key), ctx)
        if isinstance(decided, OfferRef):
            unchanged.append(decided)
        else:
            changes.append(decided)
    return changes, unchanged


def _decide_file(
    f: OfferFileLike, live_offer: dict[str, Any] | None, ctx: _Deciding
) -> Change | OfferRef:
    """One file against its live offer: diff, origins, the lifecycle's decision, labels."""
    live, settings, baseline, opts = ctx.live, ctx.settings, ctx.baseline, ctx.opts
    key = str(f.path)
    rules = ignore_rules(settings, f)
    desired_body = top_level_ignored(dict(f.api_body()), live_offer, rules)
    desired_ess, live_ess = essences(f, desired_body, live_offer, live)
    raws = diff(live_ess, desired_ess, rules)
    known = baseline is not None and baseline.has(key)
    base_ess, base_state = _baseline_of(f, baseline if known else None, live.plans)
    # Only a field change shows a template: most offers of a large plan have none, and
    # walking every desired body for templates is a cost of its own at thousands of offers.
    shown = shown_templates(desired_body) if raws else {}
    fields = [
        template_field(raw.field_change(origin_of(raw, base_ess, known)), shown) for raw in raws
    ]
    live_state = (live_offer or {}).get("state")
    state_origin = _state_origin(known, base_ess, base_state, f.state, live_state)
    controls = f.controls
    decision = Decision(
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
    change = decide(decision, bool(raws), state_origin)
    if change is None:
        return OfferRef(
            file=key,
            offer_name=f.name,
            offer_id=(live_offer or {}).get("id"),
            kind=f.kind,
            state=live_state,
            etag=(live_offer or {}).get("eTag"),
        )
    if change.reason is None:
        change.reason = aggregate_reason(change.field_changes)
    describe(change, desired=desired_ess, live=live_ess, names=ctx.names, path=f.path)
    if change.action == "blocked":
        change.line = field_line(f, change)
    return change


def _baseline_of(
    f: OfferFileLike, baseline: Baseline | None, plans: PlanIds
) -> tuple[dict[str, Any] | None, str | None]:
    """The file's essence and state at the baseline (None when the file is new there)."""
    base_body = baseline.bodies.get(str(f.path)) if baseline is not None else None
    if base_body is None:
        return None, None
    base_ess = essence(base_body, plans=plans)
    if f.kind == CHANNEL_PARTNER:
        base_ess = partner_view(base_ess)
    return base_ess, str(base_body.get("state")) if base_body.get("state") else None


def _state_origin(
    known: bool,
    base_ess: dict[str, Any] | None,
    base_state: str | None,
    desired: str,
    live_state: object,
) -> Origin:
    """Why the state changes: the file moved (git), the account moved (live), or both."""
    if not known:
        return "unknown"
    if base_ess is None:
        return "git"
    if base_state == desired:
        return "live" if live_state != base_state else "git"
    return "both" if live_state != base_state else "git"


def _listed(found: Identity) -> set[str]:
    """Live offers with a file: matched, offered for withdrawal, or waiting for a pinned id."""
    claimed = {offer_key(o.get("id")) for o in found.matches.values() if o}
    named = [
        o for offers in (*found.duplicates.values(), *found.ambiguous.values()) for o in offers
    ]
    return claimed | {offer_key(o.get("id")) for o in named}


def _stamp_versions(changes: list[Change], settings: Settings, live: LiveState) -> None:
    """Each body names the schema version to write (the settings', or what the account has)."""
    versions = settings.api.versions
    offer_version, price_version = write_versions(
        (versions.offer, versions.price), versions.model_fields_set, live.reported_versions()
    )
    for change in changes:
        for step in change.steps:
            stamp_versions(step.resources, offer_version, price_version)


def _unmanaged(live: LiveState, listed: set[str], opts: PlanOptions) -> list[UnmanagedOffer]:
    """Live offers without a file (never touched); a targeted plan read only its own."""
    if opts.scope is Scope.CHANGED:
        return []
    return [
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


def _safety(
    changes: list[Change], found: Identity, settings: Settings, opts: PlanOptions
) -> SafetyReport:
    """The safety guards, against the managed (and active) offers of the plan's files."""
    managed_offers = [o for o in found.matches.values() if o and o.get("state") != "deleted"]
    managed_offers += [o for offers in found.duplicates.values() for o in offers]
    managed = len(managed_offers)
    active = sum(1 for o in managed_offers if o.get("state") not in INACTIVE_STATES)
    if opts.population is not None:
        managed, active = opts.population
    return evaluate(changes, managed, active, settings.plan, force=opts.force)


def _meta(opts: PlanOptions, baseline: Baseline | None) -> PlanMeta:
    now = (opts.now or (lambda: dt.datetime.now(dt.UTC)))()
    return PlanMeta(
        created_at=now.isoformat(timespec="seconds"),
        endpoint=opts.endpoint,
        role=opts.role,
        git_sha=opts.git_sha,
        baseline=baseline.ref if baseline else None,
        scope=opts.scope.value,
        files_not_read=opts.files_not_read,
    )
