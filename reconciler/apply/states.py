"""The applier's typed vocabulary: step verdicts, change states and the client it drives."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Protocol

from reconciler.api.jobs import JobStatus


class Verdict(StrEnum):
    """How one step of one change ended, as the journal records it."""

    SUCCEEDED = "succeeded"  # its job succeeded
    FAILED = "failed"  # its job failed
    CANCELLED = "cancelled"  # its job was cancelled
    REFUSED = "refused"  # the request was refused outright (nothing accepted)
    APPLIED = "applied"  # answer lost, the effect was found on the live offers
    NOT_APPLIED = "not-applied"  # answer lost, proven without effect: safe to send again
    MOVED = "moved"  # answer lost, the target changed in a way the step does not explain
    IN_FLIGHT = "in-flight"  # job id known, no final result yet
    UNRESOLVED = "unresolved"  # sent, answer lost, effect not decided yet

    @property
    def took_effect(self) -> bool:
        return self in (Verdict.SUCCEEDED, Verdict.APPLIED)


class RunState(StrEnum):
    """Where one change is in its steps (the state machine of docs/apply.md)."""

    READY = "ready"  # its next step can be sent
    WAITING = "waiting"  # a job or an unresolved request holds its next step
    DONE = "done"  # finished: the outcome's status says how


class ApplyClient(Protocol):
    """What apply needs from the API (ProductIngestionClient satisfies it)."""

    endpoint: str

    @property
    def poll_interval(self) -> float: ...

    def configure(self, resources: list[dict[str, object]]) -> JobStatus: ...

    def job_status(self, job_id: str, *, retry: bool = True) -> JobStatus: ...

    def job_detail(self, job_id: str) -> list[dict[str, object]]: ...

    def cancel_job(self, job_id: str) -> JobStatus: ...

    def list_offers(self) -> Iterator[dict[str, object]]: ...

    def get_offer(self, offer_id: str) -> dict[str, object]: ...
