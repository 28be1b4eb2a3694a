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
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from reconciler.errors import PlanFileError
from reconciler.plan.changes import Blocked, Change, Step
from reconciler.plan.extras import PlanExtra
from reconciler.plan.gone import GoneFile

PLAN_SCHEMA = "offers-plan/1"

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


@dataclass(frozen=True)
class OfferRef:
    """An offer whose file and live state already agree."""

    file: str
    offer_name: str
    offer_id: str | None
    kind: str
    state: str | None
    etag: str | None = None

    def to_data(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "offer_name": self.offer_name,
            "offer_id": self.offer_id,
            "kind": self.kind,
            "state": self.state,
            "etag": self.etag,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> OfferRef:
        return cls(
            file=str(data["file"]),
            offer_name=str(data["offer_name"]),
            offer_id=data.get("offer_id"),
            kind=str(data["kind"]),
            state=data.get("state"),
            etag=data.get("etag"),
        )


@dataclass(frozen=True)
class UnmanagedOffer:
    """A live offer no file claims; listed, never touched."""

    id: str
    name: str
    state: str | None
    kind: str | None = None
    sub_state: str | None = None

    def to_data(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "kind": self.kind,
            "sub_state": self.sub_state,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> UnmanagedOffer:
        return cls(
            id=str(data["id"]),
            name=str(data["name"]),
            state=data.get("state"),
            kind=data.get("kind"),
            sub_state=data.get("sub_state"),
        )


@dataclass(frozen=True)
class SkippedFile:
    """A file the current role does not plan (the other party's offers)."""

    file: str
    offer_name: str
    kind: str
    reason: str

    def to_data(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "offer_name": self.offer_name,
            "kind": self.kind,
            "reason": self.reason,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> SkippedFile:
        return cls(
            file=str(data["file"]),
            offer_name=str(data["offer_name"]),
            kind=str(data["kind"]),
            reason=str(data["reason"]),
        )


@dataclass(frozen=True)
class SafetyViolation:
    """One safety guard that fired; ``override`` names what lifts it."""

    rule: str  # "withdraw-threshold" | "update-threshold" | "withdraw-all"
    message: str
    override: str

    def to_data(self) -> dict[str, Any]:
        return {"rule": self.rule, "message": self.message, "override": self.override}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> SafetyViolation:
        return cls(
            rule=str(data["rule"]), message=str(data["message"]), override=str(data["override"])
        )


@dataclass
class SafetyReport:
    violations: list[SafetyViolation] = field(default_factory=list)
    forced: bool = False
    managed: int = 0  # live offers matched by a file (the population thresholds apply to)
    updates: int = 0
    removals: int = 0

    @property
    def blocked(self) -> bool:
        return bool(self.violations) and not self.forced

    def to_data(self) -> dict[str, Any]:
        return {
            "violations": [v.to_data() for v in self.violations],
            "forced": self.forced,
            "managed": self.managed,
            "updates": self.updates,
            "removals": self.removals,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> SafetyReport:
        return cls(
            violations=[SafetyViolation.from_data(v) for v in data.get("violations", [])],
            forced=bool(data.get("forced", False)),
            managed=int(data.get("managed", 0)),
            updates=int(data.get("updates", 0)),
            removals=int(data.get("removals", 0)),
        )


@dataclass
class PlanMeta:
    created_at: str
    endpoint: str
    role: str  # "publisher" | "partner"
    git_sha: str | None = None
    baseline: str | None = None  # the git ref the "why" was computed against
    schema: str = PLAN_SCHEMA
    # "all": every offer file and the whole account were read; "changed": only the files
    # changed since the baseline (a pull request's targeted plan), files_not_read others.
    scope: Literal["all", "changed"] = "all"
    files_not_read: int = 0

    def to_data(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "created_at": self.created_at,
            "endpoint": self.endpoint,
            "role": self.role,
            "git_sha": self.git_sha,
            "baseline": self.baseline,
            "scope": self.scope,
            "files_not_read": self.files_not_read,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> PlanMeta:
        return cls(
            schema=str(data["schema"]),
            created_at=str(data["created_at"]),
            endpoint=str(data["endpoint"]),
            role=str(data["role"]),
            git_sha=data.get("git_sha"),
            baseline=data.get("baseline"),
            scope="changed" if data.get("scope") == "changed" else "all",
            files_not_read=int(data.get("files_not_read") or 0),
        )


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass
class Plan:
    meta: PlanMeta
    changes: list[Change] = field(default_factory=list)
    unchanged: list[OfferRef] = field(default_factory=list)
    unmanaged: list[UnmanagedOffer] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    safety: SafetyReport = field(default_factory=SafetyReport)
    gone: list[GoneFile] = field(default_factory=list)
    extras: list[PlanExtra] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.sort()

    def sort(self) -> None:
        self.changes.sort(key=lambda c: c.sort_key)
        self.unchanged.sort(key=lambda r: (r.file, r.offer_name))
        self.unmanaged.sort(key=lambda u: (u.name, u.id))
        self.skipped.sort(key=lambda s: s.file)
        self.gone.sort(key=lambda g: g.file)

    @property
    def checksum(self) -> str:
        payload = canonical_json([c.to_data() for c in self.changes])
        return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()

    @property
    def actionable(self) -> list[Change]:
        """Changes apply would send (everything except Blocked)."""
        return [c for c in self.changes if not isinstance(c, Blocked)]

    @property
    def blocked_changes(self) -> list[Change]:
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
            parts.append(f"{counts['gone']} file(s) removed")
        return ", ".join(parts) if parts else "no offers"

    def to_data(self) -> dict[str, Any]:
        changes = [c.to_data() for c in self.changes]
        return {
            "schema": self.meta.schema,
            "meta": self.meta.to_data(),
            "summary": self.summary(),
            "changes": changes,
            "unchanged": [r.to_data() for r in self.unchanged],
            "unmanaged": [u.to_data() for u in self.unmanaged],
            "skipped": [s.to_data() for s in self.skipped],
            "safety": self.safety.to_data(),
            "gone": [g.to_data() for g in self.gone],
            "extras": [e.to_data() for e in self.extras],
            "has_changes": self.has_changes,
            "is_blocked": self.is_blocked,
            "checksum": self.checksum,
        }

    @classmethod
    def from_data(cls, data: Any) -> Plan:
        if not isinstance(data, dict):
            raise PlanFileError("plan file: expected a JSON object")
        schema = data.get("schema")
        if schema != PLAN_SCHEMA:
            raise PlanFileError(
                f"plan file: unsupported schema {schema!r} (this reconciler reads {PLAN_SCHEMA!r})"
            )
        try:
            plan = cls(
                meta=PlanMeta.from_data(data["meta"]),
                changes=[Change.from_data(c) for c in data.get("changes", [])],
                unchanged=[OfferRef.from_data(r) for r in data.get("unchanged", [])],
                unmanaged=[UnmanagedOffer.from_data(u) for u in data.get("unmanaged", [])],
                skipped=[SkippedFile.from_data(s) for s in data.get("skipped", [])],
                safety=SafetyReport.from_data(data.get("safety", {})),
                gone=[GoneFile.from_data(g) for g in data.get("gone", [])],
                extras=[PlanExtra.from_data(e) for e in data.get("extras", [])],
            )
        except PlanFileError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise PlanFileError(f"plan file: malformed ({type(exc).__name__}: {exc})") from None
        expected = data.get("checksum")
        if expected != plan.checksum:
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
