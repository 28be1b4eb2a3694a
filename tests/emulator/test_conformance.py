"""The documented request samples and response shapes, over real HTTP.

Request bodies are the samples of the two seed pages, made valid JSON and pointed at the
emulator's catalogue (ids, products, plans, future dates); every other field is verbatim.
"""

from __future__ import annotations

import re

import httpx

from reconciler.emulator import EmbeddedEmulator
from tests.emulator.conftest import (
    ANALYTICS,
    BILLING_ACCOUNT,
    CONFIGURE,
    CSP_TENANT,
    DATA_PLATFORM,
    OFFER,
    PRICE,
    SECURE_VM,
    Api,
    csp_offer,
    customer_offer,
    originator_offer,
)

JOB_START = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$")

CSP_SAMPLE = {
    "$schema": "https://schema.mp.microsoft.com/schema/private-offer/2023-07-15",
    "privateOfferType": "cspPromotion",
    "name": "privateOffercsp1034",
    "state": "live",
    "variableStartDate": False,
    "start": "2030-01-01",
    "end": "2030-02-28",
    "preparedBy": "amy@contoso.com",
    "notificationContacts": ["amy@contoso.com"],
    "beneficiaries": [{"id": CSP_TENANT, "description": "Top First CSP"}],
    "pricing": [
        {
            "product": "product/34771906-9711-4196-9f60-4af380fd5042",
            "plan": "plan/123456",
            "discountType": "percentage",
            "discountPercentage": 5,
        }
    ],
}

SIMPLE_ABSOLUTE = {
    "$schema": PRICE,
    "resourceName": "newSimpleAbsolutePricing",
    "product": "product/7ba807c8-386a-4efe-80f1-b97bf8a554f8",
    "plan": "plan/987654",
    "offerPricingType": "editExistingOfferPricingOnly",
    "pricing": {
        "recurrentPrice": {
            "priceInputOption": "usd",
            "prices": [
                {"pricePerPaymentInUsd": 1, "billingTerm": {"type": "month", "value": 1}},
                {
                    "pricePerPaymentInUsd": 2,
                    "paymentOption": {"type": "month", "value": 1},
                    "billingTerm": {"type": "year", "value": 1},
                },
            ],
        },
        "customMeters": {
            "priceInputOption": "usd",
            "meters": {"meter1": {"pricePerPaymentInUsd": 1}},
        },
    },
}

SAAS_FLAT = {
    "$schema": PRICE,
    "product": DATA_PLATFORM,
    "resourceName": "newSaaSPlanAbsolutePricing",
    "plan": "plan/987654",  # the sample's plan/123456 belongs to another product
    "offerPricingType": "saasNewCustomizedPlans",
    "pricing": {
        "recurrentPrice": {
            "recurrentPriceMode": "flatRate",
            "priceInputOption": "usd",
            "prices": [
                {
                    "billingTerm": {"type": "month", "value": 1},
                    "paymentOption": {"type": "month", "value": 1},
                    "pricePerPaymentInUsd": 0.1,
                },
                {
                    "billingTerm": {"type": "year", "value": 1},
                    "paymentOption": {"type": "month", "value": 1},
                    "pricePerPaymentInUsd": 0.12,
                },
            ],
        },
        "customMeters": {
            "priceInputOption": "usd",
            "meters": {
                "meter1": {
                    "includedQuantities": [
                        {
                            "billingTerm": {"type": "month", "value": 1},
                            "quantity": 10.0,
                            "isInfinite": False,
                        },
                        {
                            "billingTerm": {"type": "year", "value": 1},
                            "quantity": 15.0,
                            "isInfinite": False,
                        },
                    ]
                },
                "meter2": {
                    "includedQuantities": [
                        {"billingTerm": {"type": "month", "value": 1}, "isInfinite": True},
                        {"billingTerm": {"type": "year", "value": 1}, "isInfinite": True},
                    ]
                },
            },
        },
    },
}

SAAS_PER_USER = {
    "$schema": PRICE,
    "resourceName": "newSaaSPlanAbsolutePricing",
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
                    "billingTerm": {"type": "month", "value": 1},
                    "paymentOption": {"type": "month", "value": 1},
                    "pricePerPaymentInUsd": 0.01,
                },
                {
                    "billingTerm": {"type": "year", "value": 1},
                    "paymentOption": {"type": "year", "value": 1},
                    "pricePerPaymentInUsd": 0.02,
                },
            ],
        }
    },
}

VMSR = {
    "$schema": PRICE,
    "resourceName": "newVMSRAbsolutePricing",
    "product": SECURE_VM,
    "offerPricingType": "vmSoftwareReservations",
    "plan": "plan/555001",
    "softwareReservation": {
        "reservationDuration": {"type": "year", "value": 1},
        "paymentSchedule": {"type": "year", "value": 1},
        "vmPrices": {"36Core": {"quantity": 4.0, "unitPricePerPaymentPeriodInUsd": 0.04}},
    },
}


def test_configure_answers_202_with_the_documented_configure_status(api: Api) -> None:
    response = api.configure(CSP_SAMPLE)
    assert response.status_code == 202
    body = response.json()
    assert body["$schema"] == "https://schema.mp.microsoft.com/schema/configure-status/2022-07-01"
    assert re.fullmatch(r"[0-9a-f-]{36}", body["jobId"])
    assert (body["jobStatus"], body["jobResult"], body["errors"]) == ("notStarted", "pending", [])
    assert JOB_START.match(body["jobStart"])
    assert body["jobEnd"] == "0001-01-01T00:00:00"
    assert "resourceUri" not in body


def test_csp_sample_creates_a_live_offer_and_the_job_reports_it(api: Api) -> None:
    status = api.run(CSP_SAMPLE)
    assert status["jobResult"] == "succeeded"
    assert status["resourceUri"].endswith(f"/configure/{status['jobId']}")
    assert JOB_START.match(status["jobEnd"])
    detail = api.get(f"/configure/{status['jobId']}").json()
    assert detail["$schema"].endswith("/configure-detail/2022-03-01-preview2")
    offer = detail["resources"][0]
    assert re.fullmatch(r"private-offer/[0-9a-f-]{36}", offer["id"])
    stored = api.offer(offer["id"])
    assert stored["state"] == "live" and stored["name"] == "privateOffercsp1034"
    assert re.fullmatch(r'"[0-9a-f-]{36}"', stored["eTag"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", stored["lastModified"])
    assert stored["pricing"][0]["productName"] == "Contoso Analytics"
    assert stored["pricing"][0]["planName"] == "Standard"


def test_csp_sample_with_beneficiary_recipients(api: Api) -> None:
    beneficiaries = [
        {
            "id": CSP_TENANT,
            "description": "Top First CSP",
            "beneficiaryRecipients": [
                {"id": "2a8f3c4d-48b4-af80-66333cd9c609", "recipientType": "cspCustomer"}
            ],
        }
    ]
    offer = api.create({**CSP_SAMPLE, "beneficiaries": beneficiaries})
    assert offer["beneficiaries"] == beneficiaries


def test_mpo_originator_sample_with_percentage_discount(api: Api) -> None:
    offer = api.create(originator_offer(state="live"))
    assert offer["privateOfferType"] == "multipartyPromotionOriginator"
    assert (offer["state"], offer["subState"]) == ("live", "pendingPartnerAction")
    assert offer["notes"] == "ISV 123"


def test_absolute_price_resource_is_referenced_by_resource_name(api: Api) -> None:
    pricing = [
        {
            "product": ANALYTICS,
            "plan": "plan/123456",
            "discountType": "percentage",
            "discountPercentage": 5,
        },
        {
            "product": DATA_PLATFORM,
            "plan": "plan/987654",
            "discountType": "absolute",
            "priceDetails": {"resourceName": "newSimpleAbsolutePricing"},
        },
    ]
    status = api.run(SIMPLE_ABSOLUTE, originator_offer(pricing=pricing))
    assert status["jobResult"] == "succeeded", status
    detail = api.detail(status["jobId"])
    # resourceName exists only inside the request; it is not stored (digest §2.1).
    assert all("resourceName" not in r for r in detail)
    names = {
        ("privateOffer" if "privateOfferType" in r else "newSimpleAbsolutePricing"): r
        for r in detail
    }
    price_id = names["newSimpleAbsolutePricing"]["id"]
    assert re.fullmatch(
        r"price-and-availability-private-offer-plan/7ba807c8-386a-4efe-80f1-b97bf8a554f8/\d+",
        price_id,
    )
    offer = api.offer(names["privateOffer"]["id"])
    assert offer["pricing"][1]["priceDetails"] == price_id
    price = api.get("/" + price_id).json()
    assert price["id"] == price_id
    assert price["pricing"] == SIMPLE_ABSOLUTE["pricing"]


def test_saas_new_customized_plans_flat_and_per_user(api: Api) -> None:
    for price in (SAAS_FLAT, SAAS_PER_USER):
        offer = originator_offer(
            offerPricingType="saasNewCustomizedPlans",
            pricing=[
                {
                    "product": DATA_PLATFORM,
                    "discountType": "absolute",
                    "priceDetails": {"resourceName": "newSaaSPlanAbsolutePricing"},
                    "basePlan": price["plan"],
                    "newPlanDetails": {"name": "newPlanName", "description": "newPlanDescription"},
                }
            ],
        )
        status = api.run(price, offer)
        assert status["jobResult"] == "succeeded", status


def test_vm_software_reservation_sample(api: Api) -> None:
    offer = originator_offer(
        state="live",
        offerPricingType="vmSoftwareReservations",
        pricing=[
            {
                "product": SECURE_VM,
                "discountType": "absolute",
                "priceDetails": {"resourceName": "newVMSRAbsolutePricing"},
                "basePlan": "plan/555001",
            }
        ],
    )
    status = api.run(VMSR, offer)
    assert status["jobResult"] == "succeeded", status


def test_the_seed_typo_new_simple_absolute_pricing_is_a_schema_error(api: Api) -> None:
    response = api.configure(originator_offer(offerPricingType="newSimpleAbsolutePricing"))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "badRequest"
    assert error["message"] == "Invalid configuration: schema validation failed"
    detail = error["details"][0]
    assert detail["code"] == "schemaValidationError"
    assert detail["target"] == "resources[0].offerPricingType"
    assert detail["resourceName"] == "privateOffer"


def test_partner_completion_sample(api: Api, partner_api: Api) -> None:
    created = api.create(originator_offer(state="live"))
    view = partner_api.offer(created["id"])
    completion = {
        "$schema": OFFER,
        "resourceName": "privateOffer",
        "id": created["id"],
        "name": "privateOffercustomer1705",
        "state": "live",
        "privateOfferType": "multipartyPromotionChannelPartner",
        "offerPricingType": "editExistingOfferPricingOnly",
        "variableStartDate": True,
        "end": "2030-12-31",
        "acceptBy": "2030-06-30",
        "preparedBy": "tester@microsoft.com",
        "originatorTermsAndConditionsDocs": view["originatorTermsAndConditionsDocs"],
        "termsAndConditionsDocs": [
            {
                "sasUrl": "https://partner.blob.core.windows.net/docs/partner.pdf",
                "fileName": "Test1.pdf",
                "customerFacingDocumentName": "Test1 T&C",
            }
        ],
        "notificationContacts": ["amy@contoso.com"],
        "beneficiaries": [{"id": BILLING_ACCOUNT, "description": "Top First Customer"}],
        "partners": [
            {"id": "12345678", "partnerName": "Market Place Test", "location": "United States"}
        ],
        "originatorPricing": [
            {
                "product": "product/34771906-9711-4196-9f60-4af380fd5042",
                "plan": "plan/123456",
                "discountType": "percentage",
                "discountPercentage": 5,
                "markupPercentage": 1.0,
            }
        ],
        "lastModified": view["lastModified"],
        "eTag": view["eTag"],
    }
    status = partner_api.run(completion)
    assert status["jobResult"] == "succeeded", status
    assert partner_api.offer(created["id"])["subState"] == "pendingAcceptance"


def test_missing_token_is_401_with_the_documented_body(emulator: EmbeddedEmulator) -> None:
    response = httpx.get(
        emulator.api_url + "/private-offer/query", params={"$version": "2023-07-15"}
    )
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "unauthorized" and error["details"] == [] and error["message"]
    bad = httpx.get(
        emulator.api_url + "/private-offer/query",
        params={"$version": "2023-07-15"},
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert bad.status_code == 401


def test_version_is_required_and_follows_the_ceiling_rule(api: Api) -> None:
    missing = api.http.get("/private-offer/query")
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "badRequest"
    created = api.create(customer_offer())
    guid = created["id"].split("/")[1]
    for requested, served in [
        ("2023-07-15", "2023-07-15"),
        ("2024-01-01", "2023-07-15"),
        ("2024-09-30", "2024-09-30"),
        ("2025-12-31", "2024-09-30"),
    ]:
        body = api.get(f"/private-offer/{guid}", requested).json()
        assert body["$schema"] == f"https://schema.mp.microsoft.com/schema/private-offer/{served}"
    too_old = api.get(f"/private-offer/{guid}", "2020-01-01")
    assert too_old.status_code == 400


def test_schema_errors_name_every_problem(api: Api) -> None:
    bad = customer_offer(state="live", surprise=1, end=None)
    bad["pricing"][0]["discountPercentage"] = 300
    response = api.configure(bad)
    assert response.status_code == 400
    targets = {d["target"] for d in response.json()["error"]["details"]}
    assert {
        "resources[0].surprise",
        "resources[0].end",
        "resources[0].pricing[0].discountPercentage",
    } <= targets


def test_envelope_is_checked(api: Api) -> None:
    response = api.http.post(
        "/configure",
        params={"$version": "2022-07-01"},
        json={"$schema": CONFIGURE, "resources": []},
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["target"] == "resources"


def test_unknown_offer_and_job_are_404(api: Api) -> None:
    missing = api.get("/private-offer/3fa85f64-5717-4562-b3fc-2c963f66afa6")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "notFound"
    job = api.get("/configure/3fa85f64-5717-4562-b3fc-2c963f66afa6/status", "2022-07-01")
    assert job.status_code == 404


def test_query_pages_with_next_link_in_a_stable_order(api: Api, emulator: EmbeddedEmulator) -> None:
    emulator.admin.seed([customer_offer(name=f"Offer {i:02d}") for i in range(7)])
    emulator.admin.settings(page_size=3)
    names: list[str] = []
    # $maxpagesize is not documented for this query: refused by default.
    assert api.get("/private-offer/query", **{"$maxpagesize": 3}).status_code == 400
    response = api.get("/private-offer/query")
    pages = 1
    while True:
        body = response.json()
        names += [o["name"] for o in body["privateOffers"]]
        link = body.get("@nextLink")
        if not link:
            break
        assert link.startswith(emulator.api_url) and "$version=2023-07-15" in link
        assert "continuationToken=" in link
        response = api.http.get(link)
        pages += 1
    assert pages == 3
    assert names == [f"Offer {i:02d}" for i in range(7)]


def test_catalogue_products_plans_and_price_templates(api: Api) -> None:
    products = api.get("/product", "2022-07-01").json()["value"]
    assert [p["id"] for p in products] == [ANALYTICS, DATA_PLATFORM, SECURE_VM]
    assert products[2]["type"] == "azureVirtualMachine"
    plans = api.get("/plan", "2022-07-01", product=DATA_PLATFORM).json()["value"]
    # "id":"plan/<productGuid>/<planGuid>", "identity":{"externalId"} (GET plan, documented)
    assert all(
        re.fullmatch(r"plan/7ba807c8-386a-4efe-80f1-b97bf8a554f8/[0-9a-f-]{36}", p["id"])
        for p in plans
    ), plans
    assert [p["identity"]["externalId"] for p in plans] == ["987654", "876543"]
    assert [p["alias"] for p in plans] == ["Flat rate", "Per user"]
    one = api.get("/plan", "2022-07-01", product=DATA_PLATFORM, externalId="876543").json()
    assert one["value"] == [plans[1]]
    by_durable_id = api.get(
        "/price-and-availability-private-offer-plan/7ba807c8-386a-4efe-80f1-b97bf8a554f8",
        plan=plans[0]["id"],
    ).json()
    assert by_durable_id["plan"] == plans[0]["id"]
    template = api.get(
        "/price-and-availability-private-offer-plan/7ba807c8-386a-4efe-80f1-b97bf8a554f8",
        plan="plan/987654",
    ).json()
    assert template["$schema"] == PRICE
    assert set(template["pricing"]["customMeters"]["meters"]) == {"meter1", "meter2"}
    vm = api.get(
        "/price-and-availability-private-offer-plan/0c1f6c2e-7d1a-4c5e-9a3b-2f4d5e6a7b8c",
        plan="555001",
    ).json()
    assert set(vm["softwareReservation"]["vmPrices"]) == {"36Core", "8Core"}
    unknown = api.get(
        "/price-and-availability-private-offer-plan/7ba807c8-386a-4efe-80f1-b97bf8a554f8",
        plan="plan/000000",
    )
    assert unknown.status_code == 404


def test_csp_offer_builder_is_valid(api: Api) -> None:
    assert api.create(csp_offer())["state"] == "draft"
