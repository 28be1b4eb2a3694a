"""What a plan proposes to do, one class per action (the octoDNS ``Change`` model).

A :class:`Change` describes one offer file's effect on one live offer: the field-level
differences a reviewer reads (:class:`FieldChange`) and the ordered :class:`Step` s apply
executes. Each subclass pins its action name and a class-level ordering, so a plan sorts
its changes the same way everywhere (plan file, PR comment, apply order):

    Create (10) < UpdateDraft (20) < Publish (30) < PartnerComplete (40)
      < Republish (50) < Recreate (60) < Withdraw (70) < DeleteDraft (80) < Blocked (90)

Why steps: live offers cannot be edited in place. A republish is "withdraw, then update
with state live"; a CSP recreate is "create the new offer, then withdraw the old one".
Step *n+1* of a change is only sent once step *n*'s configure job has succeeded; steps of
different changes may share a configure request (see :func:`reconciler.plan.requests.batches`).

Step resources are stored sealed (:mod:`reconciler.plan.sealed`): an offer file's
``${SAS_URL}`` stays ``${SAS_URL}`` in the plan file, listed in the step's ``templates``, and
is expanded by apply at send time; nothing else is ever expanded.

Everything here is a pydantic model; ``model_dump()`` / ``model_validate()`` round-trip it
exactly, and the plan checksum is computed over the dumped data.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import ConfigDict, Field, TypeAdapter

from reconciler.offers.domain import OfferState, OfferType
from reconciler.plan.records import MutableRecord, Record
from reconciler.plan.sealed import LiveRef, TemplateRef

Origin = Literal["git", "live", "both", "unknown"]
Reason = Literal["git", "live", "both"]
StepKind = Literal["create", "update", "publish", "withdraw", "delete", "partner-complete"]
FieldOp = Literal["add", "remove", "change"]


class Action(StrEnum):
    """What a change does to its offer; the plan file's ``action`` (and summary keys)."""

    CREATE = "create"
    UPDATE = "update"
    PUBLISH = "publish"
    PARTNER_COMPLETE = "partner-complete"
    REPUBLISH = "republish"
    RECREATE = "recreate"
    WITHDRAW = "withdraw"
    DELETE = "delete"
    BLOCKED = "blocked"


class FieldChange(Record):
    """One field difference between live and desired, by readable keyed path.

    ``path`` looks like ``pricing[product/…/plan/123456].discountPercentage``; list items
    are addressed by their key, never by index, so the path survives reordering.
    ``op`` is ``add`` (only desired has it; ``old`` is None), ``remove`` (only live has it;
    ``new`` is None) or ``change``. ``origin`` says who moved it relative to the baseline.
    """

    path: str = Field(min_length=1)
    op: FieldOp = "change"
    old: object = None
    new: object = None
    origin: Origin = "unknown"


def _empty(value: list[object]) -> bool:
    return not value


def _optional_refs(schema: dict[str, Any]) -> None:
    schema["additionalProperties"] = False
    schema["required"] = [k for k in schema.get("required", []) if k not in _OPTIONAL]


_OPTIONAL = ("templates", "live_values")


class Step(MutableRecord):
    """One configure submission's worth of resources for one change.

    ``resources`` holds the private-offer resource plus any price resources it links by
    ``resourceName``; they must travel in the same request. ``offer_resource_name`` is the
    ``resourceName`` of the private-offer resource, used to map job errors and job-detail
    results back to this change. ``expect_etag`` is the live eTag the body was computed
    from (None for creates), which apply compares before sending.
    """

    model_config = ConfigDict(json_schema_extra=_optional_refs)

    kind: StepKind
    offer_resource_name: str = Field(min_length=1, max_length=50)
    expect_etag: str | None = None
    resources: list[dict[str, object]] = Field(
        min_length=1,
        json_schema_extra={
            "items": {
                "type": "object",
                "required": ["$schema", "resourceName"],
                "properties": {
                    "$schema": {"type": "string", "format": "uri"},
                    "resourceName": {"type": "string", "minLength": 1, "maxLength": 50},
                },
            }
        },
    )

    # Where apply fills the body in when it sends (see plan.sealed): the offer file's
    # ${NAME} templates, and the live secrets it reads again. Nothing else is expanded.
    # Written only when not empty: a step with neither is stored as before these existed.
    templates: list[TemplateRef] = Field(default_factory=list, exclude_if=_empty)
    live_values: list[LiveRef] = Field(default_factory=list, exclude_if=_empty)

    @property
    def offer_resource(self) -> dict[str, object]:
        for resource in self.resources:
            if resource.get("resourceName") == self.offer_resource_name:
                return resource
        raise KeyError(self.offer_resource_name)


class Change(MutableRecord):
    """Base of every action; each subclass pins ``action``, ``disruptive`` and its ordering."""

    CLASS_ORDERING: ClassVar[int] = 0

    action: Action
    file: str
    line: int = Field(ge=0)
    offer_name: str
    offer_id: str | None
    kind: OfferType  # privateOfferType
    etag: str | None = None  # the live eTag this change was computed from
    live_state: OfferState | None = None  # None when the offer does not exist yet
    desired_state: OfferState | None = None
    reason: Reason | None = None
    disruptive: bool = False
    blocked_reason: str | None = None
    override: str | None = None  # Blocked only: what would unblock it, if anything
    wanted: str | None = None  # Blocked only: the action that was refused
    waiting: bool = Field(
        default=False,
        # Left out when false: plans saved before this field keep their checksum.
        exclude_if=lambda waiting: not waiting,
        description="Blocked only: not refused but not possible yet (a selling partner's offer "
        "before its originator publishes); the next run completes it.",
    )
    field_changes: list[FieldChange] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    # What the renderers show beside the paths (see reconciler.render.view):
    labels: dict[str, str] = Field(
        default_factory=dict,
        description="Keyed-list key (product/plan, beneficiary id) -> the name a person "
        "recognises.",
    )
    unchanged: dict[str, Annotated[int, Field(ge=0)]] = Field(
        default_factory=dict, description="Block path -> how many of its fields did not change."
    )
    source: str | None = Field(default=None, description="A create: the offer file's own text.")

    @property
    def sort_key(self) -> tuple[int, str, str]:
        return (self.CLASS_ORDERING, self.file, self.offer_name)


class Create(Change):
    """A new offer (draft or live); price resources ride along in the same step."""

    CLASS_ORDERING: ClassVar[int] = 10
    action: Literal[Action.CREATE] = Action.CREATE
    disruptive: Literal[False] = False


class UpdateDraft(Change):
    """Edit a draft (or a withdrawn offer, which is editable again) and keep it a draft."""

    CLASS_ORDERING: ClassVar[int] = 20
    action: Literal[Action.UPDATE] = Action.UPDATE
    disruptive: Literal[False] = False


class Publish(Change):
    """Draft/withdrawn -> live, with its field changes in the same body."""

    CLASS_ORDERING: ClassVar[int] = 30
    action: Literal[Action.PUBLISH] = Action.PUBLISH
    disruptive: Literal[False] = False


class PartnerComplete(Change):
    """The selling partner completes a multiparty offer (markup, own T&C, contacts)."""

    CLASS_ORDERING: ClassVar[int] = 40
    action: Literal[Action.PARTNER_COMPLETE] = Action.PARTNER_COMPLETE
    disruptive: Literal[False] = False


class Republish(Change):
    """Withdraw a live, not-yet-accepted offer, then update it with state live."""

    CLASS_ORDERING: ClassVar[int] = 50
    action: Literal[Action.REPUBLISH] = Action.REPUBLISH
    disruptive: Literal[True] = True


class Recreate(Change):
    """Where the API forbids edits (live CSP offers): create a new offer, withdraw the old."""

    CLASS_ORDERING: ClassVar[int] = 60
    action: Literal[Action.RECREATE] = Action.RECREATE
    disruptive: Literal[True] = True


class Withdraw(Change):
    """``state: withdrawn`` in the file for a live offer."""

    CLASS_ORDERING: ClassVar[int] = 70
    action: Literal[Action.WITHDRAW] = Action.WITHDRAW
    disruptive: Literal[False] = False


class DeleteDraft(Change):
    """``state: deleted`` in the file for a draft."""

    CLASS_ORDERING: ClassVar[int] = 80
    action: Literal[Action.DELETE] = Action.DELETE
    disruptive: Literal[False] = False


class Blocked(Change):
    """No step is possible; ``blocked_reason`` says why and ``override`` what would help."""

    CLASS_ORDERING: ClassVar[int] = 90
    action: Literal[Action.BLOCKED] = Action.BLOCKED
    disruptive: Literal[False] = False


# The plan file's change: the concrete class is chosen by its ``action``.
AnyChange = Annotated[
    Create
    | UpdateDraft
    | Publish
    | PartnerComplete
    | Republish
    | Recreate
    | Withdraw
    | DeleteDraft
    | Blocked,
    Field(discriminator="action"),
]
CHANGES: TypeAdapter[list[AnyChange]] = TypeAdapter(list[AnyChange])

# Actions that take an offer (or a version of it) away from customers; safety thresholds count them.
REMOVING_ACTIONS = frozenset({"withdraw", "delete", "recreate", "republish"})
