"""Fixtures for the emulator's tests: a real emulator on loopback and a small HTTP helper."""

from __future__ import annotations

import copy
import ssl
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reconciler.emulator import EmbeddedEmulator, EmulatorConfig

CONFIGURE = "https://schema.mp.microsoft.com/schema/configure/2022-07-01"
OFFER = "https://schema.mp.microsoft.com/schema/private-offer/2024-09-30"
PRICE = (
    "https://schema.mp.microsoft.com/schema/price-and-availability-private-offer-plan/2023-07-15"
)
ANALYTICS = "product/34771906-9711-4196-9f60-4af380fd5042"  # SaaS, plans 123456 / 234567
DATA_PLATFORM = "product/7ba807c8-386a-4efe-80f1-b97bf8a554f8"  # SaaS, meters, 987654 / 876543
SECURE_VM = "product/0c1f6c2e-7d1a-4c5e-9a3b-2f4d5e6a7b8c"  # VM, sizes 36Core / 8Core, 555001
BILLING_ACCOUNT = (
    "5e3d2f1a-2163-5eea-ae4e-d6e88627c26b:6ea018a9-da9d-4eae-8610-22b51ebe260b_2019-05-31"
)
CSP_TENANT = "7c9e6679-0a32-4b44-b904-39dd964dd790"
PARTNER_ID = "12345678"


def customer_offer(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "$schema": OFFER,
        "privateOfferType": "customerPromotion",
        "name": "Contoso analytics for Fabrikam",
        "state": "draft",
        "offerPricingType": "editExistingOfferPricingOnly",
        "variableStartDate": True,
        "end": "2030-12-31",
        "acceptBy": "2030-06-30",
        "preparedBy": "amy@contoso.com",
        "notificationContacts": ["amy@contoso.com"],
        "beneficiaries": [{"id": BILLING_ACCOUNT, "description": "Fabrikam"}],
        "pricing": [
            {
                "product": ANALYTICS,
                "plan": "plan/123456",
                "discountType": "percentage",
                "discountPercentage": 5,
            }
        ],
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def csp_offer(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "$schema": OFFER,
        "privateOfferType": "cspPromotion",
        "name": "privateOffercsp1034",
        "state": "draft",
        "variableStartDate": False,
        "start": "2030-01-01",
        "end": "2030-02-28",
        "preparedBy": "amy@contoso.com",
        "notificationContacts": ["amy@contoso.com"],
        "beneficiaries": [{"id": CSP_TENANT, "description": "Top First CSP"}],
        "pricing": [
            {
                "product": ANALYTICS,
                "plan": "plan/123456",
                "discountType": "percentage",
                "discountPercentage": 5,
            }
        ],
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def originator_offer(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "$schema": OFFER,
        "resourceName": "privateOffer",
        "name": "privateOffercustomer1705",
        "state": "draft",
        "privateOfferType": "multipartyPromotionOriginator",
        "offerPricingType": "editExistingOfferPricingOnly",
        "customerContractRenewal": False,
        "variableStartDate": True,
        "end": "2030-12-31",
        "acceptBy": "2030-06-30",
        "termsAndConditionsDocs": [
            {
                "sasUrl": "https://example.blob.core.windows.net/docs/terms.pdf",
                "fileName": "Test1.pdf",
                "customerFacingDocumentName": "Test1 T&C",
            }
        ],
        "notificationContacts": ["amy@contoso.com"],
        "beneficiaries": [{"id": BILLING_ACCOUNT, "description": "Top First Customer"}],
        "partners": [
            {"id": PARTNER_ID, "partnerName": "Market Place Test", "location": "United States"}
        ],
        "pricing": [
            {
                "product": ANALYTICS,
                "plan": "plan/123456",
                "discountType": "percentage",
                "discountPercentage": 5,
            }
        ],
        "notes": "ISV 123",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


class Api:
    """A thin httpx wrapper acting as one account against the emulator."""

    def __init__(self, emulator: EmbeddedEmulator, account: str = "publisher") -> None:
        self.emulator = emulator
        # Plain HTTP has no certificate to check; verify=True would load the system trust
        # store (about 25 ms of CPU per client) for nothing.
        verify = (
            ssl.create_default_context(cafile=str(emulator.ca_file)) if emulator.ca_file else False
        )
        # A token the emulator issued (client credentials), as the API accepts no other.
        app = emulator.config.account(account)
        assert app is not None, account
        form = {
            "grant_type": "client_credentials",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "scope": "https://graph.microsoft.com/.default",
        }
        answer = httpx.post(
            emulator.authority("tenant") + "/oauth2/v2.0/token", data=form, verify=verify
        )
        token = answer.json()["access_token"]
        self.http = httpx.Client(
            base_url=emulator.api_url,
            headers={"Authorization": f"Bearer {token}"},
            verify=verify,
            timeout=10,
        )

    def get(self, path: str, version: str = "2023-07-15", **params: Any) -> httpx.Response:
        return self.http.get(path, params={"$version": version, **params})

    def configure(self, *resources: dict[str, Any], version: str = "2022-07-01") -> httpx.Response:
        body = {"$schema": CONFIGURE, "resources": list(resources)}
        return self.http.post("/configure", params={"$version": version}, json=body)

    def wait(self, job_id: str, timeout: float = 10) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            status: dict[str, Any] = self.get(f"/configure/{job_id}/status", "2022-07-01").json()
            if status["jobStatus"] == "completed" or time.monotonic() > deadline:
                return status
            time.sleep(0.02)

    def run(self, *resources: dict[str, Any]) -> dict[str, Any]:
        response = self.configure(*resources)
        assert response.status_code == 202, response.text
        return self.wait(response.json()["jobId"])

    def detail(self, job_id: str) -> list[dict[str, Any]]:
        response = self.get(f"/configure/{job_id}")
        assert response.status_code == 200, response.text
        resources: list[dict[str, Any]] = response.json()["resources"]
        return resources

    def create(self, offer: dict[str, Any]) -> dict[str, Any]:
        """Run a create job that must succeed; return the stored offer."""
        status = self.run(offer)
        assert status["jobResult"] == "succeeded", status
        created = [r for r in self.detail(status["jobId"]) if "privateOfferType" in r]
        return self.offer(created[0]["id"])

    def offer(self, offer_id: str) -> dict[str, Any]:
        response = self.get(f"/private-offer/{offer_id.split('/')[-1]}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def update(self, current: dict[str, Any], **changes: Any) -> dict[str, Any]:
        """Send *current* back (as read, plus *changes*) and return the job status."""
        body = copy.deepcopy(current)
        body.update(changes)
        for key in ("subState", "acceptanceLinks", "lastModified"):
            body.pop(key, None)
        return self.run({k: v for k, v in body.items() if v is not None})

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def emulator() -> Iterator[EmbeddedEmulator]:
    with EmbeddedEmulator(EmulatorConfig(admin=True)) as running:
        yield running


@pytest.fixture
def api(emulator: EmbeddedEmulator) -> Iterator[Api]:
    client = Api(emulator)
    yield client
    client.close()


@pytest.fixture
def partner_api(emulator: EmbeddedEmulator) -> Iterator[Api]:
    client = Api(emulator, "partner")
    yield client
    client.close()
