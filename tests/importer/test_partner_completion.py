"""The selling partner imports every multiparty offer shared with it, fills in its markups,
completes them all (every offerPricingType) and the next plan is empty."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.emulator import EmbeddedEmulator, EmulatorConfig
from tests.emulator.cli import client_env, reconciler

EXAMPLES = Path(__file__).resolve().parents[2] / "offers"
PRICING_TYPES = {
    "editExistingOfferPricingOnly",
    "saasNewCustomizedPlans",
    "vmSoftwareReservations",
}


@pytest.fixture(params=["multiPartyPromotionChannelPartner", "multipartyPromotionChannelPartner"])
def emu(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EmbeddedEmulator]:
    # Both spellings of the partner type appear in documented responses.
    config = EmulatorConfig(tls=True, channel_partner_spelling=request.param)
    with EmbeddedEmulator(config) as running:
        yield running


def test_partner_imports_completes_and_plans_clean(emu: EmbeddedEmulator, tmp_path: Path) -> None:
    publisher, partner = client_env(emu), client_env(emu, "partner")
    shutil.copytree(EXAMPLES, tmp_path / "offers", ignore=shutil.ignore_patterns("partner"))
    code, out = reconciler(["apply", "offers", "--auto-approve"], publisher, tmp_path)
    assert code == 0, out

    side = tmp_path / "partner-side"
    side.mkdir()
    code, out = reconciler(["import", "--all", "--out", "offers"], partner, side)
    assert code == 0, out
    files = sorted((side / "offers" / "partner").glob("*.yaml"))
    originators = [p for p in EXAMPLES.glob("originator-*.yaml")]
    assert len(files) == len(originators), out  # one per multiparty offer shared with it
    seen_types = set()
    for path in files:
        text = path.read_text()
        assert "privateOfferType: multipartyPromotionChannelPartner" in text
        assert "state: live" in text
        for field in ("preparedBy", "notificationContacts", "termsAndConditionsDocs", "notes"):
            assert f"{field}:" in text, (path.name, text)
        entries = text.count("- product:")
        assert entries >= 1 and text.count("markupPercentage:  # fill in") == entries, text
        seen_types.add(path.name)
        text = text.replace("markupPercentage:  # fill in", "markupPercentage: 2.5")
        text = text.replace(
            "preparedBy:  # fill in", "preparedBy: sales@marketplacetest.example.com"
        )
        path.write_text(re.sub(r"^\w+:  # fill in\n", "", text, flags=re.MULTILINE))
    pricing = {
        m.group(1)
        for p in originators
        for m in [re.search(r"^offerPricingType: (\w+)", p.read_text(), re.MULTILINE)]
        if m
    }
    assert pricing == PRICING_TYPES  # the examples cover every pricing type

    code, out = reconciler(
        ["apply", "offers", "--auto-approve", "--role", "partner"], partner, side
    )
    assert code == 0, out
    assert out.count("partner-complete") >= len(files)
    code, out = reconciler(
        ["plan", "offers", "--detailed-exitcode", "--role", "partner"], partner, side
    )
    assert code == 0, out
