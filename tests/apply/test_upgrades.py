"""Upgrades end to end (``upgradedFrom``, the 2022 API's upgrade): only an accepted offer can
be upgraded -- the plan says so early, the other offers proceed, and a refusal by the
service is reported as the offer's failure -- and the pricing the service carries over from
the original is not a difference on the next plan, while an edit of a named price is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.emulator.server import EmbeddedEmulator
from reconciler.errors import EXIT_BLOCKED, EXIT_CHANGES, EXIT_JOBS_FAILED, EXIT_OK
from tests.apply.cli_support import EMU, FAST, live, run, setup_project

ORIGINAL = "offers/customer-percentage.yaml"
ORIGINAL_NAME = "Woodgrove Bank Analytics discount 2027"
UPGRADE = "offers/woodgrove-upgrade.yaml"
UPGRADE_NAME = "Woodgrove Bank Analytics upgrade 2028"
OTHER = "offers/customer-renewal.yaml"
SECOND_PLAN = """\
  - product: product/34771906-9711-4196-9f60-4af380fd5042
    plan: plan/234567
    discountType: percentage
    discountPercentage: 5
"""


def upgrade_file(original_id: str, discount: int) -> str:
    """The upgrade names only plan/123456: plan/234567 is carried over from the original."""
    return f"""\
privateOfferType: customerPromotion
name: {UPGRADE_NAME}
state: live
upgradedFrom:
  id: {original_id}
  name: {ORIGINAL_NAME}
variableStartDate: false
start: 2028-01-01
end: 2028-12-31
acceptBy: 2027-12-31
preparedBy: amy@contoso.com
notificationContacts:
  - amy@contoso.com
beneficiaries:
  - id: 5a8c3e2f-2163-4eea-ae4e-d6e88627c26b:6ea018a9-da9d-4eae-8610-22b51ebe260b_2019-05-31
    description: Woodgrove Bank
pricing:
  - product: product/34771906-9711-4196-9f60-4af380fd5042
    plan: plan/123456
    discountType: percentage
    discountPercentage: {discount}
"""


def prices(offer: dict[str, object]) -> dict[str, object]:
    entries = offer["pricing"]
    assert isinstance(entries, list)
    return {str(e["planName"]): e["discountPercentage"] for e in entries}  # the plan's alias


@pytest.mark.emulator(job_latency=0.05)
def test_an_upgrade_waits_for_acceptance_and_its_carried_over_pricing_is_no_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator
) -> None:
    setup_project(tmp_path, monkeypatch, emu)
    monkeypatch.setenv("COLUMNS", "200")  # one line per sentence, whatever the terminal
    original = Path(ORIGINAL)
    original.write_text(original.read_text() + SECOND_PLAN)
    code, out, err = run("apply", ORIGINAL, "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    original_id = str(live(emu)[ORIGINAL_NAME]["id"])
    Path(UPGRADE).write_text(upgrade_file(original_id, 12))

    # Not accepted yet: the plan blocks the upgrade, naming the file, line and reason ...
    code, out, err = run("plan", ORIGINAL, UPGRADE, OTHER, *EMU)
    assert code == EXIT_BLOCKED, out + err
    assert f"{UPGRADE_NAME}  blocked: cannot create it" in out
    assert f"{UPGRADE}:5" in out  # the line of upgradedFrom.id
    text = " ".join(out.split())
    assert f"upgradedFrom names the private offer {original_id}" in text
    assert "which its customer has not accepted (state live, subState pendingAcceptance)" in text
    assert "only an accepted private offer can be upgraded" in text
    # ... and the other offers proceed: apply creates the new one, leaves the upgrade alone.
    code, out, err = run("apply", ORIGINAL, UPGRADE, OTHER, "--auto-approve", *EMU)
    offers = live(emu)
    assert UPGRADE_NAME not in offers, out + err
    assert offers["Litware Analytics renewal 2027"]["state"] == "live", out + err

    # Sent anyway (plan.upgrade-from = "any"): the service refuses it in the job, and apply
    # reports that offer failed with the service's reason.
    Path("reconciler.toml").write_text(FAST + '[plan]\nupgrade-from = "any"\n')
    code, out, err = run("apply", UPGRADE, "--auto-approve", *EMU)
    assert code == EXIT_JOBS_FAILED, out + err
    text = " ".join(out.split())
    assert (
        f"{UPGRADE}:5: upgradedFrom.id: invalidState: upgradedFrom names private offer "
        f"'{original_id}', which its customer has not accepted"
    ) in text
    assert "upgradedFrom.id: only an accepted private offer can be upgraded." in text
    assert UPGRADE_NAME not in live(emu)

    # Accepted: the upgrade is created, the price of plan/234567 carried over.
    Path("reconciler.toml").write_text(FAST)
    emu.admin.accept(original_id)
    code, out, err = run("apply", UPGRADE, "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    assert prices(live(emu)[UPGRADE_NAME]) == {"Standard": 12, "Premium": 5}
    # The carried-over entry is the service's: the next plan is empty.
    code, out, err = run("plan", UPGRADE, "--detailed-exitcode", *EMU)
    assert code == EXIT_OK, out + err

    # A real edit of the named price still shows, and nothing else does.
    Path(UPGRADE).write_text(upgrade_file(original_id, 14))
    code, out, err = run(
        "plan", UPGRADE, "--detailed-exitcode", "--allow-republish", "--format", "json", *EMU
    )
    assert code == EXIT_CHANGES, out + err
    (change,) = json.loads(out)["changes"]
    assert [(f["path"], f["old"], f["new"]) for f in change["field_changes"]] == [
        ("pricing[product/34771906-9711-4196-9f60-4af380fd5042/plan/123456].discountPercentage",
         12, 14)
    ]  # fmt: skip
