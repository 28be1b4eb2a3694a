"""Plan files: ``offers-plan/1`` stays byte for byte; edited or broken files are refused clearly."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from reconciler.checks.drift import classify, report_from_data
from reconciler.checks.schema import render_plan_schemas
from reconciler.cli import cli
from reconciler.cli.common import run
from reconciler.errors import EXIT_ERROR, PlanFileError
from reconciler.plan.plan import Plan

from .conftest import REPO

# Written by `reconciler plan --out` before the plan records were pydantic models: one
# create, one republish, one blocked change, seven unchanged, one unmanaged, one skipped.
FIXTURE = Path(__file__).parent / "data" / "plan-offers-plan-1.json"
SCHEMA = REPO / "schemas" / "plan.schema.json"


def test_a_saved_plan_loads_and_saves_again_byte_for_byte() -> None:
    text = FIXTURE.read_text(encoding="utf-8")
    plan = Plan.from_json(text)
    assert [c.action for c in plan.changes] == ["create", "republish", "blocked"]
    assert plan.summary_line().startswith("1 to create, 1 to republish, 7 unchanged, 1 blocked")
    assert plan.to_json() == text


def test_the_committed_schema_is_generated_and_checks_plan_files() -> None:
    assert SCHEMA.read_text(encoding="utf-8") == render_plan_schemas()["plan.schema.json"]
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)
    data["changes"][1]["disruptive"] = False  # a republish always takes the offer down
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        *parents, last = path
        target: Any = data
        for key in parents:
            target = target[key]
        target[last] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_set(("schema",), "offers-plan/2"), "unsupported schema 'offers-plan/2'"),
        (_set(("changes", 0, "steps", 0, "expect_etag"), '"other"'), "checksum mismatch"),
        (_set(("checksum",), "sha256:" + "0" * 64), "checksum mismatch"),
        (_set(("changes", 0, "line"), "three"), "malformed (changes.0.create.line: "),
        (_set(("changes", 2, "action"), "rename"), "malformed (changes.2: "),
        (_set(("changes", 1, "field_changes", 0, "origin"), "me"), "field_changes.0.origin"),
        (_set(("meta", "role"), "reseller"), "malformed (meta.role: "),
    ],
    ids=["schema", "edited-step", "edited-checksum", "line", "action", "origin", "role"],
)
def test_apply_refuses_an_edited_or_broken_plan_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    edit: Callable[[dict[str, Any]], None],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    edit(data)
    (tmp_path / "plan.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    code = run(cli, ["apply", "plan.json", "--emulator", "--emulator-data", "emu"])
    err = capsys.readouterr().err
    assert code == EXIT_ERROR
    assert message in err
    assert "Traceback" not in err


def test_a_drift_report_matches_its_schema_and_reads_back() -> None:
    plan = Plan.from_json(FIXTURE.read_text(encoding="utf-8"))
    data = json.loads(json.dumps(classify(plan).to_data()))
    schemas = {
        name: json.loads((REPO / "schemas" / name).read_text(encoding="utf-8"))
        for name in ("plan.schema.json", "drift.schema.json")
    }
    assert {n: json.dumps(s, indent=2, sort_keys=True) + "\n" for n, s in schemas.items()} == (
        render_plan_schemas()
    )
    registry: Registry[Any] = Registry().with_resources(
        (s["$id"], DRAFT202012.create_resource(s)) for s in schemas.values()
    )
    validator = jsonschema.Draft202012Validator(schemas["drift.schema.json"], registry=registry)
    validator.validate(data)
    assert list(data) == [
        "schema", "has_drift", "counts", "outside", "pending",
        "unmanaged", "in_sync", "watch", "plan",
    ]  # fmt: skip
    again = report_from_data(data)
    assert [c.offer_name for c in again.pending] == [c.offer_name for c in plan.changes]
    assert again.to_data() == data

    data["plan"]["changes"][0]["line"] = -1  # the plan inside is checked as a plan file is
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(data)
    with pytest.raises(PlanFileError, match=r"malformed \(changes\.0\.create\.line: "):
        report_from_data(data)
    data["counts"] = {"outside": "many"}
    with pytest.raises(PlanFileError, match=r"drift report: malformed \(counts\.outside: "):
        report_from_data(data)
