"""Each change's deal terms (:class:`reconciler.plan.deal.Deal`): the summary table's row.

Who (beneficiaries by name; a CSP offer's partners), which product and plan (the names the
API adds to live offers), what changes in the file's terms (discount 10 → 12 %), the
price per month before and after against the public plan's list price, the term, the
accept-by date, and the risk. Figures come from the offer file, else the live offer (a
withdraw or a selling partner's file carries no prices); list prices from the catalogue
reads the price guard makes too (one per plan, cached by the client wrapper).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reconciler.checks.list_prices import PriceClient, plan_key
from reconciler.checks.price_guard import PriceGuardReport
from reconciler.checks.watch import as_date
from reconciler.errors import ApiError
from reconciler.offers.domain import offer_key
from reconciler.offers.loader import OfferFile
from reconciler.offers.model import ChannelPartnerOffer, PriceDetails
from reconciler.plan.changes import Change
from reconciler.plan.deal import Deal, DealPrice
from reconciler.plan.labels import catalogue_names
from reconciler.plan.normalize import pricing_key, short_plan
from reconciler.plan.paths import split_path
from reconciler.plan.plan import Plan

_PERCENT = {"discountPercentage": "discount", "markupPercentage": "markup"}
# The reason a row is marked; the alert above the table says what it means for customers.
_RISKS = {
    "republish": "republish",
    "recreate": "replace",
    "withdraw": "withdraw",
    "delete": "delete",
    "blocked": "blocked",
}


def _months(term: Mapping[str, Any] | None) -> int:
    if not isinstance(term, Mapping):
        return 1
    return int(term.get("value") or 1) * (12 if term.get("type") == "year" else 1)


def _term_label(term: Mapping[str, Any] | None) -> str:
    if not isinstance(term, Mapping):
        return "term"
    n, unit = int(term.get("value") or 1), str(term.get("type") or "month")
    return f"{n} {unit}" + ("s" if n != 1 else "")


def list_terms(template: Mapping[str, Any]) -> list[tuple[str, float]]:
    """(billing term, list price per month) of a public plan's flat-rate recurrent prices."""
    recurrent = ((template.get("pricing") or {}).get("recurrentPrice")) or {}
    out = []
    for price in recurrent.get("prices") or []:
        value = price.get("pricePerPaymentInUsd")
        if not isinstance(value, int | float):
            continue
        payment = _months(price.get("paymentOption") or price.get("billingTerm"))
        out.append((_term_label(price.get("billingTerm")), float(value) / payment))
    return out


class DealBuilder:
    """Builds every change's :class:`Deal`; list prices read once per plan."""

    def __init__(
        self,
        files: Sequence[OfferFile],
        live_offers: Iterable[Mapping[str, object]],
        client: PriceClient | None,
        prices: PriceGuardReport | None = None,
    ) -> None:
        self.files = {str(f.path): f for f in files}
        self.live = {offer_key(str(o.get("id", ""))): o for o in live_offers if o.get("id")}
        self.names = catalogue_names(self.live.values())
        self.client = client
        self.warnings = prices.warnings if prices else []
        self._lists: dict[tuple[str, str], list[tuple[str, float]]] = {}

    def name(self, product: str, plan: str | None) -> str:
        """``Contoso Analytics · Standard`` for a product and plan, else their ids."""
        return self.known(product, plan) or _short(product, plan)

    def known(self, product: str, plan: str | None) -> str | None:
        """The catalogue's name of a product and plan, when a live offer taught it."""
        ref = {"product": product, "plan": short_plan(product, plan) if plan else None}
        known = self.names.get(pricing_key(ref))
        if known:
            return known
        for key, label in self.names.items():  # the product's name from any of its plans
            if not plan and key.startswith(product + "/"):
                return label.split(" · ")[0]
        return None

    def list_prices(self, product: str, plan: str) -> list[tuple[str, float]]:
        key = plan_key(product, plan)
        if key not in self._lists:
            self._lists[key] = []
            # An unreadable list price: the price guard names it already; no price shown.
            with contextlib.suppress(ApiError):
                if self.client is not None:
                    self._lists[key] = list_terms(self.client.get_price_template(product, plan))
        return self._lists[key]

    def build(self, change: Change) -> Deal:
        f = self.files.get(change.file)
        live = self.live.get(offer_key(change.offer_id or ""), {})
        body = _body(f, live)
        return Deal(
            file=change.file,
            customers=_customers(body),
            products=list(dict.fromkeys(self.name(p, pl) for p, pl, _ in _entries(body))),
            terms=self.terms(change, body),
            prices=self.prices(change, body),
            start=_date(body.get("start")),
            end=_date(body.get("end")),
            starts_on_acceptance=bool(body.get("variableStartDate")),
            accept_by=_date(body.get("acceptBy")),
            risks=self.risks(change),
        )

    def for_offer(self, f: OfferFile, live: Mapping[str, object] | None) -> Deal:
        """The terms of a managed offer as they stand (no change): for the offers report."""
        body = _body(f, live or {})
        return Deal(
            file=str(f.path),
            customers=_customers(body),
            products=list(dict.fromkeys(self.name(p, pl) for p, pl, _ in _entries(body))),
            terms=_discounts(body),
            prices=self.prices(None, body),
            start=_date(body.get("start")),
            end=_date(body.get("end")),
            starts_on_acceptance=bool(body.get("variableStartDate")),
            accept_by=_date(body.get("acceptBy")),
        )

    def terms(self, change: Change, body: Mapping[str, object]) -> list[str]:
        out = []
        if change.action == "create":
            return _discounts(body)
        for fc in change.field_changes:
            leaf = split_path(fc.path)[-1]
            if leaf in _PERCENT and fc.op == "change":
                out.append(f"{_PERCENT[leaf]} {_g(fc.old)} → {_g(fc.new)} %")
            elif leaf in ("start", "end", "acceptBy") and fc.op == "change":
                out.append(f"{leaf} {fc.old} → {fc.new}")
            elif leaf == "state" and fc.op == "change":
                out.append(f"{fc.old} → {fc.new}")
        return out

    def prices(self, change: Change | None, body: Mapping[str, object]) -> list[DealPrice]:
        """Per month, for each plan with a percentage and a readable list price (none for a
        change that sends no price: a withdraw, a delete, a refused change). Without a
        change: the prices as they stand."""
        action = change.action if change is not None else "create"
        if action in ("withdraw", "delete", "blocked"):
            return []
        before = {
            split_path(fc.path)[1][1:-1]: fc.old
            for fc in (change.field_changes if change is not None else [])
            if split_path(fc.path)[-1] == "discountPercentage" and fc.op == "change"
        }
        out = []
        for product, plan, entry in _entries(body):
            percent = entry.get("discountPercentage")
            if plan is None or not isinstance(percent, int | float):
                continue
            old = before.get(_key(product, plan), percent)
            old = old if isinstance(old, int | float) else None
            for term, listed in self.list_prices(product, plan):
                out.append(
                    DealPrice(
                        plan=self.name(product, plan),
                        term=term,
                        list_price=round(listed, 2),
                        before=None
                        if action == "create" or old is None
                        else round(listed * (1 - old / 100), 2),
                        after=round(listed * (1 - percent / 100), 2),
                    )
                )
        for product, plan, entry in _entries(body):
            by_term = dict(self.list_prices(product, plan)) if plan else {}
            out += _absolute(self.name(product, plan), entry, by_term)
        return out

    def risks(self, change: Change) -> list[str]:
        out = [_RISKS[change.action]] if change.action in _RISKS else []
        if change.waiting:  # not refused: completed by a later run
            out = ["waiting"]
        for warning in self.warnings:
            if warning.file == change.file:
                on = f"on {self.name(warning.product, warning.plan)}" if warning.product else ""
                rule = warning.rule.value.replace("-", " ")
                out.append(f"price guard ({rule}): {_g(warning.value)} {_unit(warning.path)} {on}")
        return out


def _discounts(body: Mapping[str, object]) -> list[str]:
    """``discount 15 %`` for each percentage entry of an offer."""
    out = []
    for _product, _plan, entry in _entries(body):
        for field, what in _PERCENT.items():
            if entry.get(field) is not None:
                out.append(f"{what} {_g(entry[field])} %")
    return list(dict.fromkeys(out))


def _short(product: str, plan: str | None) -> str:
    """``plan/123456 of product/34771906…``: ids a person can still match, without a GUID
    that pushes a table's columns off the page."""
    bits = product.split("/")
    if len(bits) == 2 and len(bits[1]) > 12:
        product = f"{bits[0]}/{bits[1][:8]}…"
    if plan:
        return f"{plan.split('/')[0]}/{plan.split('/')[-1]} of {product}"
    return product


def plan_namer(live_offers: Iterable[Mapping[str, object]]) -> DealBuilder:
    """Names of products and plans (``.name(product, plan)``) from the live offers alone."""
    return DealBuilder([], live_offers, None)


def _g(value: object) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _unit(path: str) -> str:
    return "%" if path.endswith("Percentage") else "USD"


def _key(product: str, plan: str) -> str:
    return pricing_key({"product": product, "plan": short_plan(product, plan)})


def _date(value: object) -> dt.date | None:
    return as_date(value)
    return None


def _body(f: OfferFile | None, live: Mapping[str, object]) -> dict[str, object]:
    """The offer's fields by API name: the file's, over the live offer's."""
    body = dict(live)
    if f is not None and not isinstance(f.offer, ChannelPartnerOffer):
        mine = f.offer.model_dump(by_alias=True, exclude_none=True, mode="python")
        body.update(mine)
    return body


def _customers(body: Mapping[str, Any]) -> list[str]:
    names = []
    for item in body.get("beneficiaries") or []:
        if isinstance(item, Mapping):
            names.append(str(item.get("description") or item.get("id") or ""))
    for partner in body.get("partners") or []:
        if isinstance(partner, Mapping):
            label = partner.get("partnerName") or partner.get("id")
            names.append(f"{label} (selling partner)")
    return [n for n in names if n]


def _entries(body: Mapping[str, Any]) -> list[tuple[str, str | None, Mapping[str, Any]]]:
    out = []
    for entry in body.get("pricing") or []:
        if isinstance(entry, Mapping) and entry.get("product"):
            plan = entry.get("plan") or entry.get("basePlan")
            out.append((str(entry["product"]), str(plan) if plan else None, entry))
    return out


def _absolute(name: str, entry: Mapping[str, object], listed: dict[str, float]) -> list[DealPrice]:
    """An absolute price's recurrent terms, per month, beside the list price of the term."""
    details = entry.get("priceDetails")
    if not isinstance(details, Mapping):
        return []
    try:
        parsed = PriceDetails.model_validate(details)
    except ValueError:
        return []
    recurrent = parsed.pricing.recurrent_price if parsed.pricing else None
    out = []
    for price in recurrent.prices if recurrent else []:
        term = price.billing_term.model_dump(by_alias=True)
        payment = _months((price.payment_option or price.billing_term).model_dump(by_alias=True))
        per_month = float(price.price_per_payment_in_usd) / payment
        label = _term_label(term)
        list_price = listed.get(label)
        out.append(
            DealPrice(
                plan=name,
                term=label,
                list_price=None if list_price is None else round(list_price, 2),
                after=round(per_month, 2),
            )
        )
    return out


def add_deals(
    plan: Plan,
    files: Sequence[OfferFile],
    live_offers: Iterable[Mapping[str, object]],
    client: PriceClient | None,
    prices: PriceGuardReport | None = None,
) -> None:
    """Fill ``plan.deals`` for every change of the plan (and every drift change)."""
    builder = DealBuilder(files, live_offers, client, prices)
    for change in [*plan.changes, *plan.drift]:
        plan.deals[change.file] = builder.build(change)
