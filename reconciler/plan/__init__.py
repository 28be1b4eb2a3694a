"""desired + live -> Plan (data and computation); rendering lives in :mod:`reconciler.render`.

The data model (:mod:`.changes`, :mod:`.plan`) has no dependency on the API or offer
layers so a saved plan can be read by apply without them.
"""

from reconciler.plan.changes import (
    Blocked,
    Change,
    Create,
    DeleteDraft,
    FieldChange,
    PartnerComplete,
    Publish,
    Recreate,
    Republish,
    Step,
    UpdateDraft,
    Withdraw,
)
from reconciler.plan.plan import PLAN_SCHEMA, Plan, PlanMeta, batches

__all__ = [
    "PLAN_SCHEMA",
    "Blocked",
    "Change",
    "Create",
    "DeleteDraft",
    "FieldChange",
    "PartnerComplete",
    "Plan",
    "PlanMeta",
    "Publish",
    "Recreate",
    "Republish",
    "Step",
    "UpdateDraft",
    "Withdraw",
    "batches",
]
