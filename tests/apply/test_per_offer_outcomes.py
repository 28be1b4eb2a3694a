"""Per-offer outcomes: an offer that cannot change is reported with its reason and left
alone, while every other change of the same plan goes out (exit 8, "partly applied")."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.emulator.server import EmbeddedEmulator
from reconciler.errors import EXIT_BLOCKED, EXIT_CHANGES, EXIT_OK, EXIT_PARTLY
from tests.apply.cli_support import EMU, run, setup_project
from tests.apply.conftest import EXAMPLES, client, fast_settings

WOODGROVE = "Woodgrove Bank Analytics discount 2027"
CUSTOMER = "offers/customer-percentage.yaml"
NEW = "offers/northwind.yaml"
NEW_NAME = "Northwind Traders Analytics discount 2027"


def edit(path: str, old: str, new: str) -> None:
    file = Path(path)
    text = file.read_text()
    assert old in text, (path, old)
    file.write_text(text.replace(old, new, 1))


def live(emu: EmbeddedEmulator, account: str = "publisher") -> dict[str, dict[str, object]]:
    with client(emu, fast_settings(Path.cwd()), account) as c:
        listed = [o for o in c.list_offers() if o.get("state") != "deleted"]
        return {str(o["name"]): c.get_offer(str(o["id"])) for o in listed}


def add_new_offer() -> None:
    text = Path(CUSTOMER).read_text().replace(WOODGROVE, NEW_NAME)
    Path(NEW).write_text(text)


@pytest.mark.parametrize("saved", [False, True], ids=["apply-paths", "apply-saved-plan"])
def test_an_accepted_offer_is_left_alone_and_the_new_offer_goes_live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator, saved: bool
) -> None:
    setup_project(tmp_path, monkeypatch, emu)
    code, out, err = run("apply", CUSTOMER, "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    emu.admin.accept(str(live(emu)[WOODGROVE]["id"]))
    edit(CUSTOMER, "discountPercentage: 10\n", "discountPercentage: 12\n")
    add_new_offer()

    if saved:
        code, out, err = run("plan", CUSTOMER, NEW, "--out", "plan.json", *EMU)
        assert code == EXIT_BLOCKED, out + err  # the plan still says the offer is blocked
        code, out, err = run("apply", "plan.json", *EMU)
    else:
        code, out, err = run("apply", CUSTOMER, NEW, "--auto-approve", *EMU)
    assert code == EXIT_PARTLY, out + err
    offers = live(emu)
    assert offers[NEW_NAME]["state"] == "live"
    assert offers[WOODGROVE]["subState"] == "accepted"
    # Its row of the outcome table says BLOCKED (table or narrow block form alike).
    assert any(WOODGROVE in line and "BLOCKED" in line for line in out.splitlines()), out
    assert "the customer accepted this offer: it is a contract" in out
    assert "Apply: 1 succeeded, 1 blocked." in out


def test_only_blocked_offers_send_nothing_and_exit_blocked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator
) -> None:
    setup_project(tmp_path, monkeypatch, emu)
    assert run("apply", CUSTOMER, "--auto-approve", *EMU)[0] == EXIT_OK
    emu.admin.accept(str(live(emu)[WOODGROVE]["id"]))
    edit(CUSTOMER, "discountPercentage: 10\n", "discountPercentage: 12\n")
    sent = emu.admin.stats().get("POST configure", 0)
    code, out, err = run("apply", CUSTOMER, "--auto-approve", *EMU)
    assert code == EXIT_BLOCKED, out + err
    assert emu.admin.stats().get("POST configure", 0) == sent


PARTNER_SECOND = """\
privateOfferType: multipartyPromotionChannelPartner
name: Coho Winery Data Platform via Market Place Test
state: live
preparedBy: sales@marketplacetest.example.com
notificationContacts:
  - sales@marketplacetest.example.com
originatorPricing:
  - product: product/7ba807c8-386a-4efe-80f1-b97bf8a554f8
    plan: plan/987654
    markupPercentage: 4
"""


def test_a_partner_offer_waits_for_its_originator_while_the_others_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator
) -> None:
    setup_project(tmp_path, monkeypatch, emu)
    originator = "offers/originator-absolute.yaml"
    edit(originator, "state: live\n", "state: draft\n")  # not published yet
    code, out, err = run(
        "apply", "offers/originator-percentage.yaml", originator, "--auto-approve", *EMU
    )
    assert code == EXIT_OK, out + err
    partner = tmp_path / "partner"
    (partner / "offers").mkdir(parents=True)
    shutil.copy2(EXAMPLES / "partner" / "partner-completion.yaml", partner / "offers")
    (partner / "offers" / "coho.yaml").write_text(PARTNER_SECOND)
    monkeypatch.chdir(partner)
    as_partner = ["--emulator", "--emulator-data", str(tmp_path / "emu"), "--account", "partner"]

    code, out, err = run("plan", "offers", "--detailed-exitcode", *as_partner)
    assert code == EXIT_CHANGES, out + err  # not blocked: one to complete, one waiting
    shown = " ".join(out.split())  # long lines wrap with the terminal's width
    assert "Plan: 1 to partner-complete, 1 waiting." in shown
    assert "waiting: cannot complete it yet" in shown and "blocked:" not in shown

    code, out, err = run("apply", "offers", "--auto-approve", *as_partner)
    assert code == EXIT_PARTLY, out + err
    assert "waiting for the originator to publish" in out
    assert "FAILED" not in out and "BLOCKED" not in out
    offers = live(emu, "partner")
    completed = offers["Adventure Works Analytics via Market Place Test"]
    assert completed["subState"] != "pendingPartnerAction", completed

    monkeypatch.chdir(tmp_path)
    edit(originator, "state: draft\n", "state: live\n")  # the originator publishes
    assert run("apply", originator, "--auto-approve", *EMU)[0] == EXIT_OK
    monkeypatch.chdir(partner)
    code, out, err = run("apply", "offers", "--auto-approve", *as_partner)
    assert code == EXIT_OK, out + err
    assert "partner-complete" in out
    code, out, err = run("plan", "offers", "--detailed-exitcode", *as_partner)
    assert code == EXIT_OK, out + err
