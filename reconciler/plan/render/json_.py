"""JSON: ``plan.to_data()`` (schema ``offers-plan/1``, see schemas/plan.schema.json).

Displayed JSON is redacted. The plan *file* (``--out``) is written with ``Plan.to_json()``
instead: its bodies are already in ``${ENV}`` template form, and redacting them would
change what apply sends (and the checksum).
"""

from __future__ import annotations

import json

from reconciler.plan.plan import Plan
from reconciler.secrets import REGISTRY


def render_json(plan: Plan) -> str:
    return json.dumps(REGISTRY.redact_obj(plan.to_data()), indent=2, ensure_ascii=False) + "\n"
