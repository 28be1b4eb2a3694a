"""Realistic offer sets at a large publisher's scale: files on disk and the same offers live.

An offer set is built from templates, one per kind and pricing type the tool supports
(customer, CSP and multiparty-originator offers; percentage and absolute discounts;
existing plans, new customised SaaS plans flat-rate and per-user, VM software
reservations; offer-level discounts and renewals), cycled over N offers with varied
customers, dates, prices and contacts. A share of the originator offers also gets a
selling partner's completion file (``multipartyPromotionChannelPartner``) under
``partner/``, so every kind is present; those are on top of the N publisher offers.

Everything is deterministic for a given ``seed``: the same N gives the same files, the
same plans and the same request counts on every run.

Seeding uses the emulator's admin ``seed`` control, which applies configure resources in
bulk without jobs (hundreds of offers per request), so 5,000 offers go live in seconds.
The bodies are exactly what the planner would send for a create (prices split out into
linked price resources by :func:`reconciler.plan.requests.full_step`), so after seeding
a plan of the same files finds no change. ``drift_share`` seeds that share of offers with
a different contact list, as if someone had edited them in Partner Center.
"""

from __future__ import annotations

import copy
import datetime as dt
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from reconciler.emulator.admin import EmulatorAdmin
from reconciler.plan.requests import full_step

SCHEMA_COMMENT = "# yaml-language-server: $schema=https://schema.mp.microsoft.com/schema/private-offer/2024-09-30\n"

ANALYTICS = "product/34771906-9711-4196-9f60-4af380fd5042"
DATA_PLATFORM = "product/7ba807c8-386a-4efe-80f1-b97bf8a554f8"
SECURE_VM = "product/0c1f6c2e-7d1a-4c5e-9a3b-2f4d5e6a7b8c"
PARTNER_ID = "12345678"
PARTNER_NAME = "Market Place Test"

CUSTOMERS = (
    "Woodgrove Bank", "Tailspin Toys", "Litware", "Coho Winery", "Adventure Works",
    "Fourth Coffee", "Alpine Ski House", "Relecloud", "Northwind Traders", "Fabrikam",
    "Contoso Pharmaceuticals", "Wide World Importers", "Proseware", "Lamna Healthcare",
    "Trey Research", "Blue Yonder Airlines", "Humongous Insurance", "Wingtip Toys",
    "Margie's Travel", "Lucerne Publishing", "Graphic Design Institute", "Southridge Video",
)  # fmt: skip
CONTACTS = ("amy@contoso.com", "deals@contoso.com", "partner-sales@contoso.com",
            "legal@contoso.com", "emea-sales@contoso.com")  # fmt: skip

# Template name -> weight. The mix leans on what a large ISV mostly has (customer offers
# with discounts on existing plans) but every kind and pricing type is present.
TEMPLATES: tuple[tuple[str, int], ...] = (
    ("customer-percentage", 5),
    ("customer-offer-level-renewal", 2),
    ("customer-absolute", 3),
    ("customer-saas-per-user", 1),
    ("csp-percentage", 3),
    ("csp-restricted", 1),
    ("originator-percentage", 3),
    ("originator-absolute-meters", 2),
    ("originator-saas-flat-rate", 1),
    ("originator-saas-per-user", 1),
    ("originator-vm-reservation", 1),
)
DRAFT_SHARE = 0.4  # drafts can be edited in place: the apply scenarios change drafts
PARTNER_FILE_EVERY = 50  # one selling partner's file per 50 offers (taken from live MPOs)


@dataclass
class GeneratedOffer:
    """One offer of a set: its file path (relative) and its file content as data."""

    relpath: str
    data: dict[str, Any]
    template: str
    partner: bool = False  # the selling partner's file (not seeded, planned with --role partner)
    offer_id: str | None = None  # durable id once seeded

    @property
    def name(self) -> str:
        return str(self.data["name"])

    @property
    def state(self) -> str:
        return str(self.data["state"])

    @property
    def kind(self) -> str:
        return str(self.data["privateOfferType"])


@dataclass
class OfferSet:
    offers: list[GeneratedOffer]
    seed: int
    size: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def publisher(self) -> list[GeneratedOffer]:
        return [o for o in self.offers if not o.partner]

    @property
    def drafts(self) -> list[GeneratedOffer]:
        return [o for o in self.publisher if o.state == "draft"]


# --- building -----------------------------------------------------------------------------


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # reproducible data, not security

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def billing_account(self) -> str:
        year = self.rng.randint(2015, 2025)
        month, day = self.rng.randint(1, 12), self.rng.randint(1, 28)
        return f"{self.guid()}:{self.guid()}_{year}-{month:02d}-{day:02d}"

    def contacts(self) -> list[str]:
        return self.rng.sample(CONTACTS, self.rng.randint(1, 3))

    def dates(self, data: dict[str, Any], *, accept_by: bool = True) -> None:
        # Far enough ahead that the date rules hold for years; start on the 1st, end on
        # the last day of a month (the Partner Center rules the validator applies).
        year = 2028 + self.rng.randint(0, 1)
        month = self.rng.randint(1, 12)
        if self.rng.random() < 0.3:
            data["variableStartDate"] = True
        else:
            data["variableStartDate"] = False
            data["start"] = dt.date(year, month, 1)
        end_year = year + 1
        end_month = month
        last = (dt.date(end_year + (end_month // 12), end_month % 12 + 1, 1)) - dt.timedelta(1)
        data["end"] = last
        if accept_by:
            data["acceptBy"] = dt.date(year - 1, self.rng.randint(1, 12), 28)

    def price(self, low: int, high: int) -> int | float:
        value = self.rng.randint(low, high)
        return value if self.rng.random() < 0.7 else value + 0.5

    def percent(self) -> int | float:
        return self.rng.choice((5, 7.5, 10, 12.5, 15, 20, 25))

    def offer(self, template: str, index: int, state: str) -> dict[str, Any]:
        customer = self.rng.choice(CUSTOMERS)
        name = f"{customer} {template.replace('-', ' ')} {index:05d}"
        data: dict[str, Any]
        if template.startswith("customer"):
            data = {"privateOfferType": "customerPromotion"}
        elif template.startswith("csp"):
            data = {"privateOfferType": "cspPromotion"}
        else:
            data = {"privateOfferType": "multipartyPromotionOriginator"}
        data["name"] = name
        data["state"] = state
        getattr(self, "_" + template.replace("-", "_"))(data, customer)
        return data

    # -- customer offers

    def _customer_head(self, data: dict[str, Any], customer: str, pricing_type: str) -> None:
        data["offerPricingType"] = pricing_type
        self.dates(data)
        data["preparedBy"] = "amy@contoso.com"
        data["notificationContacts"] = self.contacts()
        data["beneficiaries"] = [{"id": self.billing_account(), "description": customer}]

    def _customer_percentage(self, data: dict[str, Any], customer: str) -> None:
        self._customer_head(data, customer, "editExistingOfferPricingOnly")
        plans = ["plan/123456", "plan/234567"][: self.rng.randint(1, 2)]
        data["pricing"] = [
            {"product": ANALYTICS, "plan": p, "discountType": "percentage",
             "discountPercentage": self.percent()}
            for p in plans
        ]  # fmt: skip

    def _customer_offer_level_renewal(self, data: dict[str, Any], customer: str) -> None:
        self._customer_head(data, customer, "editExistingOfferPricingOnly")
        data["customerContractRenewal"] = True
        data["pricing"] = [
            {
                "product": ANALYTICS,
                "discountType": "percentage",
                "discountPercentage": self.percent(),
            }
        ]

    def _customer_absolute(self, data: dict[str, Any], customer: str) -> None:
        self._customer_head(data, customer, "editExistingOfferPricingOnly")
        monthly = self.price(700, 1200)
        data["pricing"] = [
            {
                "product": DATA_PLATFORM,
                "plan": "plan/987654",
                "discountType": "absolute",
                "priceDetails": {"pricing": {"recurrentPrice": {
                    "recurrentPriceMode": "flatRate",
                    "priceInputOption": "usd",
                    "prices": [
                        {"billingTerm": {"type": "month", "value": 1},
                         "paymentOption": {"type": "month", "value": 1},
                         "pricePerPaymentInUsd": monthly},
                        {"billingTerm": {"type": "year", "value": 1},
                         "paymentOption": {"type": "month", "value": 1},
                         "pricePerPaymentInUsd": monthly - 50},
                    ],
                }}},
            }
        ]  # fmt: skip

    def _customer_saas_per_user(self, data: dict[str, Any], customer: str) -> None:
        self._customer_head(data, customer, "saasNewCustomizedPlans")
        data["pricing"] = [self._per_user_entry(customer)]

    # -- CSP offers

    def _csp_head(self, data: dict[str, Any]) -> None:
        self.dates(data, accept_by=False)
        data["preparedBy"] = "amy@contoso.com"
        data["notificationContacts"] = self.contacts()

    def _csp_percentage(self, data: dict[str, Any], customer: str) -> None:
        self._csp_head(data)
        data["beneficiaries"] = [
            {"id": self.guid(), "description": f"{c} (CSP)"}
            for c in self.rng.sample(CUSTOMERS, self.rng.randint(1, 4))
        ]
        data["pricing"] = [
            {"product": ANALYTICS, "plan": p, "discountType": "percentage",
             "discountPercentage": self.percent()}
            for p in ("plan/123456", "plan/234567")
        ]  # fmt: skip

    def _csp_restricted(self, data: dict[str, Any], customer: str) -> None:
        self._csp_head(data)
        data["beneficiaries"] = [
            {
                "id": self.guid(),
                "description": f"{customer} (CSP)",
                "beneficiaryRecipients": [
                    {"id": self.guid(), "recipientType": "cspCustomer"}
                    for _ in range(self.rng.randint(1, 5))
                ],
            }
        ]
        data["pricing"] = [
            {"product": DATA_PLATFORM, "plan": "plan/987654", "discountType": "percentage",
             "discountPercentage": self.percent()}
        ]  # fmt: skip

    # -- multiparty offers (originator)

    def _mpo_head(self, data: dict[str, Any], customer: str, pricing_type: str) -> None:
        data["offerPricingType"] = pricing_type
        data["customerContractRenewal"] = False
        self.dates(data)
        slug = customer.lower().replace(" ", "-").replace("'", "")
        blob = "https://contosolegal.blob.core.windows.net/terms"
        data["termsAndConditionsDocs"] = [
            {
                "sasUrl": f"{blob}/{slug}-{self.rng.randint(1000, 9999)}.pdf",
                "fileName": f"{slug}-terms.pdf",
                "customerFacingDocumentName": f"Contoso terms for {customer}",
            }
        ]
        data["notificationContacts"] = self.contacts()
        data["beneficiaries"] = [{"id": self.billing_account(), "description": customer}]
        data["partners"] = [
            {"id": PARTNER_ID, "partnerName": PARTNER_NAME, "location": "United States"}
        ]

    def _originator_percentage(self, data: dict[str, Any], customer: str) -> None:
        self._mpo_head(data, customer, "editExistingOfferPricingOnly")
        data["pricing"] = [
            {"product": ANALYTICS, "plan": p, "discountType": "percentage",
             "discountPercentage": self.percent()}
            for p in ("plan/123456", "plan/234567")
        ]  # fmt: skip
        data["notes"] = "Partner-led deal"

    def _originator_absolute_meters(self, data: dict[str, Any], customer: str) -> None:
        self._mpo_head(data, customer, "editExistingOfferPricingOnly")
        monthly = self.price(800, 1500)
        data["pricing"] = [
            {
                "product": DATA_PLATFORM,
                "plan": "plan/987654",
                "discountType": "absolute",
                "priceDetails": {"pricing": {
                    "recurrentPrice": {"priceInputOption": "usd", "prices": [
                        {"billingTerm": {"type": "month", "value": 1},
                         "pricePerPaymentInUsd": monthly},
                        {"billingTerm": {"type": "year", "value": 1},
                         "paymentOption": {"type": "month", "value": 1},
                         "pricePerPaymentInUsd": monthly - 50},
                    ]},
                    "customMeters": {"priceInputOption": "usd", "meters": {
                        "meter1": {"pricePerPaymentInUsd": self.rng.choice((0.4, 0.6, 0.8))},
                        "meter2": {"pricePerPaymentInUsd": self.rng.choice((1, 1.25, 1.5))},
                    }},
                }},
            }
        ]  # fmt: skip
        data["notes"] = "Absolute price, metered overage"

    def _originator_saas_flat_rate(self, data: dict[str, Any], customer: str) -> None:
        self._mpo_head(data, customer, "saasNewCustomizedPlans")
        quantity = self.rng.choice((5000, 10000, 20000))
        data["pricing"] = [
            {
                "product": DATA_PLATFORM,
                "basePlan": "plan/987654",
                "newPlanDetails": {"name": f"{customer} Flat Rate"[:50],
                                   "description": f"Flat rate with {quantity} meter1 units"},
                "discountType": "absolute",
                "priceDetails": {"pricing": {
                    "recurrentPrice": {
                        "recurrentPriceMode": "flatRate", "priceInputOption": "usd",
                        "prices": [
                            {"billingTerm": {"type": "month", "value": 1},
                             "paymentOption": {"type": "month", "value": 1},
                             "pricePerPaymentInUsd": self.price(1000, 1400)},
                        ],
                    },
                    "customMeters": {"priceInputOption": "usd", "meters": {
                        "meter1": {"includedQuantities": [
                            {"billingTerm": {"type": "month", "value": 1},
                             "quantity": quantity, "isInfinite": False}]},
                        "meter2": {"includedQuantities": [
                            {"billingTerm": {"type": "month", "value": 1}, "isInfinite": True}]},
                    }},
                }},
            }
        ]  # fmt: skip
        data["notes"] = "Custom SaaS plan, flat rate"

    def _per_user_entry(self, customer: str) -> dict[str, Any]:
        low = self.rng.choice((5, 10, 20))
        return {
            "product": DATA_PLATFORM,
            "basePlan": "plan/876543",
            "newPlanDetails": {"name": f"{customer} Per User"[:50],
                               "description": f"Per-user pricing for {low} to {low * 5} seats"},
            "discountType": "absolute",
            "priceDetails": {"pricing": {"recurrentPrice": {
                "recurrentPriceMode": "perUser", "priceInputOption": "usd",
                "userLimits": {"min": low, "max": low * 5},
                "prices": [
                    {"billingTerm": {"type": "month", "value": 1},
                     "paymentOption": {"type": "month", "value": 1},
                     "pricePerPaymentInUsd": self.price(30, 45)},
                    {"billingTerm": {"type": "year", "value": 1},
                     "paymentOption": {"type": "year", "value": 1},
                     "pricePerPaymentInUsd": self.price(350, 480)},
                ],
            }}},
        }  # fmt: skip

    def _originator_saas_per_user(self, data: dict[str, Any], customer: str) -> None:
        self._mpo_head(data, customer, "saasNewCustomizedPlans")
        data["pricing"] = [self._per_user_entry(customer)]
        data["notes"] = "Custom SaaS plan, per user"

    def _originator_vm_reservation(self, data: dict[str, Any], customer: str) -> None:
        self._mpo_head(data, customer, "vmSoftwareReservations")
        data["pricing"] = [
            {
                "product": SECURE_VM,
                "basePlan": "plan/555001",
                "discountType": "absolute",
                "priceDetails": {"softwareReservation": {
                    "reservationDuration": {"type": "year", "value": 1},
                    "paymentSchedule": {"type": "year", "value": 1},
                    "vmPrices": {
                        "36Core": {"quantity": self.rng.randint(1, 8),
                                   "unitPricePerPaymentPeriodInUsd": 0.04},
                        "8Core": {"quantity": self.rng.randint(2, 20),
                                  "unitPricePerPaymentPeriodInUsd": 0.012},
                    },
                }},
            }
        ]  # fmt: skip
        data["notes"] = "VM software reservation, 1 year"


def _partner_file(origin: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The selling partner's completion of an originator percentage offer (same name)."""
    return {
        "privateOfferType": "multipartyPromotionChannelPartner",
        "name": origin["name"],
        "state": "live",
        "preparedBy": "sales@marketplacetest.example.com",
        "notificationContacts": ["sales@marketplacetest.example.com"],
        "originatorPricing": [
            {
                "product": e["product"],
                "plan": e["plan"],
                "markupPercentage": rng.choice((1, 2, 2.5, 3)),
            }
            for e in origin["pricing"]
        ],
        "notes": "Market Place Test reseller",
    }


def generate(size: int, *, seed: int = 7) -> OfferSet:
    """*size* publisher offers (plus ~2 % selling-partner files) covering every template."""
    builder = _Builder(seed)
    names = [n for n, _ in TEMPLATES]
    weights = [w for _, w in TEMPLATES]
    # A shuffled deck rather than independent draws: every template appears at every size,
    # in its weight's proportion.
    deck = list(names)  # each template once first, so even a small set has every one
    builder.rng.shuffle(deck)
    while len(deck) < size:
        round_ = [n for n, w in zip(names, weights, strict=True) for _ in range(w)]
        builder.rng.shuffle(round_)
        deck.extend(round_)
    offers: list[GeneratedOffer] = []
    counts: dict[str, int] = {}
    partner_files = 0
    for index, template in enumerate(deck[:size]):
        state = "draft" if builder.rng.random() < DRAFT_SHARE else "live"
        data = builder.offer(template, index, state)
        folder = template.split("-", 1)[0]
        offers.append(GeneratedOffer(f"{folder}/offer-{index:05d}.yaml", data, template))
        counts[template] = counts.get(template, 0) + 1
        if (
            template == "originator-percentage"
            and state == "live"
            and partner_files * PARTNER_FILE_EVERY < index + 1
        ):
            partner_files += 1
            offers.append(
                GeneratedOffer(
                    f"partner/offer-{index:05d}-partner.yaml",
                    _partner_file(data, builder.rng),
                    "partner-completion",
                    partner=True,
                )
            )
    counts["partner-completion"] = partner_files
    return OfferSet(offers=offers, seed=seed, size=size, counts=counts)


# --- files ----------------------------------------------------------------------------------


def _dumper() -> YAML:
    yaml = YAML(typ="safe", pure=False)
    yaml.default_flow_style = False
    # Keep the natural key order of a file (the attribute is untyped in ruamel).
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.width = 200
    return yaml


def write_files(
    offer_set: OfferSet,
    directory: Path,
    *,
    pin_ids: float = 0.5,
    only: set[str] | None = None,
    edits: dict[str, dict[str, Any]] | None = None,
) -> int:
    """Write every offer as ``<directory>/<relpath>``; return the bytes written.

    ``pin_ids``: the share of seeded offers whose file pins the durable ``id`` (as files
    made by ``reconciler import`` do; the rest are matched by name). ``edits``: name ->
    top-level fields to override in that file (a change the plan must find). ``only``:
    rewrite just the files of these offer names (the others are left as they are).
    """
    yaml = _dumper()
    total = 0
    edits = edits or {}
    for position, offer in enumerate(offer_set.offers):
        if only is not None and (offer.partner or offer.name not in only):
            continue
        data = offer.data
        if offer.offer_id and not offer.partner and position % 100 < pin_ids * 100:
            data = {"id": offer.offer_id, **data}
        if offer.name in edits and not offer.partner:
            data = {**data, **edits[offer.name]}
        path = directory / offer.relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as handle:
            handle.write(SCHEMA_COMMENT)
            yaml.dump(data, handle)
        total += path.stat().st_size
    return total


# --- live -----------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def create_resources(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The configure resources that create this offer (prices split out and linked)."""
    body = _jsonable(data)
    step = full_step("create", body, offer_name=body["name"], state=body["state"])
    return step.resources


def drifted(data: dict[str, Any]) -> dict[str, Any]:
    """The offer as someone changed it in Partner Center: one contact more or fewer."""
    changed = copy.deepcopy(data)
    contacts = list(changed.get("notificationContacts") or [])
    if len(contacts) > 1:
        contacts.pop()
    else:
        contacts.append("partner-centre-edit@contoso.com")
    changed["notificationContacts"] = contacts
    return changed


def _chunks(items: Sequence[GeneratedOffer], size: int) -> Iterator[Sequence[GeneratedOffer]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def seed(
    admin: EmulatorAdmin,
    offer_set: OfferSet,
    *,
    drift_share: float = 0.0,
    per_request: int = 250,
) -> list[str]:
    """Create the set's publisher offers live in the emulator (ids go into the set).

    Returns the names of the offers seeded drifted (``drift_share`` of them, spread evenly).
    """
    publisher = offer_set.publisher
    drift_every = round(1 / drift_share) if drift_share > 0 else 0
    drifted_names: list[str] = []
    position = 0
    for chunk in _chunks(publisher, per_request):
        resources: list[dict[str, Any]] = []
        for offer in chunk:
            data = offer.data
            position += 1
            if drift_every and position % drift_every == drift_every // 2:
                data = drifted(data)
                drifted_names.append(offer.name)
            resources.extend(create_resources(data))
        created = admin.seed(resources)
        by_name = {r.get("name"): r.get("id") for r in created if r.get("privateOfferType")}
        for offer in chunk:
            found = by_name.get(offer.name)
            if not found:
                raise RuntimeError(f"the emulator did not create {offer.name!r}")
            offer.offer_id = str(found)
    return drifted_names


def revision_edits(offers: Sequence[GeneratedOffer], revision: int) -> dict[str, dict[str, Any]]:
    """Field edits that make each of *offers* differ from any earlier revision."""
    return {
        o.name: {"notificationContacts": ["amy@contoso.com", f"rev{revision}@contoso.com"]}
        for o in offers
    }
