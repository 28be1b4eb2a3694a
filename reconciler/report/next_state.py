"""Where each offer stands after apply, and who acts next: the customer, the selling partner,
the CSP partners, or us.

"created" says nothing to a deal desk. A customer offer published is waiting for the
customer's acceptance (in the Azure portal, by its accept-by date); a multiparty offer is
waiting for the selling partner to complete it; a CSP offer is in the partners' hands; a
draft waits for us. A republish whose last step failed leaves the offer withdrawn right
now, which the report says first.
"""

from __future__ import annotations

from reconciler.apply.outcome import ChangeOutcome

CUSTOMER = "customerPromotion"
CSP = "cspPromotion"
ORIGINATOR = "multipartyPromotionOriginator"
PARTNER = "multipartyPromotionChannelPartner"

_DONE = {
    "withdraw": ("withdrawn: customers can no longer accept it", "nobody"),
    "delete": ("deleted", "nobody"),
    "update": ("draft, updated: nobody sees it", "us: `state: live` in its file publishes it"),
}


def _names(o: ChangeOutcome, partners: bool) -> str:
    people = o.deal.customers if o.deal else []
    mark = " (selling partner)"
    chosen = [p.removesuffix(mark) for p in people if p.endswith(mark) == partners]
    return ", ".join(chosen)


def _accept_by(o: ChangeOutcome) -> str:
    return f" by {o.deal.accept_by}" if o.deal and o.deal.accept_by else ""


def _live(o: ChangeOutcome) -> tuple[str, str]:
    """A live offer: waiting for whom, and where they find it."""
    if o.kind == ORIGINATOR:
        partner = _names(o, partners=True) or "the selling partner"
        return (
            "live: waiting for the selling partner",
            f"{partner}: adds its markup and publishes it in Partner Center",
        )
    if o.kind == CSP:
        partners = _names(o, partners=False) or "the CSP partners"
        return (
            "live: the CSP partners can sell it",
            f"{partners}: find it in Partner Center and sell it to their customers",
        )
    customer = _names(o, partners=False) or "the customer"
    return (
        "live: waiting for the customer's acceptance",
        f"{customer}: accepts it{_accept_by(o)} in the Azure portal "
        "(Marketplace › Private offer management)",
    )


def state_and_next(o: ChangeOutcome) -> tuple[str, str]:
    """(state now, who acts next) for one offer, in words."""
    if o.status == "succeeded":
        if o.action in _DONE:
            return _DONE[o.action]
        if o.desired_state == "draft":
            return "draft: nobody sees it", "us: `state: live` in its file publishes it"
        if o.action == "recreate":
            state, who = _live(o)
            return f"{state} (a new offer; the old one withdrawn)", who
        return _live(o)
    if o.status == "running":
        return "in progress: a job is still running", "`reconciler jobs resume` follows it"
    if o.status == "unknown":
        return "unknown: an answer was lost", "`reconciler jobs resume` settles it"
    if o.status in ("blocked", "waiting"):
        return "left alone", "see why below"
    if o.action == "republish" and o.steps_done:
        return (
            "⚠ WITHDRAWN right now: customers cannot accept it",
            "us: fix the error below and apply again; it stays withdrawn until then",
        )
    if o.action == "recreate" and o.steps_done:
        return "new offer created; the old one is still live", "us: fix the error and apply again"
    if o.status == "stale":
        return "unchanged: it moved since the plan", "us: plan again and review"
    state = "not created" if o.action == "create" else "unchanged"
    return state, "us: fix the error below and apply again"
