"""The emulator's stored configure job (one row of its jobs table) as a pydantic model."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

JobState = Literal["notStarted", "running", "completed"]
JobResult = Literal["pending", "succeeded", "failed", "cancelled"]


class JobRecord(BaseModel):
    """A submitted job: what it carries, and once completed, its errors and detail.

    Stored as JSON with the API's spellings (``jobId``, ``deleteOnly``, ``resourceUri``), so
    the data directory of an earlier emulator still loads.
    """

    model_config = ConfigDict(
        extra="ignore", validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )

    job_id: str = Field(alias="jobId")
    account: str
    status: JobState
    result: JobResult
    start: str
    end: str
    submitted: float  # the emulator clock at submission (seconds)
    errors: list[dict[str, object]] = Field(default_factory=list)
    detail: list[dict[str, object]] = Field(default_factory=list)
    resources: list[dict[str, object]] = Field(default_factory=list)
    # Only deletions: a succeeded job of deletions has no resourceUri to read back.
    delete_only: bool = Field(default=False, alias="deleteOnly")
    fail: dict[str, object] | None = None  # an injected ``fail_job`` fault's code and message
    version: str
    resource_uri: str | None = Field(default=None, alias="resourceUri")
