"""Price sanity guard: pricing entries a deal desk would question before they reach a customer.

Three rules, each a warning (``--strict`` or ``plan.strict-prices`` makes them block):

* ``above-list``          -- an absolute price above the public plan's list price (the
  ``price-and-availability-private-offer-plan`` template the API serves for the plan);
* ``discount-threshold``  -- a discount above ``plan.discount-warning`` (default 60 %):
  a ``discountPercentage``, or an absolute price that far below list;
* ``decimal-slip``        -- a value one or more powers of ten away from what the rest of
  the offer, its live history or the list price say (9.5 for 95; 0.12 % for 12 %).

A markup or margin outside its documented range (markup more than 0 and at most 100,
discount 0.01 to 100) is already an *error* of the offer-file rules (``markup-range``,
``discount-range``), stronger than a warning; the guard adds what a value inside the range
can still hide: a markup of 0.03 meant as 3, a margin of 9.5 where the others say 95.

Prices compare per month of the billing term (price per payment / months per payment),
so a yearly plan paid monthly and one paid yearly compare with each other and with list.
``validate`` runs the rules that need no live data (threshold, fractions, the offer's own
entries); ``plan`` adds list prices and the live history of each changed offer.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from statistics import median
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from reconciler.checks.list_prices import (
    PlanKey,
    PriceClient,
    entry_plan,
    fetch_list_prices,
    plan_key,
    price_points,
    pricing_entries,
)
from reconciler.errors import Problem
from reconciler.offers.loader import OfferFile
from reconciler.offers.model import ChannelPartnerOffer, PriceDetails, PricingEntry
from reconciler.settings import Settings

if TYPE_CHECKING:  # `validate` checks files without loading the plan models
    from reconciler.plan.plan import Plan

SLIP_FACTORS = (10.0, 100.0, 1000.0)
SLIP_TOLERANCE = 0.02  # 9.4 vs 95 is a slip; 9 vs 95 is a different price
TERM_SPREAD = (0.6, 1.6)  # terms of one plan differ (a year is often cheaper per month)
PERCENT_LEAVES = {"discountPercentage": "discount", "markupPercentage": "markup"}
PRICE_LEAVES = {"pricePerPaymentInUsd", "unitPricePerPaymentPeriodInUsd"}
# Changes that send prices; a withdraw or delete sends none, so it is not checked.
PRICED_ACTIONS = {"create", "update", "publish", "partner-complete", "republish", "recreate"}


class PriceRule(StrEnum):
    ABOVE_LIST = "above-list"
    DISCOUNT_THRESHOLD = "discount-threshold"
    DECIMAL_SLIP = "decimal-slip"


class PriceWarning(BaseModel):
    """One questionable value, with where it is written and the figures behind it."""

    model_config = ConfigDict(frozen=True)

    rule: PriceRule
    file: str
    line: int = 0
    col: int = 0
    path: str  # field path in the file (pricing[0].discountPercentage) or the plan's diff path
    offer_name: str
    product: str | None = None
    plan: str | None = None  # None: an offer-level discount (every plan of the product)
    value: float
    reference: float | None = None  # the list price, threshold or value it was compared with
    message: str


class PriceGuardReport(BaseModel):
    warnings: list[PriceWarning] = []
    threshold: float
    strict: bool = False
    list_prices: int = 0  # public plans whose list price was read
    unavailable: list[str] = []  # plans whose list price could not be read (and why)

    @property
    def blocked(self) -> bool:
        return self.strict and bool(self.warnings)


# --- the rules ---------------------------------------------------------------------------


def _slip(value: float, reference: float) -> float | None:
    """The power of ten *m* with ``value * m`` == *reference* (within 2 %), else None."""
    if value <= 0 or reference <= 0:
        return None
    for factor in SLIP_FACTORS:
        for m in (factor, 1 / factor):
            if abs(value * m / reference - 1) <= SLIP_TOLERANCE:
                return m
    return None


def _g(value: float) -> str:
    return f"{value:,.6g}"


class _Checker:
    """The rules over one offer file; collects warnings."""

    def __init__(self, f: OfferFile, threshold: float, lists: Mapping[PlanKey, PriceDetails]):
        self.f = f
        self.threshold = threshold
        self.lists = lists
        self.found: list[PriceWarning] = []

    def warn(
        self,
        rule: PriceRule,
        parts: Sequence[str | int],
        message: str,
        *,
        value: float,
        reference: float | None = None,
        product: str | None = None,
        plan: str | None = None,
    ) -> None:
        line, col = self.f.position(list(parts))
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")
        self.found.append(
            PriceWarning(
                rule=rule,
                file=str(self.f.path),
                line=line,
                col=col,
                path=path,
                offer_name=self.f.name,
                product=product,
                plan=plan,
                value=value,
                reference=reference,
                message=f"{self.f.name}: {message}",
            )
        )

    def run(self) -> list[PriceWarning]:
        offer = self.f.offer
        if isinstance(offer, ChannelPartnerOffer):
            marks = [
                (i, e.markup_percentage, e) for i, e in enumerate(offer.originator_pricing or [])
            ]
            values = [float(v) for _, v, _ in marks if v is not None]
            for i, v, e in marks:
                if v is not None:
                    where: list[str | int] = ["originatorPricing", i, "markupPercentage"]
                    self.percentage(where, float(v), values, "markup", e.product, e.plan)
            return self.found
        entries = pricing_entries(self.f)
        discounts = [float(e.discount_percentage) for e in entries if e.discount_percentage]
        for i, entry in enumerate(entries):
            plan = entry_plan(entry)
            if entry.discount_percentage is not None:
                at: list[str | int] = ["pricing", i, "discountPercentage"]
                value = float(entry.discount_percentage)
                self.percentage(at, value, discounts, "discount", entry.product, plan)
            if entry.price_details is not None:
                listed = self.lists.get(plan_key(entry.product, plan)) if plan else None
                self.absolute(["pricing", i, "priceDetails"], entry, listed)
        return self.found

    def percentage(
        self,
        where: list[str | int],
        value: float,
        siblings: list[float],
        what: str,
        product: str,
        plan: str | None,
    ) -> None:
        on = f"{what} on {plan or 'every plan'} of {product}"
        ids = {"product": product, "plan": plan}
        if what == "discount" and value > self.threshold:
            self.warn(
                PriceRule.DISCOUNT_THRESHOLD,
                where,
                f"{_g(value)} % {on} is above the {_g(self.threshold)} % discount threshold",
                value=value,
                reference=self.threshold,
                **ids,
            )
        if 0 < value < 1:
            self.warn(
                PriceRule.DECIMAL_SLIP,
                where,
                f"{_g(value)} % {on} looks like a fraction: did you mean {_g(value * 100)} %?",
                value=value,
                reference=value * 100,
                **ids,
            )
            return
        others = list(siblings)
        if value in others:
            others.remove(value)
        # Only a clear majority of the other entries is evidence: 5 % on one plan and 50 %
        # on another can be meant; 9.5 % next to two entries of 95 % rarely is.
        if len(others) >= 2 and len(set(others)) == 1 and _slip(value, others[0]):
            self.warn(
                PriceRule.DECIMAL_SLIP,
                where,
                f"{_g(value)} % {on} where the offer's other entries say {_g(others[0])} %",
                value=value,
                reference=others[0],
                **ids,
            )

    def absolute(
        self, where: list[str | int], entry: PricingEntry, listed: PriceDetails | None
    ) -> None:
        details = entry.price_details
        assert details is not None
        for parts, value, per_month, list_per_month, months in price_points(details, listed):
            self.compare([*where, *parts], entry, value, per_month, list_per_month, months)
        # The terms of one entry against each other: a slip shows as one term ten times off.
        points = list(price_points(details, None))
        monthly = [(parts, value, per_month) for parts, value, per_month, _, _ in points]
        recurrent = [p for p in monthly if "recurrentPrice" in p[0]]
        for n, (parts, value, per_month) in enumerate(recurrent):
            others = [pm for k, (_, _, pm) in enumerate(recurrent) if k != n]
            if not others or per_month <= 0:
                continue
            ratio = median(others) / per_month
            for factor in SLIP_FACTORS:
                if TERM_SPREAD[0] * factor <= ratio <= TERM_SPREAD[1] * factor:
                    self.warn(
                        PriceRule.DECIMAL_SLIP,
                        [*where, *parts],
                        f"{_g(value)} USD on {entry_plan(entry)} of {entry.product} is about "
                        f"1/{factor:g} of the entry's other terms ({_g(median(others))} USD "
                        "a month): a decimal slip?",
                        value=value,
                        reference=median(others),
                        product=entry.product,
                        plan=entry_plan(entry),
                    )

    def compare(
        self,
        where: list[str | int],
        entry: PricingEntry,
        value: float,
        per_month: float,
        list_per_month: float | None,
        months: float,
    ) -> None:
        if list_per_month is None or list_per_month <= 0:
            return
        plan = entry_plan(entry)
        ids = {"product": entry.product, "plan": plan}
        listed = list_per_month * months  # the list price in the same payment unit
        on = f"on {plan} of {entry.product}"
        floor = list_per_month * (1 - self.threshold / 100)
        if per_month > list_per_month * (1 + 1e-9) or per_month < floor:
            slip = next(
                (
                    m
                    for m in (*SLIP_FACTORS, *(1 / f for f in SLIP_FACTORS))
                    if floor <= per_month * m <= list_per_month * (1 + 1e-9)
                ),
                None,
            )
            if slip is not None and per_month > 0:
                self.warn(
                    PriceRule.DECIMAL_SLIP,
                    where,
                    f"{_g(value)} USD {on} against a list price of {_g(listed)} USD: "
                    f"did you mean {_g(value * slip)}?",
                    value=value,
                    reference=listed,
                    **ids,
                )
                return
        if per_month > list_per_month * (1 + 1e-9):
            self.warn(
                PriceRule.ABOVE_LIST,
                where,
                f"{_g(value)} USD {on} is above the list price of {_g(listed)} USD",
                value=value,
                reference=listed,
                **ids,
            )
        elif per_month < floor:
            off = (1 - per_month / list_per_month) * 100
            self.warn(
                PriceRule.DISCOUNT_THRESHOLD,
                where,
                f"{_g(value)} USD {on} is {off:.0f} % below the list price of {_g(listed)} USD, "
                f"above the {_g(self.threshold)} % discount threshold",
                value=value,
                reference=self.threshold,
                **ids,
            )


def _history(plan: Plan) -> Iterator[PriceWarning]:
    """A changed value that is a power of ten away from the live one it replaces."""
    for change in plan.changes:
        if change.action not in PRICED_ACTIONS:
            continue
        for fc in change.field_changes:
            leaf = fc.path.rsplit(".", 1)[-1]
            if leaf not in PERCENT_LEAVES and leaf not in PRICE_LEAVES:
                continue
            old, new = fc.old, fc.new
            if not isinstance(old, int | float) or not isinstance(new, int | float):
                continue
            if isinstance(old, bool) or isinstance(new, bool) or not _slip(new, old):
                continue
            unit = " %" if leaf in PERCENT_LEAVES else " USD"
            yield PriceWarning(
                rule=PriceRule.DECIMAL_SLIP,
                file=change.file,
                line=change.line,
                path=fc.path,
                offer_name=change.offer_name,
                value=float(new),
                reference=float(old),
                message=(
                    f"{change.offer_name}: {fc.path} becomes {_g(new)}{unit} where the live "
                    f"offer has {_g(old)}{unit}: a decimal slip?"
                ),
            )


# --- entry points ------------------------------------------------------------------------


def check_files(
    files: Iterable[OfferFile],
    *,
    threshold: float,
    list_prices: Mapping[PlanKey, PriceDetails] | None = None,
) -> list[PriceWarning]:
    """The rules over the files alone (and list prices when given): what ``validate`` runs."""
    found: dict[tuple[str, str, PriceRule], PriceWarning] = {}
    for f in files:
        for w in _Checker(f, threshold, list_prices or {}).run():
            # The list price and the entry's other terms can both see one slip: say it once.
            found.setdefault((w.file, w.path, w.rule), w)
    return list(found.values())


def changed_files(plan: Plan, files: Iterable[OfferFile]) -> list[OfferFile]:
    """The files whose change sends prices (creates, updates, publishes...)."""
    priced = {c.file for c in plan.changes if c.action in PRICED_ACTIONS}
    return [f for f in files if str(f.path) in priced]


def check_plan(
    plan: Plan,
    files: Sequence[OfferFile],
    client: PriceClient | None,
    *,
    threshold: float,
    strict: bool,
) -> PriceGuardReport:
    """The guard of ``plan``: the changed offers' prices against list and live history."""
    mine = changed_files(plan, files)
    lists, unavailable = fetch_list_prices(client, mine) if client else ({}, [])
    found = check_files(mine, threshold=threshold, list_prices=lists)
    seen = {(w.file, w.value) for w in found if w.rule is PriceRule.DECIMAL_SLIP}
    found += [w for w in _history(plan) if (w.file, w.value) not in seen]
    found.sort(key=lambda w: (w.file, w.line, w.col, w.rule.value))
    return PriceGuardReport(
        warnings=found,
        threshold=threshold,
        strict=strict,
        list_prices=len(lists),
        unavailable=unavailable,
    )


def file_problems(
    files: Iterable[OfferFile], settings: Settings, *, strict: bool = False
) -> list[Problem]:
    """The file-only rules as ``validate`` findings: warnings, errors when strict."""
    severity = "error" if strict or settings.plan.strict_prices else "warning"
    return [
        Problem(
            file=w.file,
            line=w.line,
            col=w.col,
            path=w.path,
            message=w.message,
            rule=f"price-{w.rule.value}",
            severity=severity,
        )
        for w in check_files(files, threshold=settings.plan.discount_warning)
    ]
