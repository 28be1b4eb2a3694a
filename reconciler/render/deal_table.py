"""The summary table a deal desk approves from: one row per offer, in names and figures.

offer · customer · product and plan · change (10 → 12 %) · price per month (list →
effective) · term · accept by · risk. The cells come from ``Plan.deals``
(:mod:`reconciler.checks.deal`); a plan rendered without them (an old plan file) still gets
its rows, from the change alone. Every text from a file or the live account goes through
``escape_markdown``; the only markup added is ours (``**``, ``<br>``).
"""

from __future__ import annotations

from reconciler.markdown import escape_markdown
from reconciler.plan.changes import Change
from reconciler.plan.deal import Deal, DealPrice
from reconciler.plan.plan import Plan
from reconciler.render.common import EMOJI, field_summary
from reconciler.secrets import redact

MAX_TABLE_ROWS = 150
HEADER = (
    "| Offer | Customer | Product · plan | Change | Price per month | Term | Accept by | Risk |\n"
    "|---|---|---|---|---|---|---|---|\n"
)
VERB = {
    "create": "create",
    "update": "update (draft)",
    "publish": "publish",
    "partner-complete": "partner completes",
    "republish": "withdraw, edit, republish",
    "recreate": "replace (-/+)",
    "withdraw": "withdraw",
    "delete": "delete (draft)",
    "blocked": "blocked",
}


def number(value: float) -> str:
    """``88``, ``79.2``, ``1,100``: what a price list shows."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def price_text(price: DealPrice) -> str:
    """``90 → 88 (list 100 USD/month)``; a new price alone: ``88 (list 100 USD/month)``."""
    unit = f"{price.currency}/month"
    if price.after is None:
        shown = "no longer sold"
    elif price.before is not None and price.before != price.after:
        shown = f"{number(price.before)} → {number(price.after)}"
    else:
        shown = number(price.after)
    if price.list_price is not None:
        return f"{shown} (list {number(price.list_price)} {unit})"
    return f"{shown} {unit}" if price.after is not None else shown


def prices_text(deal: Deal) -> list[str]:
    """One line per plan and billing term; the term named when a plan has several."""
    terms: dict[str, int] = {}
    for p in deal.prices:
        terms[p.plan] = terms.get(p.plan, 0) + 1
    several_plans = len(terms) > 1
    out = []
    for p in deal.prices:
        label = [p.plan] if several_plans else []
        if terms[p.plan] > 1:
            label.append(p.term)
        prefix = f"{', '.join(label)}: " if label else ""
        out.append(prefix + price_text(p))
    return out


def term_text(deal: Deal) -> str:
    start = "on acceptance" if deal.starts_on_acceptance else deal.start
    if start and deal.end:
        return f"{start} → {deal.end}"
    if deal.end:
        return f"until {deal.end}"
    return str(start or "")


def risky(change: Change, deal: Deal | None) -> bool:
    """Disruptive, refused or warned about: its details stay open."""
    return bool(change.disruptive or change.blocked_reason or (deal and deal.risks))


def _cell(lines: list[str]) -> str:
    return "<br>".join(escape_markdown(redact(line)) for line in lines if line) or " "


def row(change: Change, deal: Deal | None) -> str:
    verb = VERB.get(change.action, change.action)
    offer = f"{EMOJI.get(change.action, '')} **{escape_markdown(redact(change.offer_name))}**"
    offer += f"<br>{escape_markdown(verb)}"
    if change.reason in ("live", "both"):
        offer += "<br>" + escape_markdown("(changed outside git)")
    if deal is None:
        deal = Deal(file=change.file)
    changes = deal.terms or [field_summary(change)]
    if change.action == "create":
        changes = ["new offer", *deal.terms]
    risks = _cell([f"⚠ {r}" for r in deal.risks])
    return (
        f"| {offer} | {_cell(deal.customers)} | {_cell(deal.products)} | {_cell(changes)} "
        f"| {_cell(prices_text(deal))} | {_cell([term_text(deal)])} "
        f"| {_cell([str(deal.accept_by or '')])} | {risks} |"
    )


def table(plan: Plan) -> tuple[str, int]:
    """The table, and how many changes did not fit in it."""
    rows = [row(c, plan.deals.get(c.file)) for c in plan.changes[:MAX_TABLE_ROWS]]
    return HEADER + "\n".join(rows) + "\n", len(plan.changes) - len(rows)
