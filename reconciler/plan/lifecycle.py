"""Lifecycle: the live state, sub-state and kind decide a file's action (table in docs/plan.md).

Live offers cannot simply be edited; a change becomes an update, publish, withdraw, delete,
recreate, republish or partner completion -- or ``Blocked`` with the reason and the
override that would allow it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.offers.domain import (
    CHANNEL_PARTNER,
    EDITABLE_STATES,
    STATE_AFTER_WITHDRAW,
    OfferState,
    OfferType,
    SubState,
    can_transition,
    canonical_type,
    is_channel_partner,
)
from reconciler.plan import requests as rq
from reconciler.plan.changes import (
    Blocked,
    Change,
    Create,
    DeleteDraft,
    FieldChange,
    Origin,
    PartnerComplete,
    Publish,
    Recreate,
    Republish,
    Step,
    StepKind,
    UpdateDraft,
    Withdraw,
)
from reconciler.plan.compare import partner_view, shown_templates, template_field
from reconciler.plan.fielddiff import leaves
from reconciler.plan.inputs import OfferFileLike
from reconciler.plan.normalize import essence

REPUBLISH_OVERRIDE = (
    "`reconciler: {allowRepublish: true}` in the file, plan.allow-republish in the settings, "
    "or --allow-republish"
)
PROTECT_OVERRIDE = "remove `protect: true` from the file's `reconciler:` block"


@dataclass
class Decision:
    f: OfferFileLike
    live_offer: dict[str, object] | None
    desired_body: dict[str, object]
    fields: list[FieldChange]
    allow_republish: bool
    protect: bool

    @property
    def line(self) -> int:
        # Only changes need a line; finding it re-parses the file with positions, which
        # would dominate a plan of thousands of unchanged offers.
        return self.f.position([])[0] or 1

    def make(self, cls: type[Change], **kw: object) -> Change:
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
        self,
        reason: str,
        *,
        override: str | None = None,
        wanted: str | None = None,
        waiting: bool = False,
    ) -> Change:
        return self.make(
            Blocked, blocked_reason=reason, override=override, wanted=wanted, waiting=waiting
        )


def with_state(ctx: Decision, old: str | None, new: str, origin: Origin) -> None:
    op = "add" if old is None else "change"
    ctx.fields.insert(0, FieldChange(path="state", old=old, new=new, origin=origin, op=op))


def decide(ctx: Decision, has_diff: bool, state_origin: Origin) -> Change | None:
    """The change that brings the live offer to the file's state, or None when none is due.

    In stages: no live offer (a create, or why not), then by the state the file asks for
    (deleted, withdrawn, draft, live); a selling partner's file has its own table.
    """
    f, offer = ctx.f, ctx.live_offer
    if offer is None or offer.get("state") == "deleted":
        return _no_live_offer(ctx)
    live = _Live.of(ctx, offer)
    desired, kind = f.state, f.kind
    if desired == "deleted":
        return _to_deleted(ctx, live, state_origin)
    if desired == "withdrawn":
        return _to_withdrawn(ctx, live, state_origin)
    if is_channel_partner(kind):
        return _partner(
            ctx, has_diff, live.state, live.sub_state, live.oid, live.etag, state_origin,
            live.minimal,
        )  # fmt: skip
    if kind == "cspPromotion" and live.state == "withdrawn" and (has_diff or desired == "live"):
        return ctx.blocked(
            "a CSP offer that went live can never be edited or published again; give the "
            "file a new name to create a new offer",
            wanted="publish" if desired == "live" else "update",
        )
    if desired == "draft":
        return _to_draft(ctx, live, has_diff)
    return _to_live(ctx, live, has_diff, state_origin)


def _no_live_offer(ctx: Decision) -> Change | None:
    """No live offer (or a deleted one): a create, unless the file cannot be created."""
    f = ctx.f
    desired = f.state
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
    if is_channel_partner(f.kind):
        # Not an error of this file: the originator's part comes first, and the next run
        # after it publishes completes the offer. The rest of the plan goes on meanwhile.
        return ctx.blocked(
            "waiting for the originator to publish: a selling partner completes a "
            "multiparty offer only after its originator published it",
            wanted="partner-complete",
            waiting=True,
        )
    shown = essence(ctx.desired_body, defaults=False)
    if f.kind == CHANNEL_PARTNER:
        shown = partner_view(shown)
    own = shown_templates(ctx.desired_body)
    ctx.fields[:] = [template_field(raw.field_change("git"), own) for raw in leaves(shown)]
    with_state(ctx, None, desired, "git")
    step = rq.full_step("create", ctx.desired_body, offer_name=f.name, state=desired)
    return ctx.make(Create, steps=[step], reason="git")


@dataclass
class _Live:
    """The live offer a decision starts from, and the steps and guards every stage uses."""

    ctx: Decision
    state: str
    sub_state: str | None
    oid: str
    etag: str | None
    kind: str

    @classmethod
    def of(cls, ctx: Decision, offer: Mapping[str, Any]) -> _Live:
        return cls(
            ctx,
            state=str(offer.get("state")),
            sub_state=offer.get("subState"),
            oid=str(offer.get("id")),
            etag=offer.get("eTag"),
            kind=canonical_type(offer.get("privateOfferType") or ctx.f.kind),
        )

    @property
    def accepted(self) -> bool:
        return self.sub_state == SubState.ACCEPTED

    def minimal(self, kind_: StepKind, state: str) -> Step:
        return rq.minimal_step(
            kind_,
            offer_id=self.oid,
            offer_name=self.ctx.f.name,
            offer_kind=self.kind,
            state=state,
            etag=self.etag,
        )

    def full(self, kind_: StepKind, state: str, etag: str | None) -> Step:
        return rq.full_step(
            kind_,
            self.ctx.desired_body,
            offer_name=self.ctx.f.name,
            state=state,
            offer_id=self.oid,
            etag=etag,
        )

    def guarded(self, cls: type[Change], action: str, steps: list[Step]) -> Change:
        if self.ctx.protect:
            return self.ctx.blocked(
                f"the offer is protected; refusing to {action} it",
                override=PROTECT_OVERRIDE,
                wanted=action,
            )
        return self.ctx.make(cls, steps=steps)


def _to_deleted(ctx: Decision, live: _Live, state_origin: Origin) -> Change | None:
    if live.kind == "cspPromotion" and live.state == "withdrawn":
        # The service deletes drafts only and a withdrawn CSP offer never becomes a draft
        # again: it is as gone as it can be, so the file is in sync (no refused delete).
        return None
    if can_transition(live.state, OfferState.DELETED):
        with_state(ctx, live.state, "deleted", state_origin)
        return live.guarded(DeleteDraft, "delete", [live.minimal("delete", "deleted")])
    return ctx.blocked(
        "only a draft can be deleted; a live offer is withdrawn with `state: withdrawn`",
        wanted="delete",
    )


def _to_withdrawn(ctx: Decision, live: _Live, state_origin: Origin) -> Change | None:
    # A withdrawn offer goes back to draft (STATE_AFTER_WITHDRAW): either state means
    # the customer no longer sees it, which is what the file asks for.
    if live.state in (OfferState.WITHDRAWN, STATE_AFTER_WITHDRAW):
        return None
    if live.accepted:
        return ctx.blocked(
            "the customer accepted this offer: it is a contract and cannot be withdrawn",
            wanted="withdraw",
        )
    if _partner_published(ctx.f.kind, live.state, live.sub_state):
        return ctx.blocked(PARTNER_PUBLISHED, wanted="withdraw")
    with_state(ctx, live.state, "withdrawn", state_origin)
    return live.guarded(Withdraw, "withdraw", [live.minimal("withdraw", "withdrawn")])


def _to_draft(ctx: Decision, live: _Live, has_diff: bool) -> Change | None:
    if live.state in EDITABLE_STATES:
        if not has_diff:
            return None
        return ctx.make(UpdateDraft, steps=[live.full("update", "draft", live.etag)])
    return ctx.blocked(
        "a live offer cannot return to draft; withdraw it (`state: withdrawn`) to edit it",
        wanted="update",
    )


def _to_live(ctx: Decision, live: _Live, has_diff: bool, state_origin: Origin) -> Change | None:
    """Publish a draft, or change a live offer (recreate a CSP offer, republish the others)."""
    f, name = ctx.f, ctx.f.name
    if live.state in EDITABLE_STATES:
        with_state(ctx, live.state, "live", state_origin)
        return ctx.make(Publish, steps=[live.full("publish", "live", live.etag)])
    if not has_diff:
        return None
    if live.accepted:
        return ctx.blocked(
            "the customer accepted this offer: it is a contract and cannot be changed; "
            "create a new offer instead",
            wanted="update",
        )
    if f.kind == "cspPromotion":
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
        return live.guarded(Recreate, "recreate", [create, live.minimal("withdraw", "withdrawn")])
    if _partner_published(f.kind, live.state, live.sub_state):
        # Documented: "for the ISV to edit after the partner published, the partner withdraws
        # first, then the ISV withdraws". No override can do the partner's part.
        return ctx.blocked(PARTNER_PUBLISHED, wanted="republish")
    if not ctx.allow_republish:
        return ctx.blocked(
            EXPIRED
            if live.sub_state == SubState.EXPIRED
            else "a live offer cannot be edited in place; the change needs withdraw, edit and "
            "republish (the customer's acceptance link stops working meanwhile)",
            override=REPUBLISH_OVERRIDE,
            wanted="republish",
        )
    update = live.full("update", "live", None)
    return live.guarded(Republish, "republish", [live.minimal("withdraw", "withdrawn"), update])


EXPIRED = (
    "a live offer cannot be edited in place, and this one expired: its acceptBy passed "
    "before the customer accepted it; the change needs withdraw, edit and republish (give "
    "it a new acceptBy)"
)
PARTNER_PUBLISHED = (
    "the selling partner has published this multiparty offer: the partner must withdraw it "
    "first; after that, plan again here to withdraw, edit and republish it"
)


def _partner_published(kind: str, live_state: str, sub_state: object) -> bool:
    """An originator's live offer that its selling partner has published to the customer."""
    return (
        kind == OfferType.ORIGINATOR
        and live_state == OfferState.LIVE
        and sub_state in (SubState.PENDING_ACCEPTANCE, SubState.ACCEPTED)
    )


def _partner(
    ctx: Decision,
    has_diff: bool,
    live_state: str,
    sub_state: str | None,
    oid: str,
    etag: str | None,
    state_origin: Origin,
    minimal: Callable[[StepKind, str], Step],
) -> Change | None:
    f = ctx.f
    live_offer = ctx.live_offer or {}
    pending = sub_state == SubState.PENDING_PARTNER_ACTION or live_state in EDITABLE_STATES
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
            with_state(ctx, live_state, "live", state_origin)
        elif not has_diff and not _partner_incomplete(live_offer):
            return None
        step = rq.partner_step(
            ctx.desired_body, live_offer, offer_id=oid, offer_name=f.name, etag=etag
        )
        return ctx.make(PartnerComplete, steps=[step])
    if not has_diff:
        return None
    if sub_state == SubState.ACCEPTED:
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
