"""The JSON Schemas of plan files and drift reports, generated from ``PlanFile`` / ``DriftFile``."""

from __future__ import annotations

import json

from reconciler.checks.drift import DRIFT_SCHEMA, DriftFile
from reconciler.plan.plan import PLAN_SCHEMA, PlanFile

PLAN_SCHEMA_FILE = "plan.schema.json"
DRIFT_SCHEMA_FILE = "drift.schema.json"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_BASE = "https://github.com/offer-reconciler/offer-reconciler/schemas/"
PLAN_SCHEMA_ID = _BASE + PLAN_SCHEMA_FILE

# The displayed JSON (``--format json``) adds this to each change; the saved file does not.
_VIEW = {"description": "Displayed JSON only: the diff as nested blocks.", "type": "array"}


def plan_file_schema() -> dict[str, object]:
    """What ``reconciler plan --out`` writes: the serialised form of :class:`PlanFile`."""
    schema = PlanFile.model_json_schema(mode="serialization")
    change_items = schema["properties"]["changes"]["items"]
    for ref in change_items["discriminator"]["mapping"].values():
        name = ref.removeprefix("#/$defs/")
        schema["$defs"][name]["properties"]["view"] = _VIEW
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": PLAN_SCHEMA_ID,
        **schema,
        "title": f"offer-reconciler plan ({PLAN_SCHEMA})",
        "description": "The JSON form of a plan: `reconciler plan --format json` and "
        "`--out plan.json`. See docs/plan.md.",
    }


def drift_file_schema() -> dict[str, object]:
    """What ``reconciler drift --out`` writes; its ``plan`` refers to the plan schema."""
    schema = DriftFile.model_json_schema(mode="serialization")
    schema["properties"]["plan"] = {
        "$ref": PLAN_SCHEMA_FILE,
        "description": "The whole plan (checked, checksum included, when the report is read).",
    }
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": _BASE + DRIFT_SCHEMA_FILE,
        **schema,
        "title": f"offer-reconciler drift report ({DRIFT_SCHEMA})",
        "description": "The JSON form of a drift report: `reconciler drift --out`.",
    }


def render_plan_schemas() -> dict[str, str]:
    """File name -> exact text of the committed plan and drift report schemas."""
    return {
        name: json.dumps(schema, indent=2, sort_keys=True) + "\n"
        for name, schema in (
            (PLAN_SCHEMA_FILE, plan_file_schema()),
            (DRIFT_SCHEMA_FILE, drift_file_schema()),
        )
    }
