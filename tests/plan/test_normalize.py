"""Essences and diffs: what counts as "the same offer", and how differences read."""

from __future__ import annotations

from reconciler.plan.fielddiff import diff, is_ignored
from reconciler.plan.normalize import essence

P = "product/34771906-9711-4196-9f60-4af380fd5042"


def _live() -> dict:
    return {
        "$schema": "https://schema.mp.microsoft.com/schema/private-offer/2024-09-30",
        "id": "private-offer/1",
        "eTag": '"e1"',
        "lastModified": "2026-01-01",
        "subState": "pendingAcceptance",
        "acceptanceLinks": [{"beneficiaryId": "b", "link": "https://x"}],
        "name": "A",
        "state": "live",
        "privateOfferType": "customerPromotion",
        "offerPricingType": "editExistingOfferPricingOnly",
        "variableStartDate": False,
        "customerContractRenewal": False,
        "start": "2027-01-01T00:00:00Z",
        "end": "2027-06-30",
        "notificationContacts": ["b@contoso.com", "a@contoso.com"],
        "pricing": [
            {
                "product": P,
                "plan": f"plan/{P.split('/')[1]}/234567",
                "productName": "X",
                "discountType": "Percentage",
                "discountPercentage": 7.0,
            },
            {
                "product": P,
                "plan": "plan/123456",
                "discountType": "absolute",
                "priceDetails": "price-and-availability-private-offer-plan/x/9",
            },
        ],
    }


PRICE = {
    "$schema": "https://schema.mp.microsoft.com/schema/price-and-availability-private-offer-plan/2023-07-15",
    "id": "price-and-availability-private-offer-plan/x/9",
    "product": P,
    "plan": "plan/123456",
    "offerPricingType": "editExistingOfferPricingOnly",
    "pricing": {
        "recurrentPrice": {
            "recurrentPriceMode": "flatRate",
            "priceInputOption": "usd",
            "prices": [
                {
                    "billingTerm": {"type": "month", "value": 1},
                    "paymentOption": {"type": "month", "value": 1},
                    "pricePerPaymentInUsd": 10.0,
                }
            ],
        }
    },
}


def _desired() -> dict:
    # The file's view: defaults omitted, lists in another order, ints for floats, inline price.
    return {
        "name": "A",
        "state": "live",
        "privateOfferType": "customerPromotion",
        "start": "2027-01-01",
        "end": "2027-06-30",
        "notificationContacts": ["a@contoso.com", "b@contoso.com"],
        "pricing": [
            {
                "product": P,
                "plan": "plan/123456",
                "discountType": "absolute",
                "priceDetails": {
                    "pricing": {
                        "recurrentPrice": {
                            "recurrentPriceMode": "flatRate",
                            "priceInputOption": "usd",
                            "prices": [
                                {
                                    "billingTerm": {"type": "month", "value": 1},
                                    "paymentOption": {"type": "month", "value": 1},
                                    "pricePerPaymentInUsd": 10,
                                }
                            ],
                        }
                    }
                },
            },
            {
                "product": P,
                "plan": "plan/234567",
                "discountType": "percentage",
                "discountPercentage": 7,
            },
        ],
    }


def test_equivalent_bodies_have_equal_essences() -> None:
    live = essence(_live(), prices={PRICE["id"]: PRICE})
    assert diff(live, essence(_desired())) == []


def test_changed_field_has_a_keyed_readable_path() -> None:
    desired = _desired()
    desired["pricing"][1]["discountPercentage"] = 9
    changes = diff(essence(_live(), prices={PRICE["id"]: PRICE}), essence(desired))
    assert [(c.path, c.op, c.old, c.new) for c in changes] == [
        (f"pricing[{P}/plan/234567].discountPercentage", "change", 7, 9)
    ]


def test_nested_price_change_is_reported_at_the_leaf() -> None:
    desired = _desired()
    desired["pricing"][0]["priceDetails"]["pricing"]["recurrentPrice"]["prices"][0][
        "pricePerPaymentInUsd"
    ] = 12
    changes = diff(essence(_live(), prices={PRICE["id"]: PRICE}), essence(desired))
    assert len(changes) == 1
    assert changes[0].path.endswith("recurrentPrice.prices[1month/1month].pricePerPaymentInUsd")
    assert (changes[0].old, changes[0].new) == (10, 12)


def test_contacts_compare_as_a_set() -> None:
    desired = _desired()
    desired["notificationContacts"] = ["a@contoso.com", "c@contoso.com"]
    changes = diff(essence(_live(), prices={PRICE["id"]: PRICE}), essence(desired))
    assert {(c.path, c.op) for c in changes} == {
        ("notificationContacts[b@contoso.com]", "remove"),
        ("notificationContacts[c@contoso.com]", "add"),
    }


def test_ignore_rules_are_globs_on_readable_paths() -> None:
    assert is_ignored("notificationContacts[a@x.com]", ["notificationContacts"])
    assert is_ignored(f"pricing[{P}/plan/1].discountPercentage", ["pricing[*].discountPercentage"])
    assert not is_ignored(f"pricing[{P}/plan/1].discountType", ["pricing[*].discountPercentage"])
    assert not is_ignored("notes", ["notificationContacts"])
    desired = _desired()
    desired["notificationContacts"] = ["z@contoso.com"]
    desired["pricing"][1]["discountPercentage"] = 1
    changes = diff(
        essence(_live(), prices={PRICE["id"]: PRICE}),
        essence(desired),
        ["notificationContacts", "pricing[*].discountPercentage"],
    )
    assert changes == []


def test_read_only_fields_never_differ() -> None:
    live = _live()
    live["eTag"] = '"other"'
    live["validations"] = [{"code": "x"}]
    live["subState"] = "accepted"
    assert diff(essence(live, prices={PRICE["id"]: PRICE}), essence(_desired())) == []
