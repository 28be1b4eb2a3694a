"""Every business rule: a broken variant of an example file fails with the exact position,
field path and rule id; a boundary variant passes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from reconciler.errors import OfferFilesInvalid, Problem
from tests.offers.conftest import Loader, example

CUSTOMER = "customer-percentage.yaml"
ABSOLUTE = "customer-absolute.yaml"
RENEWAL = "customer-renewal.yaml"
CSP = "csp-promotion.yaml"
RESTRICTED = "csp-promotion-restricted.yaml"
ORIGINATOR = "originator-percentage.yaml"
ORIGINATOR_ABSOLUTE = "originator-absolute.yaml"
SAAS = "originator-saas-flat-rate.yaml"
PER_USER = "originator-saas-per-user.yaml"
VM = "originator-vm-reservation.yaml"
PARTNER = "partner/partner-completion.yaml"

CUSTOMER_PRICING = (
    "pricing:\n"
    "  - product: product/34771906-9711-4196-9f60-4af380fd5042\n"
    "    plan: plan/123456\n"
    "    discountType: percentage\n"
    "    discountPercentage: 10\n"
)
CUSTOMER_BENEFICIARY = (
    "  - id: 5a8c3e2f-2163-4eea-ae4e-d6e88627c26b:6ea018a9-da9d-4eae-8610-22b51ebe260b_2019-05-31\n"
    "    description: Woodgrove Bank\n"
)
ORIGINATOR_PARTNER = (
    '  - id: "12345678"\n    partnerName: Market Place Test\n    location: United States\n'
)
GUID = "9b2d6c1e-48b4-4f80-a6d3-{:012d}"
SHORT_PRICING = (
    "{recurrentPrice: {prices: [{billingTerm: {type: month, value: 1}, pricePerPaymentInUsd: 1}]}}"
)
VM_RESERVATION = (
    "      softwareReservation:\n"
    "        reservationDuration: {type: year, value: 1}\n"
    "        paymentSchedule: {type: year, value: 1}\n"
    "        vmPrices:\n"
    "          36Core:\n"
    "            quantity: 4\n"
    "            unitPricePerPaymentPeriodInUsd: 0.04\n"
    "          8Core:\n"
    "            quantity: 10\n"
    "            unitPricePerPaymentPeriodInUsd: 0.012\n"
)
OFFER_ID = "private-offer/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
RECIPIENTS = (
    "    beneficiaryRecipients:\n"
    "      - id: 9b2d6c1e-48b4-4f80-a6d3-66333cd9c609\n"
    "        recipientType: cspCustomer\n"
    "      - id: 2e7f9a3c-5d1b-4c8e-b0a4-7f6e5d4c3b2a\n"
    "        recipientType: cspCustomer\n"
)


def _entries(count: int) -> str:
    return "pricing:\n" + "".join(
        "  - product: product/34771906-9711-4196-9f60-4af380fd5042\n"
        f"    plan: plan/{100000 + i}\n"
        "    discountType: percentage\n"
        "    discountPercentage: 10\n"
        for i in range(count)
    )


def _contacts(count: int) -> str:
    return "notificationContacts:\n" + "".join(f"  - c{i}@contoso.com\n" for i in range(count))


def _recipients(count: int) -> str:
    return "    beneficiaryRecipients:\n" + "".join(
        f"      - id: {GUID.format(i)}\n        recipientType: cspCustomer\n" for i in range(count)
    )


def _csp_partners(count: int) -> str:
    return "beneficiaries:\n" + "".join(f"  - id: {GUID.format(i)}\n" for i in range(count))


@dataclass(frozen=True)
class Edit:
    file: str
    old: str
    new: str

    def apply(self) -> str:
        text = example(self.file)
        # A replacement that does not match would leave a valid file and a test that
        # cannot fail.
        assert self.old in text, f"{self.old!r} not in {self.file}"
        return text.replace(self.old, self.new, 1)


@dataclass(frozen=True)
class Broken:
    edit: Edit
    path: str
    rule: str
    at: str  # text on the line the problem must point at
    contains: str = ""
    after: str = ""  # when set, `at` is searched after the first line holding this


def _line_of(text: str, needle: str, after: str = "") -> int:
    start = _line_of(text, after) if after else 0
    for number, line in enumerate(text.splitlines(), start=1):
        if number > start and needle in line:
            return number
    raise AssertionError(f"{needle!r} not found")


BROKEN = {
    "start-missing": Broken(
        Edit(CUSTOMER, "start: 2027-01-01\n", ""), "start", "start-or-variable", "privateOfferType:"
    ),
    "start-with-variable": Broken(
        Edit(CUSTOMER, "variableStartDate: false", "variableStartDate: true"),
        "start",
        "start-or-variable",
        "start: 2027-01-01",
    ),
    "end-before-start": Broken(
        Edit(CSP, "end: 2027-12-31", "end: 2026-12-31"), "end", "date-order", "end: 2026-12-31"
    ),
    "accept-by-after-end": Broken(
        Edit(ABSOLUTE, "acceptBy: 2027-01-31", "acceptBy: 2027-07-31"),
        "acceptBy",
        "accept-by-before-end",
        "acceptBy: 2027-07-31",
    ),
    "start-not-first": Broken(
        Edit(CUSTOMER, "start: 2027-01-01", "start: 2027-01-02"),
        "start",
        "start-first-of-month",
        "start: 2027-01-02",
    ),
    "end-not-last": Broken(
        Edit(CUSTOMER, "end: 2027-12-31", "end: 2027-12-30"),
        "end",
        "end-last-of-month",
        "end: 2027-12-30",
    ),
    "accept-by-past": Broken(
        Edit(CUSTOMER, "acceptBy: 2027-06-30", "acceptBy: 2026-11-24"),
        "acceptBy",
        "accept-by-future",
        "acceptBy: 2026-11-24",
    ),
    "live-without-end": Broken(
        Edit(ABSOLUTE, "end: 2027-06-30\nacceptBy: 2027-01-31\n", ""),
        "end",
        "live-required",
        "privateOfferType:",
    ),
    "live-without-beneficiaries": Broken(
        Edit(CUSTOMER, "beneficiaries:\n" + CUSTOMER_BENEFICIARY, "beneficiaries: []\n"),
        "beneficiaries",
        "live-required",
        "beneficiaries: []",
    ),
    "live-without-pricing": Broken(
        Edit(CUSTOMER, CUSTOMER_PRICING, "pricing: []\n"),
        "pricing",
        "live-required",
        "pricing: []",
    ),
    "customer-live-without-accept-by": Broken(
        Edit(CUSTOMER, "acceptBy: 2027-06-30\n", ""),
        "acceptBy",
        "customer-accept-by",
        "privateOfferType:",
    ),
    "originator-live-without-partner": Broken(
        Edit(ORIGINATOR, "partners:\n" + ORIGINATOR_PARTNER, "partners: []\n"),
        "partners",
        "mpo-partner-required",
        "partners: []",
    ),
    "csp-accept-by": Broken(
        Edit(CSP, "end: 2027-12-31\n", "end: 2027-12-31\nacceptBy: 2026-12-31\n"),
        "acceptBy",
        "csp-forbidden-fields",
        "acceptBy:",
    ),
    "csp-terms-url": Broken(
        Edit(
            CSP,
            "end: 2027-12-31\n",
            "end: 2027-12-31\ntermsAndConditionsDocSasUrl: https://x/y.pdf\n",
        ),
        "termsAndConditionsDocSasUrl",
        "csp-forbidden-fields",
        "termsAndConditionsDocSasUrl:",
    ),
    "markup-in-customer-pricing": Broken(
        Edit(
            CUSTOMER,
            "discountPercentage: 10\n",
            "discountPercentage: 10\n    markupPercentage: 2\n",
        ),
        "pricing[0].markupPercentage",
        "markup-partner-only",
        "markupPercentage: 2",
    ),
    "markup-in-csp-pricing": Broken(
        Edit(CSP, "discountPercentage: 8\n", "discountPercentage: 8\n    markupPercentage: 2\n"),
        "pricing[1].markupPercentage",
        "markup-partner-only",
        "markupPercentage: 2",
    ),
    "eleven-pricing-entries": Broken(
        Edit(CUSTOMER, CUSTOMER_PRICING, _entries(11)), "pricing", "max-pricing-entries", "pricing:"
    ),
    "six-contacts": Broken(
        Edit(CUSTOMER, "notificationContacts:\n  - amy@contoso.com\n", _contacts(6)),
        "notificationContacts",
        "max-notification-contacts",
        "notificationContacts:",
    ),
    "two-channel-partners": Broken(
        Edit(ORIGINATOR, ORIGINATOR_PARTNER, ORIGINATOR_PARTNER * 2),
        "partners",
        "max-channel-partners",
        "partners:",
    ),
    "two-customers": Broken(
        Edit(CUSTOMER, CUSTOMER_BENEFICIARY, CUSTOMER_BENEFICIARY * 2),
        "beneficiaries",
        "max-customer-beneficiaries",
        "beneficiaries:",
    ),
    "twenty-six-recipients": Broken(
        Edit(RESTRICTED, RECIPIENTS, _recipients(26)),
        "beneficiaries[0].beneficiaryRecipients",
        "max-csp-recipients",
        "beneficiaryRecipients:",
    ),
    "151-csp-partners": Broken(
        Edit(
            CSP,
            "beneficiaries:\n  - id: 6f1c2b7e-0a32-4b44-b904-39dd964dd790\n",
            _csp_partners(151)[:-1] + "\n  - id: 6f1c2b7e-0a32-4b44-b904-39dd964dd790\n",
        ),
        "beneficiaries",
        "max-csp-partners",
        "beneficiaries:",
    ),
    "name-too-long": Broken(
        Edit(CUSTOMER, "name: Woodgrove Bank Analytics discount 2027", "name: " + "n" * 129),
        "name",
        "name-length",
        "name: nnn",
    ),
    "name-forbidden-character": Broken(
        Edit(CUSTOMER, "name: Woodgrove Bank", "name: Woodgrove <Bank>"),
        "name",
        "name-characters",
        "name: Woodgrove",
    ),
    "name-non-ascii": Broken(
        Edit(CSP, "name: Contoso Analytics", "name: Contoso Analytícs"),
        "name",
        "name-characters",
        "name: Contoso",
    ),
    "partner-name-bad-last-character": Broken(
        Edit(PARTNER, "via Market Place Test\n", "via Market Place Test!\n"),
        "name",
        "name-characters",
        "name: Adventure",
    ),
    "notes-too-long": Broken(
        Edit(ORIGINATOR, "notes: Partner-led deal, Q1 2027", "notes: " + "x" * 61),
        "notes",
        "notes-length",
        "notes: xxx",
    ),
    "discount-zero": Broken(
        Edit(CUSTOMER, "discountPercentage: 10", "discountPercentage: 0"),
        "pricing[0].discountPercentage",
        "discount-range",
        "discountPercentage: 0",
    ),
    "discount-over-100": Broken(
        Edit(CSP, "discountPercentage: 8", "discountPercentage: 100.5"),
        "pricing[1].discountPercentage",
        "discount-range",
        "discountPercentage: 100.5",
    ),
    "markup-zero": Broken(
        Edit(PARTNER, "markupPercentage: 3", "markupPercentage: 0"),
        "originatorPricing[0].markupPercentage",
        "markup-range",
        "markupPercentage: 0",
    ),
    "markup-over-100": Broken(
        Edit(PARTNER, "markupPercentage: 2.5", "markupPercentage: 101"),
        "originatorPricing[1].markupPercentage",
        "markup-range",
        "markupPercentage: 101",
    ),
    "resource-name-too-long": Broken(
        Edit(CUSTOMER, "state: live\n", "state: live\nresourceName: " + "r" * 51 + "\n"),
        "resourceName",
        "resource-name-length",
        "resourceName:",
    ),
    "offer-id": Broken(
        Edit(CUSTOMER, "state: live\n", "state: live\nid: private-offer/1234\n"),
        "id",
        "id-format",
        "id: private-offer/1234",
    ),
    "product-id": Broken(
        Edit(CUSTOMER, "product: product/34771906", "product: prod/34771906"),
        "pricing[0].product",
        "id-format",
        "product: prod/",
    ),
    "plan-id": Broken(
        Edit(CUSTOMER, "plan: plan/123456", "plan: plans/123456"),
        "pricing[0].plan",
        "id-format",
        "plan: plans/123456",
    ),
    "csp-tenant-id": Broken(
        Edit(CSP, "id: 3d9e4a51-8c7f-4e2b-9a06-1b5c7d2e8f40", "id: northwind"),
        "beneficiaries[1].id",
        "id-format",
        "id: northwind",
    ),
    "csp-customer-tenant-id": Broken(
        Edit(RESTRICTED, "id: 2e7f9a3c-5d1b-4c8e-b0a4-7f6e5d4c3b2a", "id: 2e7f9a3c"),
        "beneficiaries[0].beneficiaryRecipients[1].id",
        "id-format",
        "id: 2e7f9a3c",
    ),
    "billing-account-id": Broken(
        Edit(CUSTOMER, "22b51ebe260b_2019-05-31", "22b51ebe260b"),
        "beneficiaries[0].id",
        "id-format",
        "id: 5a8c3e2f",
    ),
    "edit-existing-with-base-plan": Broken(
        Edit(CUSTOMER, "plan: plan/123456", "basePlan: plan/123456"),
        "pricing[0].basePlan",
        "pricing-type-edit-existing",
        "basePlan:",
    ),
    "edit-existing-absolute-without-plan": Broken(
        Edit(ABSOLUTE, "    plan: plan/987654\n", ""),
        "pricing[0].plan",
        "pricing-type-edit-existing",
        "  - product:",
    ),
    "saas-without-new-plan-details": Broken(
        Edit(
            SAAS,
            "    newPlanDetails:\n      name: Fourth Coffee Flat Rate\n"
            "      description: Flat rate with 10,000 meter1 units a month and unlimited meter2\n",
            "",
        ),
        "pricing[0].newPlanDetails",
        "pricing-type-new-plans",
        "  - product:",
    ),
    "saas-with-plan": Broken(
        Edit(SAAS, "basePlan: plan/987654", "plan: plan/987654"),
        "pricing[0].plan",
        "pricing-type-new-plans",
        "    plan: plan/987654",
    ),
    "vm-with-new-plan-details": Broken(
        Edit(
            VM,
            "    basePlan: plan/555001\n",
            "    basePlan: plan/555001\n    newPlanDetails: {name: a, description: b}\n",
        ),
        "pricing[0].newPlanDetails",
        "pricing-type-vm-reservations",
        "newPlanDetails:",
    ),
    "vm-with-percentage": Broken(
        Edit(VM, "discountType: absolute", "discountType: percentage\n    discountPercentage: 5"),
        "pricing[0].discountType",
        "pricing-type-vm-reservations",
        "discountType: percentage",
    ),
    "vm-without-software-reservation": Broken(
        Edit(VM, VM_RESERVATION, "      pricing: " + SHORT_PRICING + "\n"),
        "pricing[0].priceDetails.softwareReservation",
        "pricing-type-vm-reservations",
        "priceDetails:",
    ),
    "percentage-without-discount": Broken(
        Edit(CUSTOMER, "    discountPercentage: 10\n", ""),
        "pricing[0].discountPercentage",
        "discount-type-fields",
        "  - product:",
    ),
    "absolute-with-discount": Broken(
        Edit(
            ABSOLUTE,
            "discountType: absolute\n",
            "discountType: absolute\n    discountPercentage: 3\n",
        ),
        "pricing[0].discountPercentage",
        "discount-type-fields",
        "discountPercentage: 3",
    ),
    "absolute-without-price-details": Broken(
        Edit(
            ORIGINATOR,
            "discountType: percentage\n    discountPercentage: 5",
            "discountType: absolute",
        ),
        "pricing[0].priceDetails",
        "discount-type-fields",
        "  - product:",
    ),
    "per-user-without-limits": Broken(
        Edit(PER_USER, "          userLimits:\n            min: 20\n            max: 100\n", ""),
        "pricing[0].priceDetails.pricing.recurrentPrice.userLimits",
        "price-details-shape",
        "recurrentPrice:",
    ),
    "user-limits-inverted": Broken(
        Edit(PER_USER, "min: 20", "min: 200"),
        "pricing[0].priceDetails.pricing.recurrentPrice.userLimits.min",
        "price-details-shape",
        "min: 200",
    ),
    "flat-rate-with-limits": Broken(
        Edit(
            ABSOLUTE,
            "recurrentPriceMode: flatRate\n",
            "recurrentPriceMode: flatRate\n          userLimits: {min: 1, max: 2}\n",
        ),
        "pricing[0].priceDetails.pricing.recurrentPrice.userLimits",
        "price-details-shape",
        "userLimits:",
    ),
    "meter-price-and-quantities": Broken(
        Edit(
            ORIGINATOR_ABSOLUTE,
            "pricePerPaymentInUsd: 0.8\n",
            "pricePerPaymentInUsd: 0.8\n              includedQuantities: []\n",
        ),
        "pricing[0].priceDetails.pricing.customMeters.meters.meter1",
        "price-details-shape",
        "meter1:",
    ),
    "included-quantity-without-amount": Broken(
        Edit(
            SAAS,
            "                  quantity: 10000\n                  isInfinite: false\n",
            "                  isInfinite: false\n",
        ),
        "pricing[0].priceDetails.pricing.customMeters.meters.meter1.includedQuantities[0]",
        "price-details-shape",
        "- billingTerm: {type: month, value: 1}",
        after="meter1:",
    ),
    "csp-absolute": Broken(
        Edit(
            CSP,
            "discountType: percentage\n    discountPercentage: 5",
            "discountType: absolute\n    priceDetails: {pricing: " + SHORT_PRICING + "}",
        ),
        "pricing[0].discountType",
        "csp-percentage-only",
        "discountType: absolute",
    ),
    "prepared-by-email": Broken(
        Edit(CUSTOMER, "preparedBy: amy@contoso.com", "preparedBy: amy at contoso"),
        "preparedBy",
        "email-format",
        "preparedBy:",
    ),
    "contact-email": Broken(
        Edit(CSP, "  - partner-sales@contoso.com", "  - partner-sales"),
        "notificationContacts[1]",
        "email-format",
        "  - partner-sales",
    ),
    "partner-without-prepared-by": Broken(
        Edit(PARTNER, "preparedBy: sales@marketplacetest.example.com\n", ""),
        "preparedBy",
        "partner-prepared-by",
        "privateOfferType:",
    ),
    "partner-without-markup": Broken(
        Edit(PARTNER, "    markupPercentage: 3\n", ""),
        "originatorPricing[0].markupPercentage",
        "partner-markup-required",
        "  - product:",
    ),
    "partner-deletes": Broken(
        Edit(PARTNER, "state: live", "state: deleted"), "state", "partner-state", "state: deleted"
    ),
    "partner-sets-accept-by": Broken(
        Edit(PARTNER, "state: live\n", "state: live\nacceptBy: 2027-03-31\n"),
        "acceptBy",
        "originator-owned",
        "acceptBy:",
    ),
    "partner-echoes-originator-terms": Broken(
        Edit(
            PARTNER,
            "termsAndConditionsDocs:",
            "originatorTermsAndConditionsDocs: []\ntermsAndConditionsDocs:",
        ),
        "originatorTermsAndConditionsDocs",
        "originator-owned",
        "originatorTermsAndConditionsDocs:",
    ),
    "partner-sets-discount": Broken(
        Edit(PARTNER, "markupPercentage: 3\n", "markupPercentage: 3\n    discountPercentage: 5\n"),
        "originatorPricing[0].discountPercentage",
        "originator-owned",
        "discountPercentage: 5",
    ),
    "etag": Broken(
        Edit(
            CUSTOMER,
            "state: live\n",
            "state: live\neTag: '\"7f020249-0000-0800-0000-63c9b4ca0000\"'\n",
        ),
        "eTag",
        "read-only-field",
        "eTag:",
        "read-only, set by the API; remove it",
    ),
    "product-name": Broken(
        Edit(
            CUSTOMER,
            "    plan: plan/123456\n",
            "    plan: plan/123456\n    productName: Contoso Analytics\n",
        ),
        "pricing[0].productName",
        "read-only-field",
        "productName:",
    ),
    "sub-state": Broken(
        Edit(ORIGINATOR, "state: live\n", "state: live\nsubState: pendingAcceptance\n"),
        "subState",
        "read-only-field",
        "subState:",
    ),
    "unknown-key": Broken(
        Edit(CUSTOMER, "discountPercentage: 10", "discountPercentag: 10"),
        "pricing[0].discountPercentag",
        "unknown-field",
        "discountPercentag: 10",
        "did you mean 'discountPercentage'?",
    ),
    "unknown-top-level-key": Broken(
        Edit(CUSTOMER, "notificationContacts:", "notificationContact:"),
        "notificationContact",
        "unknown-field",
        "notificationContact:",
        "did you mean 'notificationContacts'?",
    ),
    "miscased-kind": Broken(
        Edit(CUSTOMER, "customerPromotion", "CustomerPromotion"),
        "privateOfferType",
        "private-offer-type",
        "privateOfferType:",
        "write 'customerPromotion'",
    ),
    "unknown-kind": Broken(
        Edit(CUSTOMER, "customerPromotion", "customerPromo"),
        "privateOfferType",
        "private-offer-type",
        "privateOfferType:",
        "did you mean 'customerPromotion'?",
    ),
    "schema-url": Broken(
        Edit(CUSTOMER, "state: live\n", "state: live\n$schema: https://example.com/schema.json\n"),
        "$schema",
        "schema-url",
        "$schema:",
    ),
    "duplicate-pricing-entry": Broken(
        Edit(CUSTOMER, CUSTOMER_PRICING, CUSTOMER_PRICING + CUSTOMER_PRICING[len("pricing:\n") :]),
        "pricing[1].product",
        "duplicate-pricing-entry",
        "  - product:",
        after="discountPercentage: 10",
    ),
    # the live form plan/<productGuid>/<planId> names the same plan as plan/<planId>
    "duplicate-pricing-entry-long-plan-id": Broken(
        Edit(
            CUSTOMER,
            CUSTOMER_PRICING,
            CUSTOMER_PRICING
            + CUSTOMER_PRICING[len("pricing:\n") :].replace(
                "plan/123456", "plan/34771906-9711-4196-9f60-4af380fd5042/123456"
            ),
        ),
        "pricing[1].product",
        "duplicate-pricing-entry",
        "  - product:",
        after="discountPercentage: 10",
    ),
    "duplicate-csp-partner": Broken(
        Edit(
            CSP,
            "id: 3d9e4a51-8c7f-4e2b-9a06-1b5c7d2e8f40",
            "id: 6F1C2B7E-0A32-4B44-B904-39DD964DD790",
        ),
        "beneficiaries[1].id",
        "duplicate-beneficiary",
        "id: 6F1C2B7E",
    ),
    "partner-entry-plan-and-base-plan": Broken(
        Edit(
            PARTNER, "    plan: plan/123456\n", "    plan: plan/123456\n    basePlan: plan/123456\n"
        ),
        "originatorPricing[0].basePlan",
        "pricing-entry-plan",
        "basePlan:",
    ),
    "six-terms-docs": Broken(
        Edit(
            ORIGINATOR,
            "termsAndConditionsDocs:\n",
            "termsAndConditionsDocs:\n"
            + "  - {sasUrl: 'https://a/b.pdf', fileName: b.pdf, customerFacingDocumentName: B}\n"
            * 5,
        ),
        "termsAndConditionsDocs",
        "max-terms-docs",
        "termsAndConditionsDocs:",
    ),
    "terms-url-http": Broken(
        Edit(
            CUSTOMER,
            "termsAndConditionsDocSasUrl: https://",
            "termsAndConditionsDocSasUrl: http://",
        ),
        "termsAndConditionsDocSasUrl",
        "url-format",
        "termsAndConditionsDocSasUrl:",
    ),
    "number-as-text": Broken(
        Edit(CUSTOMER, "discountPercentage: 10", "discountPercentage: '10'"),
        "pricing[0].discountPercentage",
        "schema",
        "discountPercentage: '10'",
        "must be a number",
    ),
    "bad-enum": Broken(
        Edit(CUSTOMER, "state: live", "state: published"),
        "state",
        "schema",
        "state: published",
    ),
    "datetime-instead-of-date": Broken(
        Edit(CUSTOMER, "end: 2027-12-31", "end: 2027-12-31 10:00:00"),
        "end",
        "schema",
        "end: 2027-12-31",
        "without a time",
    ),
    "missing-name": Broken(
        Edit(CUSTOMER, "name: Woodgrove Bank Analytics discount 2027\n", ""),
        "name",
        "required",
        "privateOfferType:",
    ),
    "bad-recipient-type": Broken(
        Edit(RESTRICTED, "recipientType: cspCustomer", "recipientType: billingGroup"),
        "beneficiaries[0].beneficiaryRecipients[0].recipientType",
        "schema",
        "recipientType: billingGroup",
        "must be one of 'cspCustomer'",
    ),
    "bad-controls": Broken(
        Edit(ABSOLUTE, "  protect: true", "  protekt: true"),
        "reconciler.protekt",
        "unknown-field",
        "protekt:",
        "did you mean 'protect'?",
    ),
}


def _problems(load: Loader, text: str, **kwargs: object) -> list[Problem]:
    with pytest.raises(OfferFilesInvalid) as caught:
        load(text, "offers/broken.yaml", **kwargs)
    return caught.value.problems


@pytest.mark.parametrize("case", BROKEN.values(), ids=BROKEN.keys())
def test_broken_variant_is_reported_at_its_line(load: Loader, case: Broken) -> None:
    text = case.edit.apply()
    problems = _problems(load, text)
    matching = [p for p in problems if p.rule == case.rule and p.path == case.path]
    assert matching, "\n".join(f"{p} [{p.rule}]" for p in problems)
    problem = matching[0]
    assert problem.severity == "error"
    assert problem.file == "offers/broken.yaml"
    assert problem.line == _line_of(text, case.at, case.after)
    assert str(problem).startswith(
        f"offers/broken.yaml:{problem.line}:{problem.col}: {case.path}: "
    )
    assert case.contains in problem.message


PASSING = {
    "offer-level-percentage-without-plan": Edit(RENEWAL, "", ""),
    "discount-lowest": Edit(CUSTOMER, "discountPercentage: 10", "discountPercentage: 0.01"),
    "discount-highest": Edit(CUSTOMER, "discountPercentage: 10", "discountPercentage: 100"),
    "markup-highest": Edit(PARTNER, "markupPercentage: 3", "markupPercentage: 100"),
    "markup-small": Edit(PARTNER, "markupPercentage: 3", "markupPercentage: 0.001"),
    "name-128": Edit(
        CUSTOMER, "name: Woodgrove Bank Analytics discount 2027", "name: " + "n" * 128
    ),
    "five-contacts": Edit(CUSTOMER, "notificationContacts:\n  - amy@contoso.com\n", _contacts(5)),
    "ten-pricing-entries": Edit(CUSTOMER, CUSTOMER_PRICING, _entries(10)),
    "twenty-five-recipients": Edit(RESTRICTED, RECIPIENTS, _recipients(25)),
    "notes-60": Edit(ORIGINATOR, "notes: Partner-led deal, Q1 2027", "notes: " + "x" * 60),
    "resource-name-50": Edit(
        CUSTOMER, "state: live\n", "state: live\nresourceName: " + "r" * 50 + "\n"
    ),
    "accept-by-equals-end": Edit(ABSOLUTE, "acceptBy: 2027-01-31", "acceptBy: 2027-06-30"),
    "accept-by-today": Edit(CUSTOMER, "acceptBy: 2027-06-30", "acceptBy: 2026-11-25"),
    "variable-start-without-start": Edit(ABSOLUTE, "", ""),
    "pinned-id": Edit(
        CUSTOMER,
        "state: live\n",
        "state: live\nid: private-offer/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e\n",
    ),
    "schema-url": Edit(
        CUSTOMER,
        "state: live\n",
        "state: live\n$schema: https://schema.mp.microsoft.com/schema/private-offer/2024-09-30\n",
    ),
    "schema-url-sub-schema": Edit(
        ORIGINATOR,
        "state: live\n",
        "state: live\n$schema: https://product-ingestion.azureedge.net/schema/private-offer-mpo-originator/2023-07-15\n",
    ),
    "draft-needs-no-live-fields": Edit(
        CUSTOMER,
        "state: live",
        "state: draft",
    ),
    "quoted-dates": Edit(CUSTOMER, "start: 2027-01-01", "start: '2027-01-01'"),
    # the capital-P spelling of the docs' samples and of a documented GET response
    "documented-partner-spelling": Edit(
        PARTNER, "multipartyPromotionChannelPartner", "multiPartyPromotionChannelPartner"
    ),
    "upgraded-from": Edit(
        CUSTOMER,
        "state: live\n",
        "state: live\nupgradedFrom: {id: " + OFFER_ID + ", name: Old}\n",
    ),
    "partner-name-allowed-characters": Edit(
        PARTNER, "via Market Place Test\n", "via Market Place Test (Q1)\n"
    ),
    "csp-150-partners": Edit(
        CSP,
        "beneficiaries:\n  - id: 6f1c2b7e-0a32-4b44-b904-39dd964dd790\n",
        _csp_partners(148)[:-1] + "\n  - id: 6f1c2b7e-0a32-4b44-b904-39dd964dd790\n",
    ),
}


@pytest.mark.parametrize("edit", PASSING.values(), ids=PASSING.keys())
def test_boundary_variant_is_valid(load: Loader, edit: Edit) -> None:
    text = edit.apply()
    offer_file = load(text)
    assert offer_file.name


def test_draft_customer_may_omit_live_fields(load: Loader) -> None:
    text = Edit(CUSTOMER, "state: live", "state: draft").apply()
    for removed in (CUSTOMER_PRICING, "acceptBy: 2027-06-30\n", "end: 2027-12-31\n"):
        text = text.replace(removed, "")
    assert load(text).state == "draft"


def test_ui_only_rules_are_warnings_when_not_strict(load: Loader) -> None:
    text = Edit(CUSTOMER, "start: 2027-01-01", "start: 2027-01-02").apply()
    text = text.replace("end: 2027-12-31", "end: 2027-12-30")
    warnings: list[Problem] = []
    offer_file = load(text, strict=False, warnings=warnings)
    assert offer_file.offer.start is not None
    assert [(w.rule, w.severity, w.line) for w in warnings] == [
        ("start-first-of-month", "warning", _line_of(text, "start: 2027-01-02")),
        ("end-last-of-month", "warning", _line_of(text, "end: 2027-12-30")),
    ]


def test_accept_by_in_the_past_depends_on_today(load: Loader) -> None:
    import datetime as dt

    text = example(CUSTOMER)
    assert load(text, today=dt.date(2027, 6, 30)).name
    problems = _problems(load, text, today=dt.date(2027, 7, 1))
    assert [p.rule for p in problems] == ["accept-by-future"]


def test_every_problem_of_a_file_is_reported(load: Loader) -> None:
    text = example(CUSTOMER).replace("discountPercentage: 10", "discountPercentage: 0")
    text = text.replace("preparedBy: amy@contoso.com", "preparedBy: nobody")
    text = text.replace("end: 2027-12-31", "end: 2027-12-30")
    rules = sorted(p.rule or "" for p in _problems(load, text))
    assert rules == ["discount-range", "email-format", "end-last-of-month"]
