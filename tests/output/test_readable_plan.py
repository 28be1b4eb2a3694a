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
