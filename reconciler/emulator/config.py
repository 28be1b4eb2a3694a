"""Emulator settings: every behaviour the documentation leaves open is a field here.

docs/api-unknowns.md lists each field next to what the documentation says, so a test or a
user can flip a guess without touching code. The defaults are the emulator's best reading of
the documentation; they are what ``reconciler emulator`` and the embedded emulator use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
FEDERATED_AUDIENCE = "api://AzureADTokenExchange"


@dataclass(frozen=True)
class Account:
    """A Partner Center account the emulator knows, with the Entra app that acts for it.

    ``certificates`` are PEM public certificates registered for the app; when empty, any
    well-formed RS256/PS256 assertion whose iss/sub is the client id is accepted (the emulator
    cannot know the key a user generated on the fly). ``federated`` lists (issuer, subject)
    pairs; subject "*" trusts every subject of that issuer.
    """

    name: str
    client_id: str
    client_secret: str
    partner_id: str | None = None
    partner_name: str | None = None
    location: str = "United States"
    certificates: tuple[str, ...] = ()
    federated: tuple[tuple[str, str], ...] = ((GITHUB_ISSUER, "*"),)

    def __repr__(self) -> str:  # the secret must never reach a log line
        return f"Account(name={self.name!r}, client_id={self.client_id!r})"


PUBLISHER = Account(
    name="publisher",
    client_id="00000000-0000-0000-0000-0000000000a1",
    client_secret="emulator-publisher-secret",  # noqa: S106 - documented demo credential
)
PARTNER = Account(
    name="partner",
    client_id="00000000-0000-0000-0000-0000000000b2",
    client_secret="emulator-partner-secret",  # noqa: S106 - documented demo credential
    partner_id="12345678",
    partner_name="Market Place Test",
)


def default_accounts() -> tuple[Account, ...]:
    return (PUBLISHER, PARTNER)


JOB_LATENCY_ENV = "RECONCILER_EMULATOR_JOB_LATENCY"
DEFAULT_JOB_LATENCY = 30.0
# The emulator that `--emulator` embeds in a command: jobs still take time and a created
# offer is still listed only once its job completes, but a quickstart's apply (a batch job
# that fails, then one job per offer, then the partner's) finishes in seconds, not minutes.
EMBEDDED_JOB_LATENCY = 3.0


def default_job_latency(*, embedded: bool = False) -> float:
    """30 s (3 s for the emulator embedded in a command), or what
    RECONCILER_EMULATOR_JOB_LATENCY says (a number of seconds >= 0)."""
    raw = os.environ.get(JOB_LATENCY_ENV, "").strip()
    if not raw:
        return EMBEDDED_JOB_LATENCY if embedded else DEFAULT_JOB_LATENCY
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{JOB_LATENCY_ENV} must be a number of seconds, not {raw!r}") from None
    if value < 0 or value != value:
        raise ValueError(f"{JOB_LATENCY_ENV} must be 0 or more, not {raw!r}")
    return value


@dataclass
class EmulatorConfig:
    """Everything that shapes one emulator instance (see docs/emulator.md)."""

    data_dir: Path | None = None  # None = in memory, gone when the emulator stops
    host: str = "127.0.0.1"
    port: int = 0  # 0 = a free port chosen by the OS
    tls: bool = False
    admin: bool = False
    # Bearer token of the /_emulator/ controls; None = a random one made at start.
    admin_token: str | None = None
    # Seconds from submission to completion (0 = at the first read). The default is a
    # realistic 30 s, the pessimistic reading (docs/api-unknowns.md); the environment
    # variable RECONCILER_EMULATOR_JOB_LATENCY changes it for every emulator started.
    job_latency: float = field(default_factory=lambda: default_job_latency())
    token_lifetime: int = 3600
    # Accept "Bearer emulator:<account>", a token the emulator never issued: only for tests
    # and benchmarks that ask for it; by default the API takes only the tokens it issued.
    static_tokens: bool = False
    # The Host names every route answers to (DNS rebinding, see emulator/hosts.py);
    # None = any name, only with `reconciler emulator --allow-remote`.
    allowed_hosts: tuple[str, ...] | None = ("127.0.0.1", "localhost", "::1")
    accounts: tuple[Account, ...] = field(default_factory=default_accounts)
    # issuer -> PEM public key used to verify federated assertions; None = signature unchecked
    trusted_issuers: dict[str, str | None] = field(default_factory=lambda: {GITHUB_ISSUER: None})
    # ---- behaviours the documentation leaves open (docs/api-unknowns.md) ----
    list_key: Literal["privateOffers", "value"] = "privateOffers"
    next_link_key: Literal["@nextLink", "@odata.nextLink"] = "@nextLink"
    next_link_form: Literal["absolute", "relative"] = "absolute"
    # $maxpagesize is documented for product/plan lists, not for private-offer/query.
    query_page_size: Literal["refuse", "ignore"] = "refuse"
    page_size: int = 100
    max_page_size: int = 1000
    strict_dates: bool = False
    require_etag: bool = False
    atomic_jobs: bool = False
    # "resourceName exists only inside the request. It is not stored." (docs/api-unknowns.md)
    detail_resource_name: bool = False
    update_mode: Literal["replace", "merge"] = "replace"
    # Reads answer the durable plan/<productGuid>/<planGuid> (docs/api-unknowns.md, "Plan ids");
    # False reads a plan back in the form it was sent.
    canonical_plan_ids: bool = True
    deleted_offer_get: Literal["resource", "notFound"] = "resource"
    initial_job_status: Literal["notStarted", "running"] = "notStarted"
    # The documented GET response spells the partner type with a capital P (docs/api-unknowns.md).
    channel_partner_spelling: Literal[
        "multiPartyPromotionChannelPartner", "multipartyPromotionChannelPartner"
    ] = "multiPartyPromotionChannelPartner"
    # "a withdrawn offer goes back to Draft" (docs/api-unknowns.md); "withdrawn" keeps it.
    withdrawn_state: Literal["draft", "withdrawn"] = "draft"
    # Delete is documented for drafts only; a withdrawn CSP offer (never a draft again) is
    # refused by default, "allowed" deletes it as a draft (docs/api-unknowns.md).
    csp_withdrawn_delete: Literal["refused", "allowed"] = "refused"
    # A live offer past its acceptBy that nobody accepted: the UI calls it "Expired"; no API
    # sample shows it, so it reads back as subState "expired" unless "pendingAcceptance".
    expired_sub_state: Literal["expired", "pendingAcceptance"] = "expired"
    # Drafts via the API: 2023 docs show them, the 2022 API refused them (docs/api-unknowns.md).
    drafts: Literal["allowed", "refused"] = "allowed"
    # The 2022 API's other limit: a withdrawn offer could not be published again.
    republish: Literal["allowed", "refused"] = "allowed"
    # Whether one configure request may carry several private offers (undocumented:
    # every sample sends one); "refused" answers 400 to a multi-offer request, "failed"
    # accepts it (202) and fails its job without applying anything.
    multi_offer_requests: Literal["allowed", "refused", "failed"] = "failed"
    # What GET private-offer/query returns per offer: the full resource, or the summary
    # (id, name, privateOfferType, state) of the only public fixture of the list.
    list_shape: Literal["full", "summary"] = "summary"
    # "any": price resources are processed before offers whatever their order; "request":
    # in the order sent, so an offer naming a price resource sent after it fails (the
    # documentation creates the price resource "above" the offer that names it).
    price_order: Literal["any", "request"] = "request"
    # VM software reservations: "newPlanDetails ... will be system generated and available
    # in the response of the job when completed"; "none" stores the entry as sent.
    vmsr_plan_details: Literal["generated", "none"] = "generated"
    # "upgrade an existing accepted private offer" (Partner Center FAQ; the API page says
    # only "an existing customer private offer"): "any" also upgrades an offer not accepted.
    upgrade_source: Literal["accepted", "any"] = "accepted"
    # Rules no Microsoft page states (docs/api-unknowns.md): off unless asked for.
    # acceptBy <= end is a UI rule that every API sample breaks.
    accept_by_within_term: bool = False
    # The newest schema versions the service has: reads answer the closest older one
    # ("$version" is a ceiling), writes naming a newer one fail inside their job.
    newest_offer_version: str = "2026-02-01"
    newest_price_version: str = "2025-06-01"
    # How many times faster than real time the emulator's clock runs for jobs: a 30 s job
    # at clock_rate 100 completes after 0.3 s (tests keep realistic job times fast).
    clock_rate: float = 1.0
    request_latency: float = 0.0  # seconds added to every API request (round-trip cost)
    today: str | None = None  # YYYY-MM-DD override of the emulator's clock for date rules
    fault_seed: int = 0  # seeds the random choice of "share" faults, for reproducible runs

    def account(self, name: str) -> Account | None:
        return next((a for a in self.accounts if a.name == name), None)

    def account_by_client(self, client_id: str) -> Account | None:
        return next((a for a in self.accounts if a.client_id == client_id), None)

    def account_by_partner_id(self, partner_id: str) -> Account | None:
        return next((a for a in self.accounts if a.partner_id == partner_id), None)
