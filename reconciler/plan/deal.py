"""What a deal desk approves an offer change on: who, which product, how much, when, what risk.

One :class:`Deal` per planned change, keyed by its offer file (``Plan.deals``), filled after
the plan by the checks that read the catalogue's list prices (``reconciler.checks.deal``).
The renderers show it as the summary table's row; it is data, like the changes, so the
JSON plan carries it too. It is not part of the checksum: a list price read later never
makes a reviewed plan stale.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from reconciler.plan.records import Record


class DealPrice(Record):
    """One plan's price per month for one billing term: list, before and after the change."""

    plan: str = Field(description="The product and plan, by name: Contoso Analytics · Standard.")
    term: str = Field(description="The billing term: 1 month, 1 year.")
    currency: str = "USD"
    list_price: float | None = Field(default=None, description="Per month, the public plan's.")
    before: float | None = Field(default=None, description="Per month; None: a new price.")
    after: float | None = Field(default=None, description="Per month; None: no longer sold.")


class Deal(Record):
    """The business terms of one change, in names rather than ids."""

    file: str
    customers: list[str] = Field(
        default_factory=list,
        description="Beneficiaries by name (a CSP offer's partners; a multiparty offer's "
        "customers and selling partner).",
    )
    products: list[str] = Field(default_factory=list, description="Product · plan names.")
    terms: list[str] = Field(
        default_factory=list,
        description="What changes, in the file's terms: discount 10 → 12 %.",
    )
    prices: list[DealPrice] = Field(default_factory=list)
    start: dt.date | None = None
    end: dt.date | None = None
    starts_on_acceptance: bool = False
    accept_by: dt.date | None = None
    risks: list[str] = Field(
        default_factory=list,
        description="Why a reviewer should look twice: replace, republish, withdraw, prices.",
    )
