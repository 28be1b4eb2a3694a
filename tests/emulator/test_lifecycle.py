"""Every lifecycle and business rule, accepted on one side and refused on the other."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.emulator import EmbeddedEmulator, EmulatorConfig
from tests.emulator.conftest import (
    ANALYTICS,
    CSP_TENANT,
    OFFER,
    PRICE,
    SECURE_VM,
    Api,
    csp_offer,
    customer_offer,
    originator_offer,
)


def failed(status: dict[str, Any], code: str) -> dict[str, Any]:
    assert status["jobResult"] == "failed", status
    error: dict[str, Any] = status["errors"][0]
    assert error["code"] == code, status
    return error


def minimal(offer: dict[str, Any], state: str) -> dict[str, Any]:
    return {
        "$schema": OFFER,
        "id": offer["id"],
        "name": offer["name"],
        "privateOfferType": offer["privateOfferType"],
        "state": state,
    }


def test_create_as_draft_or_live_but_not_withdrawn(api: Api) -> None:
    assert api.create(customer_offer())["state"] == "draft"
    assert api.create(customer_offer(state="live"))["subState"] == "pendingAcceptance"
    # a withdraw or delete names an existing offer: without an id it is a schema error
    response = api.configure(customer_offer(state="withdrawn"))
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["target"] == "resources[0].id"


def test_drafts_are_editable_and_every_write_gets_a_new_etag(api: Api) -> None:
    offer = api.create(customer_offer())
    status = api.update(offer, name="Renamed")
    assert status["jobResult"] == "succeeded", status
    after = api.offer(offer["id"])
    assert after["name"] == "Renamed"
    assert after["eTag"] != offer["eTag"]


def test_update_replaces_user_settable_fields(api: Api) -> None:
    offer = api.create(customer_offer())
    assert "notificationContacts" in offer
    body = {k: v for k, v in offer.items() if k != "notificationContacts"}
    assert api.update(body)["jobResult"] == "succeeded"
    assert "notificationContacts" not in api.offer(offer["id"])


def test_live_offers_are_locked_but_an_identical_resubmit_is_accepted(api: Api) -> None:
    offer = api.create(customer_offer(state="live"))
    assert api.update(offer)["jobResult"] == "succeeded"
    error = failed(api.update(offer, name="Changed"), "invalidState")
    assert "withdraw" in error["message"]
    assert error["resourceId"] == offer["id"]
    failed(api.update(offer, state="draft"), "invalidState")


def test_withdraw_live_but_not_draft(api: Api) -> None:
    live = api.create(customer_offer(state="live"))
    assert api.run(minimal(live, "withdrawn"))["jobResult"] == "succeeded"
    # "a withdrawn offer goes back to Draft" (digest §4.5)
    assert api.offer(live["id"])["state"] == "draft"
    draft = api.create(customer_offer())
    failed(api.run(minimal(draft, "withdrawn")), "invalidState")


@pytest.mark.parametrize(
    ("setting", "kind", "expected"),
    [
        ("draft", "customer", "draft"),
        ("withdrawn", "customer", "withdrawn"),
        ("draft", "csp", "withdrawn"),
    ],
)
def test_withdrawn_state_setting(setting: str, kind: str, expected: str) -> None:
    with EmbeddedEmulator(EmulatorConfig(withdrawn_state=setting)) as emulator:  # type: ignore[arg-type]
        api = Api(emulator)
        body = customer_offer(state="live") if kind == "customer" else csp_offer(state="live")
        live = api.create(body)
        assert api.run(minimal(live, "withdrawn"))["jobResult"] == "succeeded"
        assert api.offer(live["id"])["state"] == expected
        # re-sending the withdraw is accepted (a lost answer, a re-run)
        assert api.run(minimal(live, "withdrawn"))["jobResult"] == "succeeded"
        api.close()


def test_withdrawn_offers_are_editable_again(api: Api) -> None:
    live = api.create(customer_offer(state="live"))
    api.run(minimal(live, "withdrawn"))
    withdrawn = api.offer(live["id"])
    assert api.update(withdrawn, name="Second try", state="draft")["jobResult"] == "succeeded"
    assert api.offer(live["id"])["state"] == "draft"
    again = api.offer(live["id"])
    assert api.update(again, state="live")["jobResult"] == "succeeded"
    assert api.offer(live["id"])["state"] == "live"


def test_accepted_offers_are_immutable_and_cannot_be_withdrawn(
    api: Api, emulator: EmbeddedEmulator
) -> None:
    offer = api.create(customer_offer(state="live"))
    emulator.admin.accept(offer["id"])
    accepted = api.offer(offer["id"])
    assert accepted["subState"] == "accepted"
    failed(api.update(accepted, name="Changed"), "invalidState")
    failed(api.run(minimal(accepted, "withdrawn")), "invalidState")


def test_accepting_a_draft_is_refused(api: Api, emulator: EmbeddedEmulator) -> None:
    from reconciler.errors import EmulatorError

    offer = api.create(customer_offer())
    with pytest.raises(EmulatorError, match="live"):
        emulator.admin.accept(offer["id"])


def test_csp_offers_cannot_be_edited_once_live(api: Api) -> None:
    draft = api.create(csp_offer())
    assert api.update(draft, name="privateOffercsp2")["jobResult"] == "succeeded"
    live = api.create(csp_offer(state="live"))
    error = failed(api.update(live, end="2030-03-31"), "invalidState")
    assert "CSP" in error["message"]


def test_csp_withdraw_only_while_not_transacted(api: Api, emulator: EmbeddedEmulator) -> None:
    free = api.create(csp_offer(state="live"))
    assert api.run(minimal(free, "withdrawn"))["jobResult"] == "succeeded"
    withdrawn = api.offer(free["id"])
    failed(api.update(withdrawn, state="draft"), "invalidState")  # never editable again
    sold = api.create(csp_offer(state="live"))
    emulator.admin.accept(sold["id"])
    failed(api.run(minimal(sold, "withdrawn")), "invalidState")


def test_delete_drafts_only(api: Api) -> None:
    draft = api.create(customer_offer())
    assert api.run(minimal(draft, "deleted"))["jobResult"] == "succeeded"
    listed = api.get("/private-offer/query").json()["privateOffers"]
    assert draft["id"] not in [o["id"] for o in listed]
    assert api.offer(draft["id"])["state"] == "deleted"
    failed(api.update(draft), "invalidState")
    live = api.create(customer_offer(state="live"))
    failed(api.run(minimal(live, "deleted")), "invalidState")


def test_withdrawn_csp_offer_cannot_be_deleted_unless_set() -> None:
    for setting, expected in (("refused", "failed"), ("allowed", "succeeded")):
        config = EmulatorConfig(csp_withdrawn_delete=setting)  # type: ignore[arg-type]
        with EmbeddedEmulator(config) as emulator:
            api = Api(emulator)
            live = api.create(csp_offer(state="live"))
            api.run(minimal(live, "withdrawn"))
            status = api.run(minimal(live, "deleted"))
            assert status["jobResult"] == expected
            state = api.offer(live["id"])["state"]
            assert state == ("withdrawn" if expected == "failed" else "deleted")
            api.close()


def test_an_offer_past_accept_by_reads_back_expired_unless_set() -> None:
    for setting, expected in (("expired", "expired"), ("pendingAcceptance", "pendingAcceptance")):
        config = EmulatorConfig(expired_sub_state=setting)  # type: ignore[arg-type]
        with EmbeddedEmulator(config) as emulator:
            api = Api(emulator)
            live = api.create(customer_offer(state="live"))  # acceptBy 2030-06-30
            assert api.offer(live["id"])["subState"] == "pendingAcceptance"
            emulator.config.today = "2030-07-01"
            assert api.offer(live["id"])["subState"] == expected
            assert api.run(minimal(live, "withdrawn"))["jobResult"] == "succeeded"
            api.close()


def test_delete_job_has_no_resource_uri(api: Api) -> None:
    draft = api.create(customer_offer())
    status = api.run(minimal(draft, "deleted"))
    assert status["jobResult"] == "succeeded" and "resourceUri" not in status


def test_deleted_offers_can_answer_404_by_setting() -> None:
    with EmbeddedEmulator(EmulatorConfig(deleted_offer_get="notFound")) as emulator:
        api = Api(emulator)
        draft = api.create(customer_offer())
        api.run(minimal(draft, "deleted"))
        assert api.get(f"/private-offer/{draft['id'].split('/')[1]}").status_code == 404
        api.close()


def test_stale_etag_fails_with_conflict_matching_or_missing_etag_wins(api: Api) -> None:
    offer = api.create(customer_offer())
    assert api.update(offer, name="First")["jobResult"] == "succeeded"
    error = failed(api.update(offer, name="Stale"), "conflict")
    assert error["details"] and error["details"][0]["target"] == "eTag"
    current = api.offer(offer["id"])
    assert api.update(current, name="Fresh")["jobResult"] == "succeeded"
    assert api.update(current, name="No etag", eTag=None)["jobResult"] == "succeeded"
    assert api.offer(offer["id"])["name"] == "No etag"


def test_require_etag_refuses_updates_without_one() -> None:
    with EmbeddedEmulator(EmulatorConfig(require_etag=True)) as emulator:
        api = Api(emulator)
        offer = api.create(customer_offer())
        failed(api.update(offer, name="x", eTag=None), "conflict")
        assert api.update(offer, name="x")["jobResult"] == "succeeded"
        api.close()


def test_offer_type_cannot_change(api: Api) -> None:
    offer = api.create(customer_offer())
    changed = api.update(offer, privateOfferType="multipartyPromotionOriginator", preparedBy=None)
    failed(changed, "invalidRequest")


def test_unknown_products_and_plans_fail_the_job(api: Api) -> None:
    unknown_product = customer_offer()
    unknown_product["pricing"][0]["product"] = "product/00000000-1111-2222-3333-444444444444"
    error = failed(api.run(unknown_product), "businessValidationError")
    assert error["details"][0]["code"] == "resourceNotFound"
    unknown_plan = customer_offer()
    unknown_plan["pricing"][0]["plan"] = "plan/999999"
    failed(api.run(unknown_plan), "businessValidationError")
    other_product_plan = customer_offer()
    other_product_plan["pricing"][0]["plan"] = "plan/987654"
    failed(api.run(other_product_plan), "businessValidationError")


def test_unknown_resource_name_reference_fails(api: Api) -> None:
    offer = customer_offer()
    offer["pricing"][0] = {
        "product": ANALYTICS,
        "plan": "plan/123456",
        "discountType": "absolute",
        "priceDetails": {"resourceName": "nowhere"},
    }
    error = failed(api.run(offer), "businessValidationError")
    assert "nowhere" in error["details"][0]["message"]


def test_price_resource_must_fit_the_catalogue(api: Api) -> None:
    price = {
        "$schema": PRICE,
        "resourceName": "vmPrice",
        "product": SECURE_VM,
        "plan": "plan/555001",
        "offerPricingType": "vmSoftwareReservations",
        "softwareReservation": {
            "reservationDuration": {"type": "year", "value": 1},
            "paymentSchedule": {"type": "year", "value": 1},
            "vmPrices": {"64Core": {"quantity": 1.0, "unitPricePerPaymentPeriodInUsd": 1}},
        },
    }
    error = failed(api.run(price), "businessValidationError")
    assert error["resourceId"] == "vmPrice"
    price["softwareReservation"]["vmPrices"] = {
        "8Core": {"quantity": 1.0, "unitPricePerPaymentPeriodInUsd": 1}
    }
    assert api.run(price)["jobResult"] == "succeeded"


def test_dates_end_after_start_and_accept_by_before_end(api: Api) -> None:
    assert api.create(customer_offer(variableStartDate=False, start="2030-01-01"))
    failed(
        api.run(customer_offer(variableStartDate=False, start="2030-06-01", end="2030-05-31")),
        "businessValidationError",
    )
    # "The start date should be defined": a failed job, as documented, not an HTTP 400
    failed(api.run(customer_offer(variableStartDate=False)), "businessValidationError")
    # acceptBy after end: every API sample does it and no page refuses it (a UI rule)
    assert api.run(customer_offer(acceptBy="2031-01-31"))["jobResult"] == "succeeded"
    with EmbeddedEmulator(EmulatorConfig(accept_by_within_term=True)) as emulator:
        strict = Api(emulator)
        failed(strict.run(customer_offer(acceptBy="2031-01-31")), "businessValidationError")
        strict.close()


def test_names_may_hold_any_letter_and_a_csp_offer_400_partners(api: Api) -> None:
    # No Microsoft source refuses non-ASCII letters or "~" in a name; the Partner Center
    # page for CSP offers allows "a maximum of 400 CSP partners tenants".
    assert api.create(customer_offer(name="Café Müller ~ Zürich 2030"))
    partners = [{"id": f"7c9e6679-0a32-4b44-b904-{n:012d}"} for n in range(400)]
    assert api.create(csp_offer(beneficiaries=partners))
    refused = api.configure(csp_offer(beneficiaries=[*partners, {"id": CSP_TENANT}]))
    assert refused.status_code == 400 and "beneficiaries" in refused.text


def test_strict_dates_are_a_setting() -> None:
    loose = customer_offer(variableStartDate=False, start="2030-01-15", acceptBy="2020-01-31")
    with EmbeddedEmulator(EmulatorConfig()) as emulator:
        api = Api(emulator)
        assert api.run(loose)["jobResult"] == "succeeded"
        api.close()
    with EmbeddedEmulator(EmulatorConfig(strict_dates=True, today="2029-12-01")) as emulator:
        api = Api(emulator)
        error = failed(api.run(loose), "businessValidationError")
        assert {d["target"] for d in error["details"]} == {"acceptBy", "start"}
        ok = customer_offer(variableStartDate=False, start="2030-01-01", acceptBy="2029-12-31")
        assert api.run(ok)["jobResult"] == "succeeded"
        api.close()


def test_resources_of_a_job_apply_independently_unless_atomic() -> None:
    bad = customer_offer(name="Bad", variableStartDate=False)  # no start: fails in the job
    for atomic, expected in ((False, ["Good"]), (True, [])):
        config = EmulatorConfig(atomic_jobs=atomic, multi_offer_requests="allowed")
        with EmbeddedEmulator(config) as emulator:
            api = Api(emulator)
            status = api.run(customer_offer(name="Good"), bad)
            assert status["jobResult"] == "failed"
            assert len(status["errors"]) == 1
            names = [o["name"] for o in api.get("/private-offer/query").json()["privateOffers"]]
            assert names == expected
            api.close()


# ---- multiparty offers ------------------------------------------------------------------


def test_originator_needs_a_known_partner(api: Api) -> None:
    offer = originator_offer()
    offer["partners"][0]["id"] = "99999999"
    error = failed(api.run(offer), "businessValidationError")
    assert "99999999" in error["message"]
    assert api.create(originator_offer())["state"] == "draft"


def test_partner_sees_the_offer_only_once_the_originator_publishes(
    api: Api, partner_api: Api
) -> None:
    draft = api.create(originator_offer())
    assert partner_api.get(f"/private-offer/{draft['id'].split('/')[1]}").status_code == 404
    assert partner_api.get("/private-offer/query").json()["privateOffers"] == []
    assert api.update(draft, state="live")["jobResult"] == "succeeded"
    view = partner_api.offer(draft["id"])
    # The documented GET response spells it with a capital P (the default spelling).
    assert view["privateOfferType"] == "multiPartyPromotionChannelPartner"
    assert view["state"] == "draft"
    assert view["originatorPricing"][0]["discountPercentage"] == 5
    assert view["originatorTermsAndConditionsDocs"] == draft["termsAndConditionsDocs"]
    assert "pricing" not in view and "notes" not in view
    assert [o["id"] for o in partner_api.get("/private-offer/query").json()["privateOffers"]] == [
        draft["id"]
    ]
    assert api.offer(draft["id"])["subState"] == "pendingPartnerAction"


def published_for_partner(api: Api, partner_api: Api) -> dict[str, Any]:
    created = api.create(originator_offer(state="live"))
    return partner_api.offer(created["id"])


def with_markup(view: dict[str, Any], markup: float | None = 10.0) -> list[dict[str, Any]]:
    entries = []
    for entry in view["originatorPricing"]:
        item = dict(entry)
        if markup is not None:
            item["markupPercentage"] = markup
        entries.append(item)
    return entries


def publish(partner_api: Api, view: dict[str, Any]) -> None:
    status = partner_api.update(
        view, state="live", originatorPricing=with_markup(view), preparedBy="sam@partner.com"
    )
    assert status["jobResult"] == "succeeded", status


def test_partner_completion_as_the_sample_writes_it_without_an_id(
    api: Api, partner_api: Api
) -> None:
    view = published_for_partner(api, partner_api)
    # The documented sample re-sends eTag and lastModified but no id.
    body = {k: v for k, v in view.items() if k not in ("id", "subState", "acceptanceLinks")}
    body.update(state="live", originatorPricing=with_markup(view), preparedBy="sam@partner.com")
    assert partner_api.run(body)["jobResult"] == "succeeded"
    assert partner_api.offer(view["id"])["state"] == "live"
    listed = partner_api.get("/private-offer/query").json()["privateOffers"]
    assert [o["id"] for o in listed] == [view["id"]]  # completed, not a second offer


def test_partner_may_not_change_read_only_fields(api: Api, partner_api: Api) -> None:
    view = published_for_partner(api, partner_api)
    error = failed(partner_api.update(view, end="2030-11-30"), "businessValidationError")
    assert error["details"][0]["target"] == "end"
    pricing = with_markup(view)
    pricing[0]["discountPercentage"] = 50
    failed(partner_api.update(view, originatorPricing=pricing), "businessValidationError")
    ok = partner_api.update(view, originatorPricing=with_markup(view), preparedBy="sam@partner.com")
    assert ok["jobResult"] == "succeeded"
    after = partner_api.offer(view["id"])
    assert after["originatorPricing"][0]["markupPercentage"] == 10.0
    assert after["preparedBy"] == "sam@partner.com" and after["state"] == "draft"


def test_partner_publish_needs_prepared_by_and_every_markup(api: Api, partner_api: Api) -> None:
    view = published_for_partner(api, partner_api)
    no_markup = partner_api.update(
        view, state="live", originatorPricing=with_markup(view, None), preparedBy="sam@partner.com"
    )
    error = failed(no_markup, "businessValidationError")
    assert error["details"][0]["target"] == "originatorPricing[0].markupPercentage"
    no_prepared_by = partner_api.update(view, state="live", originatorPricing=with_markup(view))
    error = failed(no_prepared_by, "businessValidationError")
    assert error["details"][0]["target"] == "preparedBy"
    status = partner_api.update(
        view, state="live", originatorPricing=with_markup(view), preparedBy="sam@partner.com",
        notes="partner notes", notificationContacts=["sam@partner.com"],
    )  # fmt: skip
    assert status["jobResult"] == "succeeded", status
    partner_view = partner_api.offer(view["id"])
    originator_view = api.offer(view["id"])
    assert partner_view["state"] == "live" and partner_view["subState"] == "pendingAcceptance"
    assert originator_view["subState"] == "pendingAcceptance"
    assert partner_view["acceptanceLinks"] and originator_view["acceptanceLinks"]
    assert partner_view["notes"] == "partner notes" and originator_view["notes"] == "ISV 123"


def test_both_spellings_of_the_partner_type_are_accepted(api: Api, partner_api: Api) -> None:
    view = published_for_partner(api, partner_api)
    status = partner_api.update(
        view, privateOfferType="multiPartyPromotionChannelPartner", preparedBy="sam@partner.com"
    )
    assert status["jobResult"] == "succeeded", status


def test_partner_cannot_create_or_delete(api: Api, partner_api: Api) -> None:
    view = published_for_partner(api, partner_api)
    failed(partner_api.run(minimal(view, "deleted")), "invalidRequest")
    created = {k: v for k, v in view.items() if k not in ("id", "eTag", "lastModified")}
    failed(partner_api.run(created), "invalidRequest")
    draft = api.create(originator_offer())
    assert api.run(minimal(draft, "deleted"))["jobResult"] == "succeeded"


def test_originator_withdraws_only_before_the_partner_publishes(api: Api, partner_api: Api) -> None:
    view = published_for_partner(api, partner_api)
    publish(partner_api, view)
    originator = api.offer(view["id"])
    failed(api.run(minimal(originator, "withdrawn")), "invalidState")
    assert (
        partner_api.run(minimal(partner_api.offer(view["id"]), "withdrawn"))["jobResult"]
        == "succeeded"
    )
    assert api.run(minimal(originator, "withdrawn"))["jobResult"] == "succeeded"
    # "the ISV withdraws, which returns the offer to draft" (digest §4.5)
    assert api.offer(view["id"])["state"] == "draft"
    assert partner_api.get(f"/private-offer/{view['id'].split('/')[1]}").status_code == 404


def test_originator_may_withdraw_while_the_partner_has_not_published(
    api: Api, partner_api: Api
) -> None:
    view = published_for_partner(api, partner_api)
    assert api.run(minimal(api.offer(view["id"]), "withdrawn"))["jobResult"] == "succeeded"


def test_accepted_multiparty_offer_is_immutable_for_both(
    api: Api, partner_api: Api, emulator: EmbeddedEmulator
) -> None:
    view = published_for_partner(api, partner_api)
    publish(partner_api, view)
    emulator.admin.accept(view["id"])
    failed(partner_api.run(minimal(partner_api.offer(view["id"]), "withdrawn")), "invalidState")
    failed(api.run(minimal(api.offer(view["id"]), "withdrawn")), "invalidState")
