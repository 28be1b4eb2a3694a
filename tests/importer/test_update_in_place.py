"""Re-importing into files a person has edited: comments, order and quoting survive."""

from __future__ import annotations

import difflib
from pathlib import Path

from reconciler.emulator.server import EmbeddedEmulator
from reconciler.importer import Selection
from reconciler.settings import Settings

from .conftest import NAMES, TAILSPIN, client, customer, plan_files, run_import, send


def _changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_reimport_after_drift_touches_only_the_drifted_value(
    emu: EmbeddedEmulator, settings: Settings, tmp_path: Path
) -> None:
    with client(emu, settings, writes=True) as c:
        offer_id = send(c, [customer(NAMES["draft"], "draft")])
    assert offer_id is not None
    out = tmp_path / "offers"
    run_import(emu, settings, out)
    path = out / "woodgrove-analytics-draft.yaml"
    text = path.read_text()
    # a person documents the file, reorders two keys and quotes a value
    commented = (
        text.replace("name: Woodgrove", "# Owner: the Woodgrove account team\nname: Woodgrove")
        .replace("preparedBy: amy@contoso.com", 'preparedBy: "amy@contoso.com"  # who signs')
        .replace("    discountPercentage: 7.5", "    discountPercentage: 7.5  # agreed in March")
        .replace("state: draft\n", "")
        .replace("variableStartDate: true\n", "variableStartDate: true\nstate: draft\n")
    )
    assert commented != text
    path.write_text(commented)

    # behind git's back: one discount and the signer change
    live = next(o for o in _offers(emu, settings) if o["id"] == offer_id)
    pricing = [dict(e) for e in live["pricing"]]
    pricing[0]["discountPercentage"] = 9
    emu.admin.edit(offer_id, {"pricing": pricing, "preparedBy": "bob@contoso.com"})

    result = run_import(emu, settings, out)
    (outcome,) = result.outcomes
    assert outcome.action == "updated"
    after = path.read_text()
    assert sorted(_changed_lines(commented, after)) == [
        "+    discountPercentage: 9",
        '+preparedBy: "bob@contoso.com"  # who signs',
        "-    discountPercentage: 5",
        '-preparedBy: "amy@contoso.com"  # who signs',
    ]
    assert "# Owner: the Woodgrove account team\n" in after
    assert "discountPercentage: 7.5  # agreed in March" in after
    assert plan_files(emu, settings, out, {}, "publisher").changes == []


def test_existing_file_found_by_name_gets_the_id_pinned(
    emu: EmbeddedEmulator, settings: Settings, tmp_path: Path
) -> None:
    with client(emu, settings, writes=True) as c:
        offer_id = send(c, [customer(NAMES["draft"], "draft")])
    out = tmp_path / "offers"
    (out / "team").mkdir(parents=True)
    handmade = out / "team" / "woodgrove.yml"
    handmade.write_text(
        "# Written by hand before the import existed.\n"
        "privateOfferType: customerPromotion\n"
        "name: Woodgrove Analytics draft\n"
        "state: draft\n"
        "variableStartDate: true\n"
        "end: 2027-12-31\n"
        "acceptBy: 2027-06-30\n"
        "preparedBy: amy@contoso.com\n"
        "notificationContacts: [deals@contoso.com, amy@contoso.com]  # set order differs\n"
        "beneficiaries:\n"
        f"- id: {TAILSPIN}\n"
        "  description: Tailspin Toys\n"
        "pricing:\n"
        "- product: product/34771906-9711-4196-9f60-4af380fd5042\n"
        "  plan: plan/234567\n"
        "  discountType: percentage\n"
        "  discountPercentage: 7.50\n"
        "- product: product/34771906-9711-4196-9f60-4af380fd5042\n"
        "  plan: plan/34771906-9711-4196-9f60-4af380fd5042/123456\n"
        "  discountType: percentage\n"
        "  discountPercentage: 5\n"
        "reconciler:\n"
        "  protect: true\n"
    )
    before = handmade.read_text()
    result = run_import(emu, settings, out, selection=Selection(ids=[str(offer_id)]))
    (outcome,) = result.outcomes
    assert outcome.action == "updated" and outcome.path == handmade
    assert not (out / "woodgrove-analytics-draft.yaml").exists()
    # the only change: the id, pinned next to the name; list order, the long plan form,
    # 7.50, the flow list and the reconciler block are the same offer and stay as written
    assert _changed_lines(before, handmade.read_text()) == [f"+id: {offer_id}"]
    assert handmade.read_text().index("id: private-offer/") < handmade.read_text().index("name:")


def _offers(emu: EmbeddedEmulator, settings: Settings) -> list[dict]:
    with client(emu, settings) as c:
        return [c.get_offer(str(o["id"])) for o in c.list_offers()]
