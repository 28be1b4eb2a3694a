"""The recipe for a new offer field, followed once: a catalogue entry and the emulator's entry.

An edited copy of the package gets one new top-level field of customer offers -- two source
files touched, the recipe in docs/architecture.md allows four -- and the commands then
validate it (a value over its limit is refused with file, line and field), apply it to the
emulator (which accepts it), show a change of it in the plan, and import it back.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from .conftest import example

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).parent / "data" / "field_recipe_driver.py"
EMU = ["--emulator", "--emulator-data", "emu"]
FAST = "[api]\nbackoff-seconds = 0.01\n[apply]\npoll-interval = 0.02\ntimeout = 30\n"

# The two edits: the reconciler's catalogue entry and the emulator's own entry.
CATALOGUE = "reconciler/offers/fields.py"
CATALOGUE_ANCHOR = "    # Set by the API, never by a file"
CATALOGUE_ENTRY = (
    '    OfferField("customerReference", CUSTOMER, annotation=str,\n'
    '               constraints={"max_length": 40}, doc="The customer\'s own reference."),\n'
)
EMULATOR = "reconciler/emulator/offer_fields.py"
EMULATOR_ANCHOR = '    "originatorPricing": FieldRule(frozenset({CHANNEL})),\n'
EMULATOR_ENTRY = '    "customerReference": FieldRule(_CUSTOMER, "string", max_len=40),\n'


def _edited_copy(root: Path) -> Path:
    src = root / "src"
    shutil.copytree(
        REPO / "reconciler", src / "reconciler", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name, anchor, entry, before in (
        (CATALOGUE, CATALOGUE_ANCHOR, CATALOGUE_ENTRY, True),
        (EMULATOR, EMULATOR_ANCHOR, EMULATOR_ENTRY, False),
    ):
        path = src / name
        text = path.read_text(encoding="utf-8")
        assert text.count(anchor) == 1, f"{name}: the recipe's anchor moved"
        new = entry + anchor if before else anchor + entry
        path.write_text(text.replace(anchor, new), encoding="utf-8")
    return src


def _changed_files(src: Path) -> list[str]:
    changed = []
    for path in sorted((src / "reconciler").rglob("*.py")):
        name = path.relative_to(src).as_posix()
        if not filecmp.cmp(path, REPO / name, shallow=False):
            changed.append(name)
    return changed


def _run(src: Path, project: Path, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RECONCILER_"))}
    env["RECONCILER_EMULATOR_JOB_LATENCY"] = "0"  # the recipe is about fields, not waiting
    env["PYTHONPATH"] = str(src)
    done = subprocess.run(
        [sys.executable, str(DRIVER), json.dumps(steps)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def test_a_new_field_is_validated_applied_diffed_rendered_and_imported(tmp_path: Path) -> None:
    src = _edited_copy(tmp_path)
    changed = _changed_files(src)
    assert changed == sorted([CATALOGUE, EMULATOR]) and len(changed) <= 4

    project = tmp_path / "project"
    project.mkdir()
    (project / "reconciler.toml").write_text(FAST)
    # a draft: its fields change in place (a live offer would need a republish)
    offer = example("customer-percentage.yaml").replace("state: live", "state: draft")
    too_long = "R" * 41
    validate, invalid, apply, plan, imported = _run(
        src,
        project,
        [
            {"write": ["offers/woodgrove.yaml", offer + "customerReference: PO-2027-0042\n"]},
            {"run": ["validate", "offers"]},
            {"write": ["bad/woodgrove.yaml", offer + f"customerReference: {too_long}\n"]},
            {"run": ["validate", "bad"]},
            {"run": ["apply", *EMU, "--auto-approve", "offers"]},
            {"write": ["offers/woodgrove.yaml", offer + "customerReference: PO-2027-0043\n"]},
            {"run": ["plan", *EMU, "offers"]},
            {"run": ["import", *EMU, "--all", "--out", "imported"]},
        ],
    )
    assert validate["code"] == 0, validate
    # refused with the file, the line and the field; nothing sent
    assert invalid["code"] == 1
    lines = offer.count("\n") + 1
    assert f"bad/woodgrove.yaml:{lines}:" in invalid["out"], invalid
    assert "customerReference" in invalid["out"]
    # the emulator accepted the field (its own entry lets it through and checks it)
    assert apply["code"] == 0, apply
    # the plan shows the field's change, old and new value
    assert plan["code"] == 0, plan
    assert "customerReference" in plan["out"]
    assert "PO-2027-0042" in plan["out"] and "PO-2027-0043" in plan["out"]
    # imported back into a file, in the catalogue's place
    assert imported["code"] == 0, imported
    (written,) = (project / "imported").glob("*.yaml")
    assert "customerReference: PO-2027-0042\n" in written.read_text(encoding="utf-8")
