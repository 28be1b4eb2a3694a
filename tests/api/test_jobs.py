"""The job poller: many jobs at once, updates, pending on 5xx, deadline, Ctrl-C."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from reconciler.api.jobs import JobStatus, default_poll_interval, wait_for_jobs
from reconciler.errors import ApiServerError, JobTimeout
from tests.api.fakes import FakeClock


@dataclass
class ScriptedJobs:
    """job id -> list of what successive status polls return (the last one repeats)."""

    endpoint: str = "https://graph.microsoft.com/rp/product-ingestion"
    script: dict[str, list[JobStatus | Exception]] = field(default_factory=dict)
    polls: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    interrupt_after: int | None = None

    def job_status(self, job_id: str, *, retry: bool = True) -> JobStatus:
        assert retry is False  # the poller itself is the retry loop
        self.polls.append(job_id)
        if self.interrupt_after is not None and len(self.polls) > self.interrupt_after:
            raise KeyboardInterrupt
        steps = self.script[job_id]
        step = steps.pop(0) if len(steps) > 1 else steps[0]
        if isinstance(step, Exception):
            raise step
        return step

    def cancel_job(self, job_id: str) -> JobStatus:
        self.cancelled.append(job_id)
        return JobStatus(job_id, "completed", "cancelled")


def st(job_id: str, status: str, result: str = "pending") -> JobStatus:
    return JobStatus(job_id, status, result)


def test_waits_for_all_jobs_and_reports_each_change() -> None:
    jobs = ScriptedJobs(
        script={
            "a": [st("a", "notStarted"), st("a", "running"), st("a", "completed", "succeeded")],
            "b": [
                st("b", "running"),
                st("b", "running"),
                st("b", "running"),
                st("b", "completed", "failed"),
            ],
        }
    )
    clock = FakeClock()
    updates: list[tuple[str, str]] = []
    result = wait_for_jobs(
        jobs,
        ["a", "b"],
        interval=2,
        timeout=60,
        clock=clock,
        sleep=clock.sleep,
        on_update=lambda s: updates.append((s.job_id, s.job_status)),
    )
    assert result["a"].succeeded and result["b"].done and not result["b"].succeeded
    assert updates == [
        ("a", "notStarted"),
        ("b", "running"),
        ("a", "running"),
        ("a", "completed"),
        ("b", "completed"),
    ]
    assert clock.sleeps == [2, 2, 2]
    assert jobs.polls.count("a") == 3  # a finished job is not polled again


def test_5xx_on_a_status_poll_counts_as_pending() -> None:
    jobs = ScriptedJobs(
        script={"a": [ApiServerError("HTTP 503", status=503), st("a", "completed", "succeeded")]}
    )
    clock = FakeClock()
    result = wait_for_jobs(jobs, ["a"], interval=1, timeout=10, clock=clock, sleep=clock.sleep)
    assert result["a"].succeeded


def test_deadline_raises_job_timeout_with_unfinished_ids() -> None:
    jobs = ScriptedJobs(
        script={"a": [st("a", "completed", "succeeded")], "b": [st("b", "running")]}
    )
    clock = FakeClock()
    with pytest.raises(JobTimeout) as info:
        wait_for_jobs(jobs, ["a", "b"], interval=5, timeout=12, clock=clock, sleep=clock.sleep)
    assert info.value.job_ids == ["b"]
    assert info.value.exit_code == 6
    assert sum(clock.sleeps) == 12


def test_interrupt_leaves_jobs_running_unless_asked() -> None:
    jobs = ScriptedJobs(script={"a": [st("a", "running")]}, interrupt_after=1)
    clock = FakeClock()
    with pytest.raises(KeyboardInterrupt):
        wait_for_jobs(jobs, ["a"], interval=1, timeout=10, clock=clock, sleep=clock.sleep)
    assert jobs.cancelled == []


def test_interrupt_cancels_when_asked() -> None:
    jobs = ScriptedJobs(
        script={
            "a": [st("a", "running")],
            "b": [st("b", "completed", "succeeded")],
            "c": [st("c", "running")],
        },
        interrupt_after=3,
    )
    clock = FakeClock()
    with pytest.raises(KeyboardInterrupt):
        wait_for_jobs(
            jobs,
            ["a", "b", "c"],
            interval=1,
            timeout=10,
            clock=clock,
            sleep=clock.sleep,
            cancel_on_interrupt=True,
        )
    assert jobs.cancelled == ["a", "c"]


def test_default_interval_depends_on_endpoint() -> None:
    assert default_poll_interval("https://graph.microsoft.com/rp/product-ingestion", None) == 60
    assert default_poll_interval("https://127.0.0.1:8443/rp/product-ingestion", None) == 0.5
    assert default_poll_interval("http://localhost:1/x", None) == 0.5
    assert default_poll_interval("https://graph.microsoft.com/rp/product-ingestion", 5.0) == 5.0


def test_job_status_parsing_tolerates_doc_variants() -> None:
    status = JobStatus.from_data(
        {
            "jobID": "j1",
            "jobStatus": "Completed",
            "jobResult": "Failed",
            "jobStart": "2021-12-21T21:29:54.9702903Z",
            "jobEnd": "0001-01-01T00:00:00",
            "errors": [
                {
                    "code": "conflict",
                    "message": "stale",
                    "resourceId": "private-offer/1",
                    "details": [{"code": "invalidState", "message": "eTag"}],
                }
            ],
        }
    )
    assert (status.job_id, status.job_status, status.job_result) == ("j1", "completed", "failed")
    assert status.job_end is None and status.job_start
    assert status.errors[0].details[0].code == "invalidState"
    assert "conflict [private-offer/1]: stale" in str(status.errors[0])
