"""The plan's leaf records (pydantic): offers in sync, unmanaged, skipped; safety; metadata."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reconciler.offers.domain import OfferType, Role
from reconciler.plan.scope import Scope

PlanSchema = Literal["offers-plan/1"]
PLAN_SCHEMA: PlanSchema = "offers-plan/1"


class Record(BaseModel):
    """Base of every record a plan file holds.

    Unknown keys are ignored on load, so a plan file written by an older or newer
    reconciler of the same schema still loads; the generated schema is strict
    (``additionalProperties: false``, every key required) because the reconciler always
    writes every key.
    """

    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        json_schema_serialization_defaults_required=True,
        json_schema_extra={"additionalProperties": False},
    )


class MutableRecord(Record):
    """A record later plan checks still add to (safety violations, labels, reasons)."""

    model_config = ConfigDict(frozen=False)


class OfferRef(Record):
    """An offer whose file and live state already agree."""

    file: str
    offer_name: str
    offer_id: str | None
    kind: OfferType
    # Live values: kept as the API spells them (the plan never acts on them).
    state: str | None
    etag: str | None = None


class UnmanagedOffer(Record):
    """A live offer no file claims; listed, never touched (its values as the API sent them)."""

    id: str
    name: str
    state: str | None
    kind: str | None = None
    sub_state: str | None = None


class SkippedFile(Record):
    """A file the current role does not plan (the other party's offers)."""

    file: str
    offer_name: str
    kind: OfferType
    reason: str


class SafetyRule(StrEnum):
    """The guard that fired (``reconciler.plan.safety`` and the strict price check)."""

    WITHDRAW_THRESHOLD = "withdraw-threshold"
    UPDATE_THRESHOLD = "update-threshold"
    WITHDRAW_ALL = "withdraw-all"
    PRICE_GUARD = "price-guard"


class SafetyViolation(Record):
    """One safety guard that fired; ``override`` names what lifts it."""

    rule: SafetyRule
    message: str
    override: str


class SafetyReport(MutableRecord):
    violations: list[SafetyViolation] = Field(default_factory=list)
    forced: bool = False
    # Live offers matched by a file: the population the thresholds apply to.
    managed: int = Field(default=0, ge=0)
    updates: int = Field(default=0, ge=0)
    removals: int = Field(default=0, ge=0)
    # The managed offers not withdrawn or deleted (the withdraw-all guard's population).
    active: int = Field(default=0, ge=0, exclude_if=lambda n: n == 0)
    drift: int = Field(
        default=0,
        ge=0,
        exclude_if=lambda n: n == 0,
        description="changes made outside git set apart from a pull request's plan: not "
        "counted by the thresholds, which count only the changes the pull request proposes",
    )

    @property
    def blocked(self) -> bool:
        return bool(self.violations) and not self.forced


class PlanMeta(MutableRecord):
    # ``schema`` would shadow a BaseModel method; the file spells it ``schema``.
    version: PlanSchema = Field(default=PLAN_SCHEMA, alias="schema")
    created_at: str
    endpoint: str
    role: Role
    git_sha: str | None = None
    baseline: str | None = Field(
        default=None, description="the git ref the plan's 'why' was computed against"
    )
    scope: Scope = Field(
        default=Scope.ALL,
        description="all: every offer file and the whole account were read; changed: only "
        "the files changed since the baseline (plan.scope)",
    )
    files_not_read: int = Field(
        default=0, ge=0, description="offer files a targeted plan did not read"
    )


class GoneFile(Record):
    """A file at the baseline that is no longer there, and the live offer it managed."""

    file: str
    offer_name: str
    offer_id: str | None
    # The live offer's state now, as the API spells it (None: no live offer).
    state: str | None
    renamed_to: str | None = None  # the file git sees as its rename, or "the name '…'"

    @property
    def name_changed(self) -> bool:
        """The file is still there; the offer's name in it changed."""
        return bool(self.renamed_to and self.renamed_to.startswith("the name "))
