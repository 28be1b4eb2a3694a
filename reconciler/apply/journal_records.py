"""The apply journal's records as pydantic models: what each JSON line holds, by its ``t``."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from reconciler.apply.states import Verdict

# (change index in plan.changes, step index)
Item = tuple[int, int]
# (change index, step index, how the step ended)
ItemVerdict = tuple[int, int, Verdict]


class JournalRecord(BaseModel):
    """One line of a journal; ``at`` is set by the writer (ISO 8601, UTC).

    Keys a record does not declare are kept (``extra="allow"``): a journal written by a
    newer reconciler of the same version still replays, and resume needs only these.
    """

    model_config = ConfigDict(frozen=True, extra="allow")

    at: str | None = None
    crc: str | None = Field(
        default=None,
        pattern="^[0-9a-f]{8}$",
        description="CRC-32 of the line's text without this key, which is written last: a "
        "line whose checksum fails is a torn write (reconciler/apply/journal_frame.py).",
    )


class OpenRecord(JournalRecord):
    """The first line: the whole plan, as planned, and where it is applied."""

    t: Literal["open"]
    v: int
    plan_checksum: str
    target: str = ""
    endpoint: str = ""
    # Checked, checksum included, by Plan.from_data when the journal is read.
    plan: dict[str, object] = Field(
        description="The plan as planned: a plan file's data (schemas/plan.schema.json)."
    )


class IntentRecord(JournalRecord):
    """Written before a configure request is sent: what it carries (never the bodies)."""

    t: Literal["intent"]
    req: int
    items: list[Item] = Field(default_factory=list)
    changes: list[str] = Field(default_factory=list)
    offers: list[str] = Field(default_factory=list)
    resource_names: list[str] = Field(default_factory=list)
    targets: dict[int, str | None] = Field(default_factory=dict)
    etags: dict[int, str | None] = Field(default_factory=dict)  # change index -> eTag sent
    # change index -> ids of the live offers with the create's name right before the POST
    before: dict[int, list[str]] = Field(default_factory=dict)
    digest: str | None = None  # SHA-256 of the templated request body


class SubmittedRecord(JournalRecord):
    t: Literal["submitted"]
    req: int
    job_id: str


class RefusedRecord(JournalRecord):
    t: Literal["refused"]
    req: int
    error: str = "refused"
    # A request holding several offers refused with HTTP 400: nothing took effect, and its
    # offers are to be sent again one per request (by this run, or by the one resuming it).
    split: bool = False


class AmbiguousRecord(JournalRecord):
    """The answer was lost: ``accepted`` and ``found`` say what checking the effect showed."""

    t: Literal["ambiguous"]
    req: int
    accepted: bool | None = None
    found: list[dict[str, object]] = Field(default_factory=list)


class ResolvedRecord(JournalRecord):
    t: Literal["resolved"]
    req: int
    items: list[ItemVerdict] = Field(default_factory=list)
    # change index -> the id of the offer a lost create was found to have made
    created: dict[int, str] = Field(default_factory=dict)


class ResultRecord(JournalRecord):
    """A job's final status, each item's verdict, and the ids and eTags learned."""

    t: Literal["result"]
    req: int
    job_id: str | None = None
    job_status: str | None = None
    job_result: str | None = None
    resource_uri: str | None = None
    items: list[ItemVerdict] = Field(default_factory=list)
    errors: dict[int, list[dict[str, object]]] = Field(default_factory=dict)
    created: dict[int, str] = Field(default_factory=dict)
    etags: dict[int, str | None] = Field(default_factory=dict)


class StaleRecord(JournalRecord):
    """A change not sent because its live offer moved since the plan."""

    t: Literal["stale"]
    change: int
    reason: str = ""


class ClosedRecord(JournalRecord):
    t: Literal["closed"]
    reason: str = ""


AnyRecord = Annotated[
    OpenRecord
    | IntentRecord
    | SubmittedRecord
    | RefusedRecord
    | AmbiguousRecord
    | ResolvedRecord
    | ResultRecord
    | StaleRecord
    | ClosedRecord,
    Field(discriminator="t"),
]
RECORD: TypeAdapter[AnyRecord] = TypeAdapter(AnyRecord)
# Record types this reconciler replays; others (from a newer one) are skipped.
KINDS = frozenset(
    ("open", "intent", "submitted", "refused", "ambiguous", "resolved", "result", "stale", "closed")
)

JOURNAL_SCHEMA_FILE = "journal.schema.json"


def render_journal_schemas() -> dict[str, str]:
    """File name -> exact text of the committed schema of one journal line."""
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/offer-reconciler/offer-reconciler/schemas/journal.schema.json",
        "title": "offer-reconciler apply journal record (version 2)",
        "description": "One line of an apply journal (.reconciler/journal/*.jsonl); "
        "see docs/apply.md.",
        **RECORD.json_schema(mode="serialization"),
    }
    return {JOURNAL_SCHEMA_FILE: json.dumps(schema, indent=2, sort_keys=True) + "\n"}
