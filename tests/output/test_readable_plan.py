"""The plan a reviewer reads: names, nested blocks, only what changed, nothing too wide."""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import Cli


def _set_discount(project: Path, old: str, new: str) -> None:
    path = project / "offers" / "customer-percentage.yaml"
    text = path.read_text()
    assert f"discountPercentage: {old}" in text
    path.write_text(text.replace(f"discountPercentage: {old}", f"discountPercentage: {new}", 1))


def test_changed_percentage_names_product_and_plan(examples_project: Path, reconciler: Cli) -> None:
    code, _, err = reconciler("apply", "--emulator", "--auto-approve")
    assert code == 0, err
    _set_discount(examples_project, "8", "9")

    code, out, err = reconciler("plan", "--emulator", "--allow-republish")
    assert code == 0, err
    assert "Woodgrove Bank Analytics discount 2027" in out
    assert "Contoso Analytics · Standard" in out  # product and plan by name
    assert "plan/123456" in out  # ... with the id beside
    assert "~ discountPercentage: 8 -> 9" in out
    assert "pricing[product/" not in out
    assert "(1 unchanged)" in out  # the sibling discountType, summarised
    assert "discountType" not in out
    assert max(len(line) for line in out.splitlines()) <= 100
    assert "forces withdraw and republish: pricing" in out

    code, out, _ = reconciler("plan", "--emulator", "--allow-republish", "--format", "markdown")
    assert "pricing[product/" not in out and "Contoso Analytics · Standard" in out
    assert "-         discountPercentage: 8\n+         discountPercentage: 9" in out

    code, out, _ = reconciler("plan", "--emulator", "--allow-republish", "--format", "json")
    change = json.loads(out)["changes"][0]
    block = change["view"][0]["children"][0]
    assert block["label"] == "Contoso Analytics · Standard"
    assert block["children"][0] == {
        "label": "discountPercentage",
        "old": 8,
        "new": 9,
        "leaf": True,
    }


def test_create_shows_the_file_itself(examples_project: Path, reconciler: Cli) -> None:
    code, out, _ = reconciler("plan", "--emulator", "offers/customer-renewal.yaml")
    assert code == 0
    assert "+ customerContractRenewal: true" in out
    assert "+ beneficiaries:" in out and "description: Litware Inc." in out
    assert "pricing[" not in out and "# " not in out.split("Plan:")[0].split("\n", 2)[2]
    assert max(len(line) for line in out.splitlines()) <= 100


def test_removed_and_renamed_offers_are_named_and_stay_live(
    examples_project: Path, reconciler: Cli
) -> None:
    code, _, err = reconciler("apply", "--emulator", "--auto-approve")
    assert code == 0, err
    (examples_project / "offers" / "customer-absolute.yaml").unlink()
    renamed = examples_project / "offers" / "customer-percentage.yaml"
    renamed.write_text(
        renamed.read_text().replace(
            "name: Woodgrove Bank Analytics discount 2027", "name: Woodgrove Analytics 2027"
        )
    )

    code, out, err = reconciler("plan", "--emulator")
    assert code == 3, err  # the renamed offer would be a second offer for its deal: blocked
    assert max(len(line) for line in out.splitlines()) <= 100
    out = " ".join(out.split())  # long notes wrap
    assert "? Tailspin Toys Data Platform fixed price file removed: offers/customer-absolute" in out
    assert "stays live and is no longer managed" in out
    assert "keep the file with `state: withdrawn`" in out
    assert "? Woodgrove Bank Analytics discount 2027 offer renamed in" in out
    assert "names are identity" in out and "pin `id:`" in out
    assert "looks like a rename of the live offer 'Woodgrove Bank Analytics discount" in out
    assert "1 blocked" in out and "1 to create" not in out and "2 files removed" in out
    assert "Unmanaged" not in out  # listed once, as removed, not again as unmanaged

    code, out, _ = reconciler("plan", "--emulator", "--format", "markdown")
    assert "### Files removed or offers renamed" in out and "[!WARNING]" in out


def test_blocked_points_at_the_fields_line(examples_project: Path, reconciler: Cli) -> None:
    code, _, err = reconciler("apply", "--emulator", "--auto-approve")
    assert code == 0, err
    _set_discount(examples_project, "8", "9")
    code, out, _ = reconciler("plan", "--emulator")
    assert code == 3
    lines = (examples_project / "offers" / "customer-percentage.yaml").read_text().splitlines()
    line = lines.index("    discountPercentage: 9") + 1
    assert f"offers/customer-percentage.yaml:{line}" in out
    assert "why: a live offer cannot be edited in place" in out
    assert "to go ahead: `reconciler: {allowRepublish: true}`" in out
