"""The 2022 API's upgrade (``upgradedFrom``): it names an accepted offer of the account, and
the original's pricing for the plans the request does not name is carried over."""

from __future__ import annotations

import pytest

from reconciler.emulator import EmbeddedEmulator, EmulatorConfig
from tests.emulator.conftest import ANALYTICS, DATA_PLATFORM, Api, customer_offer
from tests.emulator.test_lifecycle import failed


def test_upgrade_names_a_known_offer_and_carries_its_other_pricing_over(
    api: Api, emulator: EmbeddedEmulator
) -> None:
    unknown = {"id": "private-offer/00000000-0000-0000-0000-000000000000", "name": "Gone"}
    error = failed(api.run(customer_offer(upgradedFrom=unknown)), "resourceNotFound")
    assert "upgradedFrom" in error["message"]
    extra = {
        "product": DATA_PLATFORM,
        "plan": "plan/987654",
        "discountType": "percentage",
        "discountPercentage": 7,
    }
    original = api.create(
        customer_offer(state="live", pricing=[*customer_offer()["pricing"], extra])
    )
    emulator.admin.accept(original["id"])
    override = {**customer_offer()["pricing"][0], "discountPercentage": 9}
    upgrade = customer_offer(
        name="Upgrade",
        pricing=[override],
        upgradedFrom={"id": original["id"], "name": original["name"]},
    )
    upgraded = api.create(upgrade)
    external = {
        plan["id"]: plan["identity"]["externalId"]
        for product in (ANALYTICS, DATA_PLATFORM)
        for plan in api.get("/plan", "2022-07-01", product=product).json()["value"]
    }
    # read back by durable id (plan/<productGuid>/<planGuid>), whichever form was sent
    by_plan = {external[e["plan"]]: e["discountPercentage"] for e in upgraded["pricing"]}
    assert by_plan == {"123456": 9, "987654": 7}  # given: overrides; not given: carried over


@pytest.mark.parametrize("setting", ["accepted", "any"])
def test_only_an_accepted_offer_can_be_upgraded_unless_set_otherwise(setting: str) -> None:
    """ "This allows you to upgrade an existing accepted private offer" (Partner Center FAQ)."""
    config = EmulatorConfig(admin=True, upgrade_source=setting)  # type: ignore[arg-type]
    with EmbeddedEmulator(config) as emulator:
        api = Api(emulator)
        pending = api.create(customer_offer(state="live"))
        upgrade = customer_offer(
            name="Upgrade", upgradedFrom={"id": pending["id"], "name": pending["name"]}
        )
        status = api.run(upgrade)
        if setting == "any":
            assert status["jobResult"] == "succeeded", status
        else:
            error = failed(status, "invalidState")
            assert f"upgradedFrom names private offer '{pending['id']}'" in error["message"]
            assert "not accepted" in error["message"]
            assert error["details"][0]["target"] == "upgradedFrom.id"
            emulator.admin.accept(pending["id"])
            assert api.run(upgrade)["jobResult"] == "succeeded"
        api.close()
