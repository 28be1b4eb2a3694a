"""What plan and drift show beyond the diff: price warnings, the offer timeline, the watch.

The commands call these after the plan is made; each result goes into ``Plan.extras``
(banners and sections every renderer shows). A :class:`RecordingClient` passes the plan's
own reads through and keeps the offers it listed, so the timeline and the watch cost no
request of their own; only the list prices of the changed offers' plans are extra reads.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

from reconciler.api.shapes import is_summary
from reconciler.checks import list_prices, price_guard, watch
from reconciler.checks.deal import DealBuilder, add_deals, plan_namer
from reconciler.markdown import escape_markdown, inline_code
from reconciler.offers.domain import offer_key
from reconciler.offers.loader import OfferFile
from reconciler.plan.extras import ExtraKind, ExtraLevel, PlanExtra
from reconciler.plan.live import managed_selector
from reconciler.plan.plan import Plan, SafetyRule, SafetyViolation
from reconciler.plan.plan_ids import PlanIds
from reconciler.render import timeline
from reconciler.secrets import redact
from reconciler.settings import Settings

PRICE_GUARD_RULE = SafetyRule.PRICE_GUARD


class ReadClient(Protocol):
    def list_offers(self) -> Iterator[dict[str, object]]: ...

    def get_resource(self, durable_id: str) -> dict[str, object]: ...

    def get_price_template(self, product_id: str, plan_id: str) -> dict[str, object]: ...

    def get_offer(self, offer_id: str) -> dict[str, object]: ...


class RecordingClient:
    """A read client that remembers every offer it listed (for the timeline and the watch)."""

    def __init__(self, client: ReadClient) -> None:
        self._client = client
        self.offers: list[dict[str, object]] = []
        self._lock = threading.Lock()  # the reads by id run side by side
        self._at: dict[str, int] = {}  # listed offer id -> its place in self.offers
        self._templates: dict[tuple[str, str], dict[str, object]] = {}
        self.plans = PlanIds()  # the plan lists read through this client

    @property
    def endpoint(self) -> str:
        return str(getattr(self._client, "endpoint", ""))

    def list_offers(self) -> Iterator[dict[str, object]]:
        self.offers, self._at = [], {}
        for offer in self._client.list_offers():
            with self._lock:
                self._at[offer_key(offer.get("id"))] = len(self.offers)
                self.offers.append(offer)
            yield offer

    def get_resource(self, durable_id: str) -> dict[str, object]:
        return self._client.get_resource(durable_id)

    def list_plans(self, product_id: str) -> list[dict[str, object]]:
        lister = getattr(self._client, "list_plans", None)
        found: list[dict[str, object]] = [] if lister is None else list(lister(product_id))
        with self._lock:
            self.plans.add(product_id, found)
        return found

    def live_offers(self) -> list[dict[str, object]]:
        """The offers listed, their plans named ``plan/<externalId>`` as the plan compared them."""
        return self.plans.named_all(self.offers)

    def get_offer(self, offer_id: str) -> dict[str, object]:
        # A targeted plan reads its few offers by id instead of listing them all; a list of
        # summaries is completed by these reads: the full offer takes the summary's place.
        offer = self._client.get_offer(offer_id)
        with self._lock:
            at = self._at.get(offer_key(offer_id))
            if at is None:
                self.offers.append(offer)
            else:
                self.offers[at] = offer
        return offer

    def get_price_template(self, product_id: str, plan_id: str) -> dict[str, object]:
        # The price guard and the summary table's prices read the same plans: once each.
        key = (product_id, plan_id)
        if key not in self._templates:
            self._templates[key] = self._client.get_price_template(product_id, plan_id)
        return self._templates[key]

    def complete(self, *, workers: int = 1) -> None:
        """Read by id every active offer the list gave as a summary (the watch needs the
        dates of unmanaged offers too): one GET each, side by side, only on drift."""
        wanted = [
            str(o["id"])
            for o in self.offers
            if o.get("id") and o.get("state") in ("draft", "live") and is_summary(o)
        ]
        if not wanted:
            return
        with ThreadPoolExecutor(max(1, min(workers, len(wanted))), thread_name_prefix="watch") as p:
            list(p.map(self.get_offer, wanted))


def _live_offers(client: object) -> list[dict[str, object]]:
    named = getattr(client, "live_offers", None)
    return list(named()) if named is not None else list(getattr(client, "offers", []))


def today() -> dt.date:
    """The UTC date: a scheduled run and a laptop agree on what "today" is."""
    return dt.datetime.now(dt.UTC).date()


# --- price guard -----------------------------------------------------------------------------


def _where(w: price_guard.PriceWarning) -> str:
    return f"{w.file}:{w.line}" if w.line else w.file


def _named(w: price_guard.PriceWarning, names: DealBuilder | None) -> str:
    """The warning's message with its product and plan by name (the ids when unknown)."""
    if names is None or not w.product:
        return w.message
    named = names.known(w.product, w.plan)
    if named is None:
        return w.message
    ids = f"{w.plan} of {w.product}" if w.plan else f"every plan of {w.product}"
    return w.message.replace(ids, named if w.plan else f"every plan of {named}")


def price_banner(
    report: price_guard.PriceGuardReport, names: DealBuilder | None = None
) -> PlanExtra:
    n = len(report.warnings)
    title = f"{n} price warning(s)" + (" block this plan" if report.blocked else "")
    if not n:
        title = "Price guard: some list prices could not be read"
    compared = (
        f"; absolute prices compared with the list prices of {report.list_prices} public plan(s)"
        if report.list_prices
        else ""
    )
    how = (
        "They block the plan (`--strict` or `plan.strict-prices`); `--force` overrides."
        if report.blocked
        else "Warnings only: `--strict` or the `plan.strict-prices` setting makes them block."
    )
    md = [f"Discount threshold {report.threshold:g} %{compared}. {how}", ""]
    md += [
        f"- {inline_code(_where(w))} {escape_markdown(redact(_named(w, names)))} [{w.rule.value}]"
        for w in report.warnings
    ]
    md += [f"- list price not read: {escape_markdown(redact(u))}" for u in report.unavailable]
    text = [f"{_where(w)}: {redact(_named(w, names))} [{w.rule.value}]" for w in report.warnings]
    text += [f"list price not read: {redact(u)}" for u in report.unavailable]
    return PlanExtra(
        kind=ExtraKind.BANNER,
        level=ExtraLevel.CAUTION if report.blocked else ExtraLevel.WARNING,
        title=title,
        markdown="\n".join(md) + "\n",
        text="\n".join(text),
    )


def add_price_guard(
    plan: Plan,
    files: Sequence[OfferFile],
    client: list_prices.PriceClient | None,
    settings: Settings,
    *,
    strict: bool = False,
) -> price_guard.PriceGuardReport:
    """Check the changed offers' prices; a banner when anything is questionable.

    Blocking (``--strict`` or ``plan.strict-prices``) is a safety violation like the
    withdraw thresholds: the plan exits 3, a saved plan cannot be applied, and ``--force``
    lifts it as it lifts every safety guard.
    """
    report = price_guard.check_plan(
        plan,
        files,
        client,
        threshold=settings.plan.discount_warning,
        strict=strict or settings.plan.strict_prices,
    )
    if report.warnings or report.unavailable:
        names = plan_namer(_live_offers(client))
        plan.extras.append(price_banner(report, names))
    if report.blocked:
        plan.safety.violations.append(
            SafetyViolation(
                rule=PRICE_GUARD_RULE,
                message=f"{len(report.warnings)} price warning(s) in strict mode",
                override="fix the prices, or --force",
            )
        )
    return report


# --- timeline and watch ----------------------------------------------------------------------


def add_timeline(
    plan: Plan, files: Sequence[OfferFile], live_offers: Sequence[dict[str, object]], day: dt.date
) -> timeline.Timeline:
    """A section with the gantt of every changed offer (none when nothing changes)."""
    built = timeline.build_timeline(plan.changes, files, live_offers, day)
    if not built.rows:
        return built
    md = timeline.render_mermaid(built)
    left_out = timeline.undrawn(built)
    if left_out:
        md += "\n" + "\n".join(
            f"- {escape_markdown(redact(r.offer_name))}: no dates to draw"
            if not r.has_dates
            else f"- {escape_markdown(redact(r.offer_name))}: not drawn (chart limit)"
            for r in left_out
        )
        md += "\n"
    plan.extras.append(
        PlanExtra(
            kind=ExtraKind.SECTION,
            title="Offer timeline",
            markdown=md,
            text=timeline.render_text(built),
        )
    )
    return built


def state_path(settings: Settings) -> Path:
    path = Path(settings.plan.watch_state)
    return path if path.is_absolute() else settings.root / path


def run_watch(
    settings: Settings,
    live_offers: Sequence[dict[str, object]],
    files: Sequence[OfferFile],
    day: dt.date,
    *,
    save: bool = True,
) -> watch.WatchReport:
    """Compare with the remembered state, remember the new one, and report."""
    path = state_path(settings)
    previous = watch.load_state(path)
    managed = managed_selector({f.name for f in files}, {f.id for f in files if f.id})
    report, state = watch.watch(
        live_offers,
        today=day,
        days=settings.plan.watch_days,
        previous=previous,
        managed=managed,
        state_file=str(settings.plan.watch_state),
    )
    if save:
        watch.save_state(path, state)
    return report


class PlanInsights:
    """What a command wants beyond the diff; :meth:`add` runs it on the fresh plan.

    ``plan`` asks for prices and the timeline, ``drift`` for the timeline and the watch.
    The results stay here for the command's own output (annotations, drift JSON).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        with_prices: bool = False,
        strict: bool = False,
        with_watch: bool = False,
        day: dt.date | None = None,
    ) -> None:
        self.settings = settings
        self.want_prices = with_prices
        self.strict = strict
        self.want_watch = with_watch
        self.day = day or today()
        self.price_report: price_guard.PriceGuardReport | None = None
        self.timeline_built: timeline.Timeline | None = None
        self.watch_report: watch.WatchReport | None = None

    def add(self, plan: Plan, files: Sequence[OfferFile], reader: RecordingClient) -> None:
        if self.want_prices:
            self.price_report = add_price_guard(
                plan, files, reader, self.settings, strict=self.strict
            )
        if self.want_watch:
            reader.complete(workers=self.settings.api.max_connections)
        # The summary table's rows: names, prices against list (read with the price guard's
        # plans), dates and risks of every change.
        add_deals(
            plan,
            files,
            reader.live_offers(),
            reader if self.want_prices else None,
            self.price_report,
        )
        self.timeline_built = add_timeline(plan, files, reader.offers, self.day)
        if self.want_watch:
            self.watch_report = run_watch(self.settings, reader.offers, files, self.day)
