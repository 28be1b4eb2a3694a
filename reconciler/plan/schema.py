"""The JSON Schema of plan files (``schemas/plan.schema.json``), generated from ``PlanFile``."""

from __future__ import annotations

import json
from typing import Any

from reconciler.plan.plan import PLAN_SCHEMA, PlanFile

PLAN_SCHEMA_FILE = "plan.schema.json"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
PLAN_SCHEMA_ID = "https://github.com/offer-reconciler/offer-reconciler/schemas/plan.schema.json"

# The displayed JSON (``--format json``) adds this to each change; the saved file does not.
_VIEW = {"description": "Displayed JSON only: the diff as nested blocks.", "type": "array"}


def plan_file_schema() -> dict[str, Any]:
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


def render_plan_schemas() -> dict[str, str]:
    """File name -> exact text of the committed plan schema."""
    return {PLAN_SCHEMA_FILE: json.dumps(plan_file_schema(), indent=2, sort_keys=True) + "\n"}
