"""The private-offer service's behaviour: jobs, business rules, lifecycle and views.

:class:`Engine` builds the parts and wires them; each part receives in its constructor exactly
what it uses (the settings, the store, the clock, the parts it calls) and nothing reaches
another part's state. The modules in layers, each importing only those below it (``|``:
parts of one layer, which know nothing of each other; the ``emulator-engine`` contract of
``.importlinter`` keeps this order)::

    engine.py                        Engine: the wiring; the surface the routes call
    jobs.py                          Jobs: submit, in-order completion, status, cancel
    offers.py                        Offers: create, or route an update by the sender's role
    lifecycle.py | admin_actions.py  Lifecycle: edit, publish, withdraw, delete, partner side
                                     | AdminActions: accept, drift, partner withdraw
    offer_rules.py | views.py        OfferRules: dates, pricing, partners | Views: what each
                                     account reads of an offer
    prices.py                        PriceRules: price resources and their view
    lookup.py                        CatalogueLookup: products, plans, plan id forms
    base.py                          Clock, Ceiling (schema versions), RuleError, JobContext

Who calls whom: Engine -> Jobs, Views, PriceRules, AdminActions; Jobs -> Offers, PriceRules;
Offers -> Lifecycle, OfferRules, Views, CatalogueLookup; Lifecycle -> OfferRules, Views;
OfferRules, PriceRules -> CatalogueLookup.

A multiparty offer is one record with two views: the originator's (type
``multipartyPromotionOriginator``) and the selling partner's (type
``multipartyPromotionChannelPartner``, with ``originatorPricing``,
``originatorTermsAndConditionsDocs`` and its own fields). The partner view exists once the
originator publishes; the customer sees the offer once the partner publishes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from reconciler.emulator.admin_actions import AdminActions
from reconciler.emulator.base import Ceiling, Clock, RuleError
from reconciler.emulator.config import Account, EmulatorConfig
from reconciler.emulator.job_record import JobRecord
from reconciler.emulator.jobs import Jobs
from reconciler.emulator.lifecycle import Lifecycle
from reconciler.emulator.lookup import CatalogueLookup
from reconciler.emulator.offer_rules import OfferRules
from reconciler.emulator.offers import Offers
from reconciler.emulator.prices import PriceRules
from reconciler.emulator.store import Store
from reconciler.emulator.views import Views

__all__ = ["Engine", "RuleError"]


class Engine:
    """The parts, wired once; the methods the API, catalogue and admin routes call."""

    def __init__(
        self, config: EmulatorConfig, store: Store, clock: Callable[[], float] = time.time
    ) -> None:
        self.clock = Clock(config, clock)
        self.ceiling = Ceiling(config)
        lookup = CatalogueLookup(config, store)
        self.prices = PriceRules(store, lookup, self.ceiling)
        self.views = Views(config, store, self.clock, self.ceiling)
        rules = OfferRules(config, store, self.clock, lookup)
        lifecycle = Lifecycle(config, store, self.clock, rules, self.views)
        offers = Offers(config, store, self.clock, lookup, rules, self.views, lifecycle)
        self.jobs = Jobs(config, store, self.clock, self.ceiling, offers, self.prices)
        self.admin = AdminActions(store, self.clock)
        self._lookup = lookup

    @property
    def api_url(self) -> str:
        """The API's base URL, for a job's ``resourceUri``: set once the server knows it."""
        return self.jobs.api_url

    @api_url.setter
    def api_url(self, value: str) -> None:
        self.jobs.api_url = value

    # ---- jobs -----------------------------------------------------------------------------

    def submit(
        self,
        account: Account,
        body: dict[str, object],
        resources: list[dict[str, object]],
        fail: dict[str, Any] | None = None,
    ) -> JobRecord:
        return self.jobs.submit(account, body, resources, fail)

    def advance(self) -> None:
        self.jobs.advance()

    def job_view(self, job: JobRecord, version: str) -> dict[str, object]:
        return self.jobs.job_view(job, version)

    def cancel(self, job: JobRecord) -> JobRecord:
        return self.jobs.cancel(job)

    def process(
        self, account: Account, resources: list[dict[str, object]], version: str
    ) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        return self.jobs.process(account, resources, version)

    # ---- reads ----------------------------------------------------------------------------

    def detail_view(self, resource: dict[str, Any], version: str) -> dict[str, Any]:
        return self.views.detail_view(resource, version)

    def list_item(self, record: dict[str, object], account: str, version: str) -> dict[str, object]:
        return self.views.list_item(record, account, version)

    def role(self, record: dict[str, Any], account: str) -> str | None:
        return self.views.role(record, account)

    def offer_view(self, record: dict[str, Any], account: str, version: str) -> dict[str, Any]:
        return self.views.offer_view(record, account, version)

    def price_view(self, doc: dict[str, object], version: str) -> dict[str, object]:
        return self.prices.view(doc, version)

    def capped(self, resource: str, version: str) -> str:
        return self.ceiling.capped(resource, version)

    def canonical_plan(self, product_id: str, plan_ref: str) -> str:
        return self._lookup.canonical_plan(product_id, plan_ref)

    # ---- the controls (behind the API's back) -----------------------------------------------

    def accept(self, guid: str) -> dict[str, object]:
        return self.admin.accept(guid)

    def edit(
        self, guid: str, patch: dict[str, object], state: str | None = None
    ) -> dict[str, object]:
        return self.admin.edit(guid, patch, state)

    def partner_withdraw(self, guid: str) -> dict[str, object]:
        return self.admin.partner_withdraw(guid)
