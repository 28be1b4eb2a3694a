"""Import everything from an emulator account, then validate, plan and import again."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import cli
from reconciler.cli.common import run
from reconciler.emulator.server import EmbeddedEmulator
from reconciler.importer import Selection
from reconciler.settings import Settings

from .conftest import NAMES, SIGNATURE, plan_files, run_import, seed_account, snapshot


def test_import_all_validates_plans_empty_and_is_idempotent(
    emu: EmbeddedEmulator,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    account = seed_account(emu, settings)
    out = tmp_path / "offers"

    publisher = run_import(emu, settings, out)
    by_name = {o.offer_name: o for o in publisher.outcomes}
    assert publisher.count("unrepresentable") == 0, [o.problems for o in publisher.outcomes]
    assert publisher.exit_code == 0
    # the deleted offer is not listed by the account; every other one has a file
    assert NAMES["deleted"] not in by_name
    for key in ("percentage", "absolute", "draft", "withdrawn", "csp", "mpo", "mpo_pending"):
        assert by_name[NAMES[key]].action == "created", by_name[NAMES[key]]
    assert by_name[NAMES["mpo_draft"]].action == "created"

    partner = run_import(emu, settings, out, account="partner")
    actions = {o.offer_name: o.action for o in partner.outcomes}
    # A pending offer gets a file too: the form the partner fills in (markups, preparedBy).
    assert actions == {NAMES["mpo"]: "created", NAMES["mpo_pending"]: "created"}
    pending = next(o for o in partner.outcomes if o.offer_name == NAMES["mpo_pending"])
    assert pending.path is not None and "markupPercentage:  # fill in" in pending.path.read_text()
    # (its completion is tested in test_partner_completion; here it would only be invalid)
    pending.path.unlink()
    partner_file = out / "partner" / "adventure-works-via-market-place-test.yaml"
    text = partner_file.read_text()
    assert text.startswith("# yaml-language-server: $schema=../../schemas/offer.schema.json\n")
    assert "markupPercentage: 3" in text and "beneficiaries" not in text

    # the signature never reaches the files; the file names the variable instead
    sas_file = out / "tailspin-analytics-discount.yaml"
    sas_text = sas_file.read_text()
    assert SIGNATURE not in "".join(p.read_text() for p in out.rglob("*.yaml"))
    assert "sig=${RECONCILER_VAR_TAILSPIN_ANALYTICS_DISCOUNT_SAS_SIG}" in sas_text
    assert by_name[NAMES["percentage"]].env_vars == [
        "RECONCILER_VAR_TAILSPIN_ANALYTICS_DISCOUNT_SAS_SIG"
    ]
    assert f"id: {account.ids[NAMES['percentage']]}\n" in sas_text
    assert sas_text.startswith("# yaml-language-server: $schema=../schemas/offer.schema.json\n")
    absolute = (out / "tailspin-data-platform-fixed-price.yaml").read_text()
    assert "priceDetails:\n      pricing:\n        recurrentPrice:" in absolute
    assert "billingTerm: {type: month, value: 1}" in absolute
    for server_set in ("eTag", "lastModified", "subState", "acceptanceLinks", "productName"):
        assert server_set not in absolute

    # validate (the command) passes once the variable is set
    env = {"RECONCILER_VAR_TAILSPIN_ANALYTICS_DISCOUNT_SAS_SIG": SIGNATURE}
    monkeypatch.setenv("RECONCILER_VAR_TAILSPIN_ANALYTICS_DISCOUNT_SAS_SIG", SIGNATURE)
    monkeypatch.chdir(tmp_path)
    assert run(cli, ["validate", str(out)]) == 0, capsys.readouterr()

    # the next plan is empty for both roles
    for role in ("publisher", "partner"):
        plan = plan_files(emu, settings, out, env, role)
        assert plan.changes == [], [(c.offer_name, c.action) for c in plan.changes]

    # importing again changes nothing, byte for byte
    before = snapshot(out)
    again = run_import(emu, settings, out, env=env)
    again_partner = run_import(emu, settings, out, account="partner", env=env)
    assert {o.action for o in again.outcomes} == {"unchanged"}
    assert {o.action for o in again_partner.outcomes} == {"unchanged", "created"}
    pending.path.unlink()
    assert snapshot(out) == before


@pytest.mark.parametrize("after_withdraw", ["draft", "withdrawn"])
def test_default_state_filter_leaves_withdrawn_offers_out(
    emu: EmbeddedEmulator, settings: Settings, tmp_path: Path, after_withdraw: str
) -> None:
    # The docs say a withdrawn offer goes back to draft: then it is imported as a draft.
    emu.admin.settings(withdrawn_state=after_withdraw)
    try:
        seed_account(emu, settings)
    finally:
        emu.admin.settings(withdrawn_state="draft")
    out = tmp_path / "offers"
    result = run_import(emu, settings, out, selection=Selection(take_all=True))
    states = {o.state for o in result.outcomes}
    assert states == {"draft", "live"}
    withdrawn_file = out / "northwind-analytics-withdrawn.yaml"
    assert withdrawn_file.exists() == (after_withdraw == "draft")
    if after_withdraw == "draft":
        return
    named = run_import(
        emu, settings, out, selection=Selection(name_glob="northwind*", states=("live",))
    )
    assert named.outcomes == [] and named.filtered == [f"{NAMES['withdrawn']} (withdrawn)"]
