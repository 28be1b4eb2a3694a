"""Configure jobs: their status model and one poller that waits for many jobs at once.

A ``POST configure`` returns a job; the job runs for seconds (emulator) to many minutes (real
API). :func:`wait_for_jobs` polls every unfinished job once per interval, calls
``on_update`` whenever a job's status changes, and stops at an overall deadline with
:class:`~reconciler.errors.JobTimeout` naming the jobs still running. Polling is deliberately
forgiving: a 5xx, throttling or network error on a status poll counts as "still pending"
(cloudpub does the same), because one bad poll must not abandon a job that is running fine.

The interval defaults to 60 s against the real API (its documented "at most once a minute")
and 0.5 s against an emulator or any loopback endpoint. Ctrl-C cancels the unfinished jobs
only when the caller asked for it (``cancel_on_interrupt=True``); otherwise the jobs keep
running on the service and the interrupt propagates.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

from reconciler.errors import ApiServerError, ApiUnreachable, JobTimeout, ThrottledError

log = logging.getLogger(__name__)

REAL_API_POLL_INTERVAL = 60.0
LOCAL_POLL_INTERVAL = 0.5

_UNSET_DATES = ("0001-01-01",)


@dataclass(frozen=True)
class JobError:
    code: str
    message: str
    resource_id: str | None = None
    details: list[JobError] = field(default_factory=list)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> JobError:
        details = data.get("details") or []
        return cls(
            code=str(data.get("code") or "unknown"),
            message=str(data.get("message") or ""),
            resource_id=data.get("resourceId"),
            details=[cls.from_data(d) for d in details if isinstance(d, Mapping)],
        )

    def __str__(self) -> str:
        where = f" [{self.resource_id}]" if self.resource_id else ""
        text = f"{self.code}{where}: {self.message}"
        for detail in self.details:
            text += "\n  " + str(detail).replace("\n", "\n  ")
        return text


def _lower_camel(value: object, default: str) -> str:
    # The docs' tables capitalise the enum values (NotStarted); the JSON uses lowerCamel.
    text = str(value or default)
    return text[:1].lower() + text[1:]


def _date(value: object) -> str | None:
    if not value or not isinstance(value, str) or value.startswith(_UNSET_DATES):
        return None
    return value


@dataclass(frozen=True)
class JobStatus:
    job_id: str
    job_status: str  # "notStarted" | "running" | "completed"
    job_result: str  # "pending" | "succeeded" | "failed" | "cancelled"
    errors: list[JobError] = field(default_factory=list)
    resource_uri: str | None = None
    job_start: str | None = None
    job_end: str | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> JobStatus:
        # One generic doc sample spells the key "jobID"; accept both.
        job_id = data.get("jobId") or data.get("jobID") or ""
        return cls(
            job_id=str(job_id),
            job_status=_lower_camel(data.get("jobStatus"), "notStarted"),
            job_result=_lower_camel(data.get("jobResult"), "pending"),
            errors=[
                JobError.from_data(e) for e in data.get("errors") or [] if isinstance(e, Mapping)
            ],
            resource_uri=data.get("resourceUri") or data.get("resourceURI"),
            job_start=_date(data.get("jobStart")),
            job_end=_date(data.get("jobEnd")),
        )

    @property
    def done(self) -> bool:
        return self.job_status == "completed"

    @property
    def succeeded(self) -> bool:
        return self.done and self.job_result == "succeeded"

    @property
    def ran(self) -> float | None:
        """Seconds from ``jobStart`` to ``jobEnd`` by the service's own clock (None until
        both are set). A time without fractions of a second may be up to a second late: it
        counts a second more, so the figure never understates how long a job can take."""
        if not self.done or not self.job_start or not self.job_end:
            return None
        try:
            start, end = _instant(self.job_start), _instant(self.job_end)
            seconds = (end - start).total_seconds()
        except (TypeError, ValueError):
            return None
        coarse = "." not in self.job_start or "." not in self.job_end
        return max(0.0, seconds) + (1.0 if coarse else 0.0)


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("z", "Z"))


class JobClient(Protocol):
    """What the poller needs from a client (ProductIngestionClient satisfies it)."""

    endpoint: str

    def job_status(self, job_id: str, *, retry: bool = True) -> JobStatus: ...

    def cancel_job(self, job_id: str) -> JobStatus: ...


def is_local_endpoint(endpoint: str) -> bool:
    host = urlsplit(endpoint).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def default_poll_interval(endpoint: str, configured: float | None) -> float:
    if configured is not None:
        return configured
    return LOCAL_POLL_INTERVAL if is_local_endpoint(endpoint) else REAL_API_POLL_INTERVAL


def wait_for_jobs(
    client: JobClient,
    job_ids: Iterable[str],
    *,
    interval: float,
    timeout: float,
    on_update: Callable[[JobStatus], None] | None = None,
    cancel_on_interrupt: bool = False,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    first_poll_after: float = 0.0,
) -> dict[str, JobStatus]:
    """Poll every job until all are completed; return the final status of each.

    *first_poll_after* delays the first round: a job submitted a moment ago is not done
    yet, and each status read counts against the API's once-a-minute polling guidance.
    Raises JobTimeout (with the unfinished ids) when *timeout* seconds pass first.
    """
    pending = list(dict.fromkeys(job_ids))
    finished: dict[str, JobStatus] = {}
    last_seen: dict[str, JobStatus] = {}
    deadline = clock() + timeout
    try:
        if first_poll_after > 0 and pending:
            sleep(min(first_poll_after, max(0.0, deadline - clock())))
        while True:
            for job_id in list(pending):
                try:
                    status = client.job_status(job_id, retry=False)
                except (ApiServerError, ApiUnreachable, ThrottledError) as exc:
                    log.info("job %s: status poll failed (%s); still pending", job_id, exc.message)
                    continue
                if last_seen.get(job_id) != status:
                    last_seen[job_id] = status
                    if on_update is not None:
                        on_update(status)
                if status.done:
                    finished[job_id] = status
                    pending.remove(job_id)
            if not pending:
                return finished
            remaining = deadline - clock()
            if remaining <= 0:
                raise JobTimeout(
                    f"{len(pending)} job(s) still running after {timeout:g} s: "
                    + ", ".join(pending)
                    + " (they keep running; check them later with `reconciler jobs`)",
                    job_ids=list(pending),
                )
            sleep(min(interval, remaining))
    except KeyboardInterrupt:
        if cancel_on_interrupt and pending:
            log.warning("interrupted: cancelling %d unfinished job(s)", len(pending))
            for job_id in pending:
                try:
                    client.cancel_job(job_id)
                    log.warning("job %s: cancel requested", job_id)
                except Exception as exc:  # keep cancelling the others, then re-raise the interrupt
                    log.warning("job %s: cancel failed: %s", job_id, exc)
        elif pending:
            log.warning("interrupted: %d job(s) left running: %s", len(pending), ", ".join(pending))
        raise
