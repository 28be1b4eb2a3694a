"""An emulator account holding offers of every kind and state, made with hand-written
configure bodies (not with the reconciler's plan), and helpers to import and plan."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler.api.client import ProductIngestionClient
from reconciler.api.connect import connect_emulator
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.server import EmbeddedEmulator
from reconciler.importer import STATES, ImportOptions, ImportResult, Selection, import_offers
from reconciler.offers.loader import load_offer_files
from reconciler.plan.live import fetch_live, managed_selector
from reconciler.plan.plan import Plan
from reconciler.plan.planner import PlanOptions, make_plan, role_kinds
from reconciler.settings import Settings

OFFER = "https://schema.mp.microsoft.com/schema/private-offer/2024-09-30"
PRICE = (
    "https://schema.mp.microsoft.com/schema/price-and-availability-private-offer-plan/2023-07-15"
)
ANALYTICS = "product/34771906-9711-4196-9f60-4af380fd5042"
DATA_PLATFORM = "product/7ba807c8-386a-4efe-80f1-b97bf8a554f8"
SECURE_VM = "product/0c1f6c2e-7d1a-4c5e-9a3b-2f4d5e6a7b8c"
TAILSPIN = "8d4e1f7a-3b2c-4d5e-9f6a-7b8c9d0e1f2a:1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f_2021-03-15"
RELECLOUD = "6e8a0c2e-4f6a-4c8e-a0b2-4d6f8a0c2e4a:9c1e3a5c-7e9a-4b1d-83f5-a7c9e1b3d5f7_2020-07-07"
SIGNATURE = "Zm9vYmFyc2VjcmV0c2lnbmF0dXJl%3D"
SAS_URL = (
    "https://contosolegal.blob.core.windows.net/terms/tailspin.pdf"
    f"?sv=2022-11-02&sr=b&sp=r&sig={SIGNATURE}"
)
PARTNER = {"id": "12345678", "partnerName": "Market Place Test", "location": "United States"}


@pytest.fixture(scope="package")
def emulator() -> Iterator[EmbeddedEmulator]:
    with EmbeddedEmulator(EmulatorConfig(tls=True, admin=True, job_latency=0.0)) as emu:
        yield emu


@pytest.fixture
def emu(emulator: EmbeddedEmulator) -> EmbeddedEmulator:
    emulator.admin.reset()
    return emulator


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(root=tmp_path)


def client(
    emu: EmbeddedEmulator, settings: Settings, *, account: str = "publisher", writes: bool = False
) -> Any:
    return connect_emulator(emu, settings, account=account, env={}, writes=writes)


def send(c: ProductIngestionClient, resources: list[dict[str, Any]]) -> str | None:
    """One configure job, waited for; returns the offer's durable id (from the job detail)."""
    job = c.configure(resources)
    status = c.wait_for_jobs([job.job_id], interval=0.01, timeout=30)[job.job_id]
    assert status.succeeded, status.errors
    for resource in c.job_detail(job.job_id):
        if str(resource.get("id", "")).startswith("private-offer/"):
            return str(resource["id"])
    return None


def customer(name: str, state: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "$schema": OFFER,
        "resourceName": "offer",
        "name": name,
        "privateOfferType": "customerPromotion",
        "offerPricingType": "editExistingOfferPricingOnly",
        "state": state,
        "variableStartDate": True,
        "end": "2027-12-31",
        "acceptBy": "2027-06-30",
        "preparedBy": "amy@contoso.com",
        "notificationContacts": ["amy@contoso.com", "deals@contoso.com"],
        "beneficiaries": [{"id": TAILSPIN, "description": "Tailspin Toys"}],
        "pricing": [
            {
                "product": ANALYTICS,
                "plan": "plan/123456",
                "discountType": "percentage",
                "discountPercentage": 5,
            },
            {
                "product": ANALYTICS,
                "plan": "plan/234567",
                "discountType": "percentage",
                "discountPercentage": 7.5,
            },
        ],
    }
    body.update(extra)
    return body


def withdraw(offer_id: str, name: str, kind: str, state: str = "withdrawn") -> dict[str, Any]:
    return {
        "$schema": OFFER,
        "resourceName": "minimal",
        "id": offer_id,
        "name": name,
        "privateOfferType": kind,
        "state": state,
    }


@dataclass
class Account:
    ids: dict[str, str]  # offer name -> durable id


NAMES = {
    "percentage": "Tailspin Analytics discount",
    "absolute": "Tailspin Data Platform fixed price",
    "draft": "Woodgrove Analytics draft",
    "withdrawn": "Northwind Analytics withdrawn",
    "deleted": "Litware deleted draft",
    "csp": "Contoso Analytics CSP margin",
    "mpo": "Adventure Works via Market Place Test",
    "mpo_pending": "Alpine Ski House per-user plan",
    "mpo_draft": "Relecloud Secure VM reservation",
}


def seed_account(emu: EmbeddedEmulator, settings: Settings) -> Account:
    """Every kind, in every state, through hand-written configure bodies."""
    ids: dict[str, str] = {}
    with client(emu, settings, writes=True) as c:

        def create(key: str, *resources: dict[str, Any]) -> str:
            offer_id = send(c, list(resources))
            assert offer_id is not None
            ids[NAMES[key]] = offer_id
            return offer_id

        create(
            "percentage",
            customer(NAMES["percentage"], "live", termsAndConditionsDocSasUrl=SAS_URL),
        )
        price = {
            "$schema": PRICE,
            "resourceName": "flat-price",
            "product": DATA_PLATFORM,
            "plan": "plan/987654",
            "offerPricingType": "editExistingOfferPricingOnly",
            "pricing": {
                "recurrentPrice": {
                    "recurrentPriceMode": "flatRate",
                    "priceInputOption": "usd",
                    "prices": [
                        {
                            "billingTerm": {"type": "month", "value": 1},
                            "paymentOption": {"type": "month", "value": 1},
                            "pricePerPaymentInUsd": 950,
                        }
                    ],
                },
                "customMeters": {
                    "priceInputOption": "usd",
                    "meters": {"meter1": {"pricePerPaymentInUsd": 0.8}},
                },
            },
        }
        absolute = customer(
            NAMES["absolute"],
            "live",
            pricing=[
                {
                    "product": DATA_PLATFORM,
                    "plan": "plan/987654",
                    "discountType": "absolute",
                    "priceDetails": {"resourceName": "flat-price"},
                }
            ],
        )
        emu.admin.accept(create("absolute", price, absolute))
        create("draft", customer(NAMES["draft"], "draft"))
        gone = create("withdrawn", customer(NAMES["withdrawn"], "live"))
        send(c, [withdraw(gone, NAMES["withdrawn"], "customerPromotion")])
        deleted = create("deleted", customer(NAMES["deleted"], "draft"))
        send(c, [withdraw(deleted, NAMES["deleted"], "customerPromotion", "deleted")])
        create(
            "csp",
            {
                "$schema": OFFER,
                "resourceName": "csp",
                "name": NAMES["csp"],
                "privateOfferType": "cspPromotion",
                "state": "live",
                "variableStartDate": False,
                "start": "2027-01-01",
                "end": "2027-12-31",
                "preparedBy": "amy@contoso.com",
                "beneficiaries": [
                    {
                        "id": "6f1c2b7e-0a32-4b44-b904-39dd964dd790",
                        "description": "Fabrikam Cloud Solutions (CSP)",
                        "beneficiaryRecipients": [
                            {
                                "id": "9b2d6c1e-48b4-4f80-a6d3-66333cd9c609",
                                "recipientType": "cspCustomer",
                            }
                        ],
                    }
                ],
                "pricing": [
                    {
                        "product": ANALYTICS,
                        "plan": "plan/123456",
                        "discountType": "percentage",
                        "discountPercentage": 12.5,
                    }
                ],
            },
        )
        mpo_common = {
            "$schema": OFFER,
            "resourceName": "mpo",
            "privateOfferType": "multipartyPromotionOriginator",
            "customerContractRenewal": False,
            "variableStartDate": True,
            "end": "2027-12-31",
            "acceptBy": "2027-06-30",
            "notificationContacts": ["amy@contoso.com"],
            "beneficiaries": [{"id": RELECLOUD, "description": "Relecloud"}],
            "partners": [PARTNER],
        }
        mpo = create(
            "mpo",
            {
                **mpo_common,
                "name": NAMES["mpo"],
                "state": "live",
                "offerPricingType": "editExistingOfferPricingOnly",
                "pricing": [
                    {
                        "product": ANALYTICS,
                        "plan": "plan/123456",
                        "discountType": "percentage",
                        "discountPercentage": 5,
                    }
                ],
                "notes": "Analytics via partner",
            },
        )
        per_user = {
            "$schema": PRICE,
            "resourceName": "per-user",
            "product": DATA_PLATFORM,
            "plan": "plan/876543",
            "offerPricingType": "saasNewCustomizedPlans",
            "pricing": {
                "recurrentPrice": {
                    "recurrentPriceMode": "perUser",
                    "priceInputOption": "usd",
                    "userLimits": {"min": 20, "max": 100},
                    "prices": [
                        {
                            "billingTerm": {"type": "year", "value": 1},
                            "paymentOption": {"type": "year", "value": 1},
                            "pricePerPaymentInUsd": 420.0,
                        }
                    ],
                }
            },
        }
        create(
            "mpo_pending",
            per_user,
            {
                **mpo_common,
                "name": NAMES["mpo_pending"],
                "state": "live",
                "offerPricingType": "saasNewCustomizedPlans",
                "pricing": [
                    {
                        "product": DATA_PLATFORM,
                        "basePlan": "plan/876543",
                        "newPlanDetails": {"name": "Alpine Per User", "description": "20-100"},
                        "discountType": "absolute",
                        "priceDetails": {"resourceName": "per-user"},
                    }
                ],
            },
        )
        reservation = {
            "$schema": PRICE,
            "resourceName": "vm",
            "product": SECURE_VM,
            "plan": "plan/555001",
            "offerPricingType": "vmSoftwareReservations",
            "softwareReservation": {
                "reservationDuration": {"type": "year", "value": 1},
                "paymentSchedule": {"type": "year", "value": 1},
                "vmPrices": {"36Core": {"quantity": 4, "unitPricePerPaymentPeriodInUsd": 0.04}},
            },
        }
        create(
            "mpo_draft",
            reservation,
            {
                **mpo_common,
                "name": NAMES["mpo_draft"],
                "state": "draft",
                "offerPricingType": "vmSoftwareReservations",
                "variableStartDate": False,
                "start": "2027-01-01",
                "pricing": [
                    {
                        "product": SECURE_VM,
                        "basePlan": "plan/555001",
                        "discountType": "absolute",
                        "priceDetails": {"resourceName": "vm"},
                    }
                ],
            },
        )
    with client(emu, settings, account="partner", writes=True) as c:
        view = c.get_offer(mpo)
        entries = [
            {k: v for k, v in e.items() if k not in ("productName", "planName")}
            | {"markupPercentage": 3}
            for e in view["originatorPricing"]
        ]
        send(
            c,
            [
                {
                    "$schema": OFFER,
                    "resourceName": "partner",
                    "id": mpo,
                    "name": NAMES["mpo"],
                    "privateOfferType": "multipartyPromotionChannelPartner",
                    "state": "live",
                    "preparedBy": "sales@marketplacetest.example.com",
                    "notificationContacts": ["sales@marketplacetest.example.com"],
                    "notes": "Market Place Test Q1",
                    "originatorPricing": entries,
                }
            ],
        )
    return Account(ids)


def run_import(
    emu: EmbeddedEmulator,
    settings: Settings,
    out: Path,
    *,
    account: str = "publisher",
    selection: Selection | None = None,
    dry_run: bool = False,
    env: dict[str, str] | None = None,
) -> ImportResult:
    with client(emu, settings, account=account) as c:
        return import_offers(
            c,
            settings,
            ImportOptions(
                out=out,
                selection=selection or Selection(take_all=True, states=STATES),
                dry_run=dry_run,
                env=env or {},
            ),
        )


def plan_files(
    emu: EmbeddedEmulator, settings: Settings, out: Path, env: dict[str, str], role: str
) -> Plan:
    files = load_offer_files([out], settings, env=env)
    mine = [f for f in files if f.kind in role_kinds(role)]
    account = "partner" if role == "partner" else "publisher"
    with client(emu, settings, account=account) as c:
        live = fetch_live(
            c, managed=managed_selector({f.name for f in mine}, {f.id for f in mine if f.id})
        )
    return make_plan(files, live, settings, options=PlanOptions(role=role))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.yaml")}
