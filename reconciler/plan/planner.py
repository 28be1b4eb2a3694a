"""desired (offer files) + live (the account) -> :class:`~reconciler.plan.plan.Plan`.

The pipeline, for each file of the current role:

1. **Identity.** A file matches a live offer by its pinned ``id``; otherwise by ``name``.
   Deleted live offers never match by name. When several offers carry the name and
   exactly one of them is active (draft or live), that one matches: a recreated or
   re-created offer leaves withdrawn namesakes behind. Any other ambiguity is an error
   asking to pin the ``id``. Two files claiming one live offer is an error too.
2. **Diff.** Essences of desired and live (:mod:`.normalize`), minus the ``ignore`` rules
   of the settings and the file; for the selling partner only the fields it owns.
3. **Lifecycle.** Live offers cannot simply be edited; the live state, sub-state and kind
   decide the action (see the table in docs/plan.md), including ``Blocked`` with a reason.
4. **Why.** Each field change gets its origin from the baseline (:mod:`.baseline`).
5. **Bodies** (:mod:`.requests`) and **safety** (:mod:`.safety`).

Files of the other role are listed as skipped; live offers without a file as unmanaged.
Removing a file therefore never withdraws anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from reconciler.errors import OfferFilesInvalid, Problem
from reconciler.offers.domain import (
    CHANNEL_PARTNER,
    INACTIVE_STATES,
    PARTNER_OWNED_FIELDS,
    PARTNER_PRICING_VIEW,
    PARTNER_TYPES,
    OfferState,
    can_transition,
    canonical_type,
    is_channel_partner,
    name_key,
    offer_key,
    role_types,
)
from reconciler.plan import requests as rq
from reconciler.plan.baseline import Baseline
from reconciler.plan.changes import (
    Blocked,
    Change,
    Create,
    DeleteDraft,
    FieldChange,
    Origin,
    PartnerComplete,
    Publish,
    Reason,
    Recreate,
    Republish,
    UpdateDraft,
    Withdraw,
)
from reconciler.plan.live import LiveState
from reconciler.plan.normalize import (
    MISSING,
    Keyed,
    RawChange,
    diff,
    essence,
    leaves,
    lookup,
)
from reconciler.plan.plan import OfferRef, Plan, PlanMeta, SkippedFile, UnmanagedOffer
from reconciler.plan.safety import evaluate
from reconciler.secrets import REGISTRY
from reconciler.settings import Settings

REPUBLISH_OVERRIDE = (
    "`reconciler: {allowRepublish: true}` in the file, plan.allow-republish in the settings, "
    "or --allow-republish"
)
PROTECT_OVERRIDE = "remove `protect: true` from the file's `reconciler:` block"


class OfferFileLike(Protocol):
    """What the planner reads of :class:`reconciler.offers.loader.OfferFile`."""

    @property
    def path(self) -> Path: ...
    @property
    def name(self) -> str: ...
    @property
    def id(self) -> str | None: ...
    @property
    def kind(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def controls(self) -> Any: ...
    def position(self, field_path: Sequence[str | int]) -> tuple[int, int]: ...
    def api_body(self) -> dict[str, Any]: ...


@dataclass
class PlanOptions:
    role: str = "publisher"
    allow_republish: bool = False
    force: bool = False
    endpoint: str = ""
    git_sha: str | None = None
    now: Callable[[], dt.datetime] | None = None


def role_kinds(role: str) -> frozenset[str]:
    return role_types(role)


# ---------------------------------------------------------------------------------------
# Identity


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


# ---------------------------------------------------------------------------------------
# Diff and origins


def _partner_view(ess: Mapping[str, Any]) -> dict[str, Any]:
    view = {k: ess[k] for k in PARTNER_OWNED_FIELDS if k in ess}
    pricing = ess.get("originatorPricing")
    if isinstance(pricing, Mapping):
        projected = Keyed()
        for k, entry in pricing.items():
            projected[k] = {f: v for f, v in entry.items() if f in PARTNER_PRICING_VIEW}
        view["originatorPricing"] = projected
    return view


def _essences(
    f: OfferFileLike,
    desired_body: Mapping[str, Any],
    live_offer: Mapping[str, Any] | None,
    live: LiveState,
) -> tuple[dict[str, Any], dict[str, Any]]:
    desired = essence(desired_body)
    current = essence(live_offer, prices=live.prices) if live_offer is not None else {}
    if f.kind == CHANNEL_PARTNER:
        desired, current = _partner_view(desired), _partner_view(current)
    return desired, current


def _origin(raw: RawChange, base: Mapping[str, Any] | None, known: bool) -> Origin:
    if not known:
        return "unknown"
    if base is None:
        return "git"
    value = lookup(base, raw.parts)
    desired_moved = raw.new is not value and not _same(raw.new, value)
    live_moved = not _same(raw.old, value)
    if desired_moved and not live_moved:
        return "git"
    if live_moved and not desired_moved:
        return "live"
    return "both"


def _same(a: Any, b: Any) -> bool:
    if a is MISSING or b is MISSING:
        return a is b
    return bool(a == b)


def aggregate_reason(changes: Sequence[FieldChange]) -> Reason | None:
    origins = {c.origin for c in changes}
    if not origins or "unknown" in origins:
        return None
    if origins == {"git"}:
        return "git"
    if origins == {"live"}:
        return "live"
    return "both"


# ---------------------------------------------------------------------------------------
# Lifecycle


@dataclass
class _Ctx:
    f: OfferFileLike
    live_offer: dict[str, Any] | None
    desired_body: dict[str, Any]
    fields: list[FieldChange]
    allow_republish: bool
    protect: bool

    @property
    def line(self) -> int:
        # Only changes need a line; finding it re-parses the file with positions, which
        # would dominate a plan of thousands of unchanged offers.
        return self.f.position([])[0] or 1

    def make(self, cls: type[Change], **kw: Any) -> Change:
        offer = self.live_offer or {}
        return cls(
            file=str(self.f.path),
            line=self.line,
            offer_name=self.f.name,
            offer_id=offer.get("id") or None,
            kind=self.f.kind,
            etag=offer.get("eTag"),
            field_changes=list(self.fields),
            live_state=offer.get("state"),
            desired_state=self.f.state,
            **kw,
        )

    def blocked(
        self, reason: str, *, override: str | None = None, wanted: str | None = None
    ) -> Change:
        return self.make(Blocked, blocked_reason=reason, override=override, wanted=wanted)


def _with_state(ctx: _Ctx, old: str | None, new: str, origin: Origin) -> None:
    ctx.fields.insert(0, FieldChange("state", old, new, origin, "add" if old is None else "change"))


def _lifecycle(ctx: _Ctx, has_diff: bool, state_origin: Origin) -> Change | None:
    f, offer = ctx.f, ctx.live_offer
    desired = f.state
    name, kind = f.name, f.kind
    partner = is_channel_partner(kind)

    if offer is None or offer.get("state") == "deleted":
        if desired == "deleted":
            return None
        if f.id:
            return ctx.blocked(
                f"the file pins id {f.id}, which is not among the account's offers",
                override="remove or correct the pinned `id`",
                wanted="create",
            )
        if desired == "withdrawn":
            return ctx.blocked("there is no live offer to withdraw", wanted="withdraw")
        if partner:
            return ctx.blocked(
                "a selling partner cannot create a multiparty offer: the originator must "
                "publish it first",
                wanted="create",
            )
        shown = essence(ctx.desired_body, defaults=False)
        if f.kind == CHANNEL_PARTNER:
            shown = _partner_view(shown)
        ctx.fields[:] = [_template_field(raw.field_change("git")) for raw in leaves(shown)]
        _with_state(ctx, None, desired, "git")
        step = rq.full_step("create", ctx.desired_body, offer_name=name, state=desired)
        return ctx.make(Create, steps=[step], reason="git")

    live_state = str(offer.get("state"))
    sub_state = offer.get("subState")
    accepted = sub_state == "accepted"
    oid = str(offer.get("id"))
    etag = offer.get("eTag")

    def minimal(kind_: str, state: str) -> Any:
        return rq.minimal_step(
            kind_,  # type: ignore[arg-type]
            offer_id=oid,
            offer_name=name,
            offer_kind=canonical_type(offer.get("privateOfferType") or kind),
            state=state,
            etag=etag,
        )

    def guarded(cls: type[Change], action: str, steps: list[Any]) -> Change:
        if ctx.protect:
            return ctx.blocked(
                f"the offer is protected; refusing to {action} it",
                override=PROTECT_OVERRIDE,
                wanted=action,
            )
        return ctx.make(cls, steps=steps)

    if desired == "deleted":
        if can_transition(live_state, OfferState.DELETED):
            _with_state(ctx, live_state, "deleted", state_origin)
            return guarded(DeleteDraft, "delete", [minimal("delete", "deleted")])
        return ctx.blocked(
            "only a draft can be deleted; a live offer is withdrawn with `state: withdrawn`",
            wanted="delete",
        )

    if desired == "withdrawn":
        if live_state == "withdrawn":
            return None
        if live_state == "draft":
            return ctx.blocked(
                "a draft cannot be withdrawn; use `state: deleted` to delete it", wanted="withdraw"
            )
        if accepted:
            return ctx.blocked(
                "the customer accepted this offer: it is a contract and cannot be withdrawn",
                wanted="withdraw",
            )
        _with_state(ctx, live_state, "withdrawn", state_origin)
        return guarded(Withdraw, "withdraw", [minimal("withdraw", "withdrawn")])

    if partner:
        return _partner(ctx, has_diff, live_state, sub_state, oid, etag, state_origin, minimal)

    if kind == "cspPromotion" and live_state == "withdrawn" and (has_diff or desired == "live"):
        return ctx.blocked(
            "a CSP offer that went live can never be edited or published again; give the "
            "file a new name to create a new offer",
            wanted="publish" if desired == "live" else "update",
        )

    if desired == "draft":
        if live_state in ("draft", "withdrawn"):
            if not has_diff:
                return None
            step = rq.full_step(
                "update", ctx.desired_body, offer_name=name, state="draft", offer_id=oid, etag=etag
            )
            return ctx.make(UpdateDraft, steps=[step])
        return ctx.blocked(
            "a live offer cannot return to draft; withdraw it (`state: withdrawn`) to edit it",
            wanted="update",
        )

    # desired live
    if live_state in ("draft", "withdrawn"):
        _with_state(ctx, live_state, "live", state_origin)
        step = rq.full_step(
            "publish", ctx.desired_body, offer_name=name, state="live", offer_id=oid, etag=etag
        )
        return ctx.make(Publish, steps=[step])
    if not has_diff:
        return None
    if accepted:
        return ctx.blocked(
            "the customer accepted this offer: it is a contract and cannot be changed; "
            "create a new offer instead",
            wanted="update",
        )
    if kind == "cspPromotion":
        if f.id:
            return ctx.blocked(
                "live CSP offers cannot be edited; a recreate makes a new offer, but the file "
                f"pins id {f.id}",
                override="remove the pinned `id` (and allow republish) to recreate the offer",
                wanted="recreate",
            )
        if not ctx.allow_republish:
            return ctx.blocked(
                "live CSP offers cannot be edited; the change needs a new offer (recreate) "
                "and the withdrawal of this one",
                override=REPUBLISH_OVERRIDE,
                wanted="recreate",
            )
        create = rq.full_step(
            "create", ctx.desired_body, offer_name=name, state="live", variant="recreate"
        )
        return guarded(Recreate, "recreate", [create, minimal("withdraw", "withdrawn")])
    if not ctx.allow_republish:
        return ctx.blocked(
            "a live offer cannot be edited in place; the change needs withdraw, edit and "
            "republish (the customer's acceptance link stops working meanwhile)",
            override=REPUBLISH_OVERRIDE,
            wanted="republish",
        )
    update = rq.full_step(
        "update", ctx.desired_body, offer_name=name, state="live", offer_id=oid, etag=None
    )
    return guarded(Republish, "republish", [minimal("withdraw", "withdrawn"), update])


def _partner(
    ctx: _Ctx,
    has_diff: bool,
    live_state: str,
    sub_state: Any,
    oid: str,
    etag: str | None,
    state_origin: Origin,
    minimal: Callable[[str, str], Any],
) -> Change | None:
    f = ctx.f
    live_offer = ctx.live_offer or {}
    pending = sub_state == "pendingPartnerAction" or live_state in ("draft", "withdrawn")
    if f.state == "draft":
        if pending and not has_diff:
            return None
        return ctx.blocked(
            "the selling partner completes a multiparty offer with `state: live`; it has no "
            "draft of its own",
            wanted="partner-complete",
        )
    if pending:
        if live_state != "live":
            _with_state(ctx, live_state, "live", state_origin)
        elif not has_diff and not _partner_incomplete(live_offer):
            return None
        step = rq.partner_step(
            ctx.desired_body, live_offer, offer_id=oid, offer_name=f.name, etag=etag
        )
        return ctx.make(PartnerComplete, steps=[step])
    if not has_diff:
        return None
    if sub_state == "accepted":
        return ctx.blocked(
            "the customer accepted this offer: it is a contract and cannot be changed",
            wanted="partner-complete",
        )
    if not ctx.allow_republish:
        return ctx.blocked(
            "the partner already completed this offer; changing it needs withdraw and "
            "completing it again",
            override=REPUBLISH_OVERRIDE,
            wanted="republish",
        )
    complete = rq.partner_step(
        ctx.desired_body, live_offer, offer_id=oid, offer_name=f.name, etag=None
    )
    if ctx.protect:
        return ctx.blocked(
            "the offer is protected; refusing to republish it",
            override=PROTECT_OVERRIDE,
            wanted="republish",
        )
    return ctx.make(Republish, steps=[minimal("withdraw", "withdrawn"), complete])


def _partner_incomplete(offer: Mapping[str, Any]) -> bool:
    return any("markupPercentage" not in e for e in offer.get("originatorPricing") or [])


# ---------------------------------------------------------------------------------------
# The plan


def _ignore_rules(settings: Settings, f: OfferFileLike) -> list[str]:
    controls = f.controls
    own = list(getattr(controls, "ignore", None) or [])
    return [*settings.plan.ignore, *own]


def _top_level_ignored(
    body: dict[str, Any], live_offer: Mapping[str, Any] | None, rules: list[str]
) -> dict[str, Any]:
    """Keep the live value of ignored top-level fields in the body we send, so an update
    made for another reason does not revert them."""
    if not live_offer:
        return body
    body = dict(body)
    for rule in rules:
        rule = rule.strip()
        if rule and all(ch not in rule for ch in "*[.") and rule in live_offer:
            body[rule] = live_offer[rule]
    return body


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
    matches = match_offers(mine, live)

    changes: list[Change] = []
    unchanged: list[OfferRef] = []
    for f in mine:
        key = str(f.path)
        live_offer = matches.get(key)
        rules = _ignore_rules(settings, f)
        desired_body = _top_level_ignored(dict(f.api_body()), live_offer, rules)
        desired_ess, live_ess = _essences(f, desired_body, live_offer, live)
        raws = diff(live_ess, desired_ess, rules)

        known = baseline is not None and baseline.has(key)
        base_ess: dict[str, Any] | None = None
        base_state: str | None = None
        if known and baseline is not None:
            base_body = baseline.bodies.get(key)
            if base_body is not None:
                base_ess = essence(base_body)
                if f.kind == CHANNEL_PARTNER:
                    base_ess = _partner_view(base_ess)
                base_state = str(base_body.get("state")) if base_body.get("state") else None
        fields = [_template_field(raw.field_change(_origin(raw, base_ess, known))) for raw in raws]
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
        ctx = _Ctx(
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
        change = _lifecycle(ctx, bool(raws), state_origin)
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
        changes.append(change)

    claimed = {offer_key(o.get("id")) for o in matches.values() if o}
    unmanaged = [
        UnmanagedOffer(
            id=str(o.get("id", "")),
            name=str(o.get("name", "")),
            state=o.get("state"),
            kind=o.get("privateOfferType"),
            sub_state=o.get("subState"),
        )
        for o in live.offers
        if offer_key(o.get("id")) not in claimed and o.get("state") != "deleted"
    ]
    managed_offers = [o for o in matches.values() if o and o.get("state") != "deleted"]
    active = sum(1 for o in managed_offers if o.get("state") not in INACTIVE_STATES)
    safety = evaluate(changes, len(managed_offers), active, settings.plan, force=opts.force)
    now = (opts.now or (lambda: dt.datetime.now(dt.UTC)))()
    meta = PlanMeta(
        created_at=now.isoformat(timespec="seconds"),
        endpoint=opts.endpoint,
        role=opts.role,
        git_sha=opts.git_sha,
        baseline=baseline.ref if baseline else None,
    )
    return Plan(
        meta=meta,
        changes=changes,
        unchanged=unchanged,
        unmanaged=unmanaged,
        skipped=skipped,
        safety=safety,
    )


def _template_field(fc: FieldChange) -> FieldChange:
    # Persisted plans must not carry env-expanded secrets (e.g. a SAS URL from ${VAR}).
    return FieldChange(
        fc.path, REGISTRY.template(fc.old), REGISTRY.template(fc.new), fc.origin, fc.op
    )
