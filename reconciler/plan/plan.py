"""The plan as data: what ``reconciler plan`` computed and ``reconciler apply`` executes.

A :class:`Plan` is computed once and then only rendered (text, markdown, JSON) or saved.
``to_data()`` gives plain JSON-able dicts with a versioned schema (``offers-plan/1``,
described by ``schemas/plan.schema.json``); ``Plan.from_data()`` reverses it exactly and
refuses a file whose schema version is unknown or whose checksum does not match its
changes, so a plan edited after review cannot be applied.

The checksum is SHA-256 over the canonical JSON (sorted keys, no whitespace) of the
changes only: metadata such as the creation time does not alter it, so two plans of the
same files against the same live state have the same checksum (the octoDNS approach).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from typing import Annotated, Any, TypeVar, cast

from pydantic import Field, ValidationError, WithJsonSchema

from reconciler.errors import PlanFileError
from reconciler.plan.changes import CHANGES, AnyChange, Blocked, Change, Step
from reconciler.plan.deal import Deal
from reconciler.plan.extras import PlanExtra
from reconciler.plan.gone import GoneFile
from reconciler.plan.records import (
    PLAN_SCHEMA,
    MutableRecord,
    OfferRef,
    PlanMeta,
    PlanSchema,
    Record,
    SafetyReport,
    SafetyRule,
    SafetyViolation,
    SkippedFile,
    UnmanagedOffer,
)

__all__ = [
    "PLAN_SCHEMA",
    "SUMMARY_ORDER",
    "OfferRef",
    "Plan",
    "PlanFile",
    "PlanMeta",
    "SafetyReport",
    "SafetyRule",
    "SafetyViolation",
    "SkippedFile",
    "UnmanagedOffer",
    "batches",
    "canonical_json",
]

# Summary keys in display order; every action has one, plus "unchanged".
SUMMARY_ORDER = (
    "create",
    "update",
    "publish",
    "partner-complete",
    "republish",
    "recreate",
    "withdraw",
    "delete",
    "unchanged",
    "blocked",
)

_Count = Annotated[int, Field(ge=0)]


class PlanSummary(Record):
    """How many changes of each action, and how many offers in each other list."""

    create: _Count = 0
    update: _Count = 0
    publish: _Count = 0
    partner_complete: _Count = Field(default=0, ge=0, alias="partner-complete")
    republish: _Count = 0
    recreate: _Count = 0
    withdraw: _Count = 0
    delete: _Count = 0
    unchanged: _Count = 0
    blocked: _Count = 0
    unmanaged: _Count = 0
    skipped: _Count = 0
    gone: _Count = 0
    # Left out when 0: plans saved before these counts read and save the same.
    waiting: _Count = Field(default=0, exclude_if=lambda n: n == 0)
    drift: _Count = Field(default=0, exclude_if=lambda n: n == 0)


class PlanFile(Record):
    """A plan as saved (``--out plan.json``) and shown (``--format json``): ``offers-plan/1``.

    ``summary``, ``has_changes`` and ``is_blocked`` are written for readers and recomputed
    on load; ``checksum`` is checked against the changes on load.
    """

    version: PlanSchema = Field(default=PLAN_SCHEMA, alias="schema")
    meta: PlanMeta
    summary: PlanSummary = Field(default_factory=PlanSummary)
    changes: list[AnyChange] = Field(default_factory=list)
    unchanged: list[OfferRef] = Field(default_factory=list)
    unmanaged: list[UnmanagedOffer] = Field(default_factory=list)
    skipped: list[SkippedFile] = Field(default_factory=list)
    safety: SafetyReport = Field(default_factory=SafetyReport)
    gone: list[GoneFile] = Field(
        default_factory=list,
        description="Offer files at the baseline that were removed; their live offers stay, "
        "unmanaged.",
    )
    extras: list[PlanExtra] = Field(
        default_factory=list,
        description="Banners and sections other checks add (not part of the checksum).",
    )
    drift: list[AnyChange] = Field(
        default_factory=list,
        # Left out when empty: plans saved before this field read and save the same.
        exclude_if=lambda drift: not drift,
        description="A pull request's plan: changes that only undo edits made outside git. "
        "Not part of this pull request: never applied with it, not in the checksum.",
    )
    deals: dict[str, Deal] = Field(
        default_factory=dict,
        exclude_if=lambda deals: not deals,
        description="Offer file -> the business terms of its change (customers, prices, dates, "
        "risks) for the summary table. Not part of the checksum.",
    )
    has_changes: bool = False
    is_blocked: bool = False
    # Missing or wrong, the checksum is refused as a mismatch (not as a malformed file).
    checksum: Annotated[
        str | None, WithJsonSchema({"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"})
    ] = None


def canonical_json(data: object) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Plan(MutableRecord):
    """The plan in memory: its records, sorted, and what follows from them.

    Later checks add to it (removed files, extras, a price-guard violation), so it is not
    frozen; its saved form is :class:`PlanFile`.
    """

    meta: PlanMeta
    # object Change subclass, kept as constructed (the file form discriminates by action).
    changes: list[Change] = Field(default_factory=list)
    unchanged: list[OfferRef] = Field(default_factory=list)
    unmanaged: list[UnmanagedOffer] = Field(default_factory=list)
    skipped: list[SkippedFile] = Field(default_factory=list)
    safety: SafetyReport = Field(default_factory=SafetyReport)
    gone: list[GoneFile] = Field(default_factory=list)
    extras: list[PlanExtra] = Field(default_factory=list)
    # Not part of this pull request (see reconciler.plan.sections): shown, never applied.
    drift: list[Change] = Field(default_factory=list)
    # Offer file -> its deal terms (reconciler.plan.deal), added after the plan; not checksummed.
    deals: dict[str, Deal] = Field(default_factory=dict)

    def model_post_init(self, context: object, /) -> None:
        self.sort()

    def sort(self) -> None:
        self.changes.sort(key=lambda c: c.sort_key)
        self.unchanged.sort(key=lambda r: (r.file, r.offer_name))
        self.unmanaged.sort(key=lambda u: (u.name, u.id))
        self.skipped.sort(key=lambda s: s.file)
        self.gone.sort(key=lambda g: g.file)

    @property
    def checksum(self) -> str:
        return _checksum(CHANGES.dump_python(cast("list[AnyChange]", self.changes), mode="json"))

    @property
    def actionable(self) -> list[Change]:
        """Changes apply would send (everything except Blocked)."""
        return [c for c in self.changes if not isinstance(c, Blocked)]

    @property
    def blocked_changes(self) -> list[Change]:
        """Offers refused by the plan (waiting ones are not refused: see ``waiting_changes``)."""
        return [c for c in self.changes if isinstance(c, Blocked) and not c.waiting]

    @property
    def waiting_changes(self) -> list[Change]:
        """Offers that cannot change yet (a partner's offer before its originator publishes)."""
        return [c for c in self.changes if isinstance(c, Blocked) and c.waiting]

    @property
    def left_alone(self) -> list[Change]:
        """Blocked and waiting offers: apply reports each with its reason and sends the rest."""
        return [c for c in self.changes if isinstance(c, Blocked)]

    @property
    def has_changes(self) -> bool:
        return bool(self.actionable)

    @property
    def is_blocked(self) -> bool:
        """A guard fired (and was not forced) or some file asks for an impossible change."""
        return self.safety.blocked or bool(self.blocked_changes)

    def blocked_reasons(self) -> list[str]:
        reasons: list[str] = []
        if self.safety.blocked:
            reasons += [f"{v.message} (override: {v.override})" for v in self.safety.violations]
        for change in self.blocked_changes:
            text = f"{change.file}: {change.offer_name}: {change.blocked_reason}"
            if change.override:
                text += f" (override: {change.override})"
            reasons.append(text)
        return reasons

    def summary(self) -> dict[str, int]:
        counts: Counter[str] = Counter(c.action for c in self.changes)
        result = {key: counts.get(key, 0) for key in SUMMARY_ORDER}
        # A waiting offer is not refused: counted apart from the blocked ones.
        result["blocked"] = len(self.blocked_changes)
        result["waiting"] = len(self.waiting_changes)
        result["drift"] = len(self.drift)
        result["unchanged"] = len(self.unchanged)
        result["unmanaged"] = len(self.unmanaged)
        result["skipped"] = len(self.skipped)
        result["gone"] = len(self.gone)
        return result

    def scope_line(self) -> str | None:
        """What a targeted plan read (None for a full plan)."""
        if self.meta.scope != "changed":
            return None
        read = len(self.changes) + len(self.unchanged) + len(self.skipped)
        since = f" since {self.meta.baseline}" if self.meta.baseline else ""
        return (
            f"Scope: changed -- the {read} offer file(s) changed{since}; "
            f"{self.meta.files_not_read:,} other file(s) and the account's other offers were "
            "not read (apply at merge and the drift run read everything)."
        )

    def summary_line(self) -> str:
        """``2 to create, 1 to update, 40 unchanged, 1 blocked`` (zero counts left out)."""
        counts = self.summary()
        parts = []
        for key in SUMMARY_ORDER:
            n = counts[key]
            if not n:
                continue
            if key in ("unchanged", "blocked"):
                parts.append(f"{n} {key}")
            else:
                parts.append(f"{n} to {key}")
        if counts["unmanaged"]:
            parts.append(f"{counts['unmanaged']} unmanaged")
        if counts["skipped"]:
            parts.append(f"{counts['skipped']} skipped")
        if counts["gone"]:
            parts.append(f"{counts['gone']} file{'s' if counts['gone'] != 1 else ''} removed")
        if counts["waiting"]:
            parts.append(f"{counts['waiting']} waiting")
        if counts["drift"]:
            parts.append(f"{counts['drift']} changed outside git (not part of this plan)")
        return ", ".join(parts) if parts else "no offers"

    def to_data(self) -> dict[str, Any]:
        """The plan file's data (``PlanFile``), JSON-ready, keys in the file's order."""
        data = PlanFile.model_construct(
            meta=self.meta,
            summary=PlanSummary.model_validate(self.summary()),
            changes=cast("list[AnyChange]", self.changes),
            unchanged=self.unchanged,
            unmanaged=self.unmanaged,
            skipped=self.skipped,
            safety=self.safety,
            gone=self.gone,
            extras=self.extras,
            drift=cast("list[AnyChange]", self.drift),
            deals=self.deals,
            has_changes=self.has_changes,
            is_blocked=self.is_blocked,
        ).model_dump(mode="json")
        # Over the changes just dumped: dumping a large plan twice is its slowest part.
        data["checksum"] = _checksum(data["changes"])
        return data

    @classmethod
    def from_data(cls, data: object) -> Plan:
        if not isinstance(data, dict):
            raise PlanFileError("plan file: expected a JSON object")
        schema = data.get("schema")
        if schema != PLAN_SCHEMA:
            raise PlanFileError(
                f"plan file: unsupported schema {schema!r} (this reconciler reads {PLAN_SCHEMA!r})"
            )
        try:
            saved = PlanFile.model_validate(data)
        except ValidationError as exc:
            raise PlanFileError(f"plan file: malformed ({_first_error(exc)})") from None
        plan = cls(
            meta=saved.meta,
            changes=list(saved.changes),
            unchanged=saved.unchanged,
            unmanaged=saved.unmanaged,
            skipped=saved.skipped,
            safety=saved.safety,
            gone=saved.gone,
            extras=saved.extras,
            drift=list(saved.drift),
            deals=saved.deals,
        )
        if saved.checksum != plan.checksum:
            raise PlanFileError(
                "plan file: checksum mismatch -- the changes were edited after the plan was made; "
                "run `reconciler plan` again"
            )
        return plan

    def to_json(self) -> str:
        return json.dumps(self.to_data(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Plan:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PlanFileError(f"plan file: not valid JSON ({exc})") from None
        return cls.from_data(data)


def _checksum(changes: list[dict[str, object]]) -> str:
    payload = canonical_json(changes)
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _first_error(exc: ValidationError) -> str:
    """``changes.0.line: Input should be a valid integer`` (and how many more)."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    more = f"; and {len(errors) - 1} more" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}"


T = TypeVar("T")


def batches(steps: Sequence[tuple[T, Step]], max_resources: int) -> list[list[tuple[T, Step]]]:
    """Group steps into configure requests of at most *max_resources* resources.

    A step's resources always travel together (the offer references its prices by
    ``resourceName`` within the request), so a step larger than the limit gets a request
    of its own. A request never holds two resources with the same ``resourceName``.
    Order is preserved.
    """
    limit = max(1, max_resources)
    result: list[list[tuple[T, Step]]] = []
    current: list[tuple[T, Step]] = []
    size = 0
    names: set[str] = set()
    for item in steps:
        step = item[1]
        step_names = {str(r.get("resourceName")) for r in step.resources}
        count = len(step.resources)
        if current and (size + count > limit or names & step_names):
            result.append(current)
            current, size, names = [], 0, set()
        current.append(item)
        size += count
        names |= step_names
    if current:
        result.append(current)
    return result
