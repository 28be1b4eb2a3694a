"""JSON: ``plan.to_data()`` (schema ``offers-plan/1``, see schemas/plan.schema.json).

Each change also carries ``view``: its field differences as the nested tree the text and
markdown renderers show (:mod:`reconciler.render.view`), so a machine reading the
JSON sees the same blocks, names and unchanged counts as a reviewer.

Displayed JSON is redacted. The plan *file* (``--out``) is written with ``Plan.to_json()``
instead: its bodies are already in ``${ENV}`` template form, and redacting them would
change what apply sends (and the checksum).
"""

from __future__ import annotations

import json

from reconciler.plan.plan import Plan
from reconciler.render.view import view_data
from reconciler.secrets import REGISTRY


def render_json(plan: Plan) -> str:
    data = plan.to_data()
    for change, shown in zip(plan.changes, data["changes"], strict=True):
        shown["view"] = view_data(change)
    return json.dumps(REGISTRY.redact_obj(data), indent=2, ensure_ascii=False) + "\n"
