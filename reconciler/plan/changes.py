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

Step resources are stored in ``REGISTRY.template`` form: a ``${SAS_URL}`` taken from the
environment stays ``${SAS_URL}`` in the plan file and is expanded by apply at send time.

Everything here is plain data with an exact ``to_data()`` / ``from_data()`` round trip; the
plan checksum is computed over that data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, cast

from reconciler.errors import PlanFileError

Origin = Literal["git", "live", "both", "unknown"]
Reason = Literal["git", "live", "both"]
StepKind = Literal["create", "update", "publish", "withdraw", "delete", "partner-complete"]
FieldOp = Literal["add", "remove", "change"]

ORIGINS: tuple[str, ...] = ("git", "live", "both", "unknown")
STEP_KINDS: tuple[str, ...] = (
    "create",
    "update",
    "publish",
    "withdraw",
    "delete",
    "partner-complete",
)


@dataclass(frozen=True)
class FieldChange:
    """One field difference between live and desired, by readable keyed path.

    ``path`` looks like ``pricing[product/…/plan/123456].discountPercentage``; list items
    are addressed by their key, never by index, so the path survives reordering.
    ``op`` is ``add`` (only desired has it; ``old`` is None), ``remove`` (only live has it;
    ``new`` is None) or ``change``. ``origin`` says who moved it relative to the baseline.
    """

    path: str
    old: Any
    new: Any
    origin: Origin = "unknown"
    op: FieldOp = "change"

    def to_data(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "op": self.op,
            "old": self.old,
            "new": self.new,
            "origin": self.origin,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> FieldChange:
        origin = data.get("origin", "unknown")
        op = data.get("op", "change")
        if origin not in ORIGINS or op not in ("add", "remove", "change"):
            raise PlanFileError(f"field change {data.get('path')!r}: bad origin/op")
        return cls(
            path=str(data["path"]),
            old=data.get("old"),
            new=data.get("new"),
            origin=cast(Origin, origin),
            op=cast(FieldOp, op),
        )


@dataclass
class Step:
    """One configure submission's worth of resources for one change.

    ``resources`` holds the private-offer resource plus any price resources it links by
    ``resourceName``; they must travel in the same request. ``offer_resource_name`` is the
    ``resourceName`` of the private-offer resource, used to map job errors and job-detail
    results back to this change. ``expect_etag`` is the live eTag the body was computed
    from (None for creates), which apply compares before sending.
    """

    kind: StepKind
    resources: list[dict[str, Any]]
    offer_resource_name: str
    expect_etag: str | None = None

    @property
    def offer_resource(self) -> dict[str, Any]:
        for resource in self.resources:
            if resource.get("resourceName") == self.offer_resource_name:
                return resource
        raise KeyError(self.offer_resource_name)

    def to_data(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "offer_resource_name": self.offer_resource_name,
            "expect_etag": self.expect_etag,
            "resources": self.resources,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Step:
        kind = data.get("kind")
        if kind not in STEP_KINDS:
            raise PlanFileError(f"unknown step kind {kind!r}")
        return cls(
            kind=cast(StepKind, kind),
            resources=list(data["resources"]),
            offer_resource_name=str(data["offer_resource_name"]),
            expect_etag=data.get("expect_etag"),
        )


@dataclass
class Change:
    """Base of every action; subclasses set ``ACTION``, ``CLASS_ORDERING``, ``DISRUPTIVE``."""

    ACTION: ClassVar[str] = "change"
    CLASS_ORDERING: ClassVar[int] = 0
    DISRUPTIVE: ClassVar[bool] = False

    file: str
    line: int
    offer_name: str
    offer_id: str | None
    kind: str  # privateOfferType
    etag: str | None = None  # the live eTag this change was computed from
    field_changes: list[FieldChange] = field(default_factory=list)
    reason: Reason | None = None
    steps: list[Step] = field(default_factory=list)
    live_state: str | None = None  # None when the offer does not exist yet
    desired_state: str | None = None
    blocked_reason: str | None = None
    override: str | None = None  # Blocked only: what would unblock it, if anything
    wanted: str | None = None  # Blocked only: the action that was refused
    # What the renderers show beside the paths (see reconciler.plan.render.view):
    labels: dict[str, str] = field(default_factory=dict)  # keyed-list key -> readable name
    unchanged: dict[str, int] = field(default_factory=dict)  # block path -> unchanged fields
    source: str | None = None  # a create: the offer file's own text

    @property
    def action(self) -> str:
        return self.ACTION

    @property
    def disruptive(self) -> bool:
        return self.DISRUPTIVE

    @property
    def sort_key(self) -> tuple[int, str, str]:
        return (self.CLASS_ORDERING, self.file, self.offer_name)

    def to_data(self) -> dict[str, Any]:
        return {
            "action": self.ACTION,
            "file": self.file,
            "line": self.line,
            "offer_name": self.offer_name,
            "offer_id": self.offer_id,
            "kind": self.kind,
            "etag": self.etag,
            "live_state": self.live_state,
            "desired_state": self.desired_state,
            "reason": self.reason,
            "disruptive": self.disruptive,
            "blocked_reason": self.blocked_reason,
            "override": self.override,
            "wanted": self.wanted,
            "field_changes": [fc.to_data() for fc in self.field_changes],
            "steps": [step.to_data() for step in self.steps],
            "labels": dict(self.labels),
            "unchanged": dict(self.unchanged),
            "source": self.source,
        }

    @staticmethod
    def from_data(data: dict[str, Any]) -> Change:
        action = data.get("action")
        cls = CHANGE_CLASSES.get(str(action))
        if cls is None:
            raise PlanFileError(f"unknown change action {action!r}")
        reason = data.get("reason")
        if reason not in (None, "git", "live", "both"):
            raise PlanFileError(f"change {data.get('offer_name')!r}: bad reason {reason!r}")
        try:
            return cls(
                file=str(data["file"]),
                line=int(data["line"]),
                offer_name=str(data["offer_name"]),
                offer_id=data.get("offer_id"),
                kind=str(data["kind"]),
                etag=data.get("etag"),
                field_changes=[FieldChange.from_data(fc) for fc in data.get("field_changes", [])],
                reason=cast("Reason | None", reason),
                steps=[Step.from_data(s) for s in data.get("steps", [])],
                live_state=data.get("live_state"),
                desired_state=data.get("desired_state"),
                blocked_reason=data.get("blocked_reason"),
                override=data.get("override"),
                wanted=data.get("wanted"),
                labels={str(k): str(v) for k, v in (data.get("labels") or {}).items()},
                unchanged={str(k): int(v) for k, v in (data.get("unchanged") or {}).items()},
                source=data.get("source"),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PlanFileError(f"malformed change in plan file: {exc}") from None


@dataclass
class Create(Change):
    """A new offer (draft or live); price resources ride along in the same step."""

    ACTION: ClassVar[str] = "create"
    CLASS_ORDERING: ClassVar[int] = 10


@dataclass
class UpdateDraft(Change):
    """Edit a draft (or a withdrawn offer, which is editable again) and keep it a draft."""

    ACTION: ClassVar[str] = "update"
    CLASS_ORDERING: ClassVar[int] = 20


@dataclass
class Publish(Change):
    """Draft/withdrawn -> live, with its field changes in the same body."""

    ACTION: ClassVar[str] = "publish"
    CLASS_ORDERING: ClassVar[int] = 30


@dataclass
class PartnerComplete(Change):
    """The selling partner completes a multiparty offer (markup, own T&C, contacts)."""

    ACTION: ClassVar[str] = "partner-complete"
    CLASS_ORDERING: ClassVar[int] = 40


@dataclass
class Republish(Change):
    """Withdraw a live, not-yet-accepted offer, then update it with state live."""

    ACTION: ClassVar[str] = "republish"
    CLASS_ORDERING: ClassVar[int] = 50
    DISRUPTIVE: ClassVar[bool] = True


@dataclass
class Recreate(Change):
    """Where the API forbids edits (live CSP offers): create a new offer, withdraw the old."""

    ACTION: ClassVar[str] = "recreate"
    CLASS_ORDERING: ClassVar[int] = 60
    DISRUPTIVE: ClassVar[bool] = True


@dataclass
class Withdraw(Change):
    """``state: withdrawn`` in the file for a live offer."""

    ACTION: ClassVar[str] = "withdraw"
    CLASS_ORDERING: ClassVar[int] = 70


@dataclass
class DeleteDraft(Change):
    """``state: deleted`` in the file for a draft."""

    ACTION: ClassVar[str] = "delete"
    CLASS_ORDERING: ClassVar[int] = 80


@dataclass
class Blocked(Change):
    """No step is possible; ``blocked_reason`` says why and ``override`` what would help."""

    ACTION: ClassVar[str] = "blocked"
    CLASS_ORDERING: ClassVar[int] = 90


CHANGE_CLASSES: dict[str, type[Change]] = {
    cls.ACTION: cls
    for cls in (
        Create,
        UpdateDraft,
        Publish,
        PartnerComplete,
        Republish,
        Recreate,
        Withdraw,
        DeleteDraft,
        Blocked,
    )
}

# Actions that take an offer (or a version of it) away from customers; safety thresholds count them.
REMOVING_ACTIONS = frozenset({"withdraw", "delete", "recreate", "republish"})
