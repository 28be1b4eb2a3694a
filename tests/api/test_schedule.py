"""The poll schedule and the rate budget, driven by a fake clock: never more than one poll
per job per interval, the first poll when the job should be done, one probe at a time
until a job finished; the budget's rate and the Retry-After pause shared by all callers."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest

from reconciler.api.budget import RateBudget
from reconciler.api.schedule import PollSchedule


def drive(
    schedule: PollSchedule, submitted: dict[str, float], took: dict[str, float]
) -> dict[str, list[float]]:
    """Run the schedule until every job was seen done; the poll times of each job."""
    polls: dict[str, list[float]] = {job: [] for job in submitted}
    now = min(submitted.values())
    for job, at in sorted(submitted.items(), key=lambda kv: kv[1]):
        schedule.add(job, at)
    for _ in range(100_000):
        if not len(schedule):
            return polls
        due = schedule.due(now)
        for job in due:
            polls[job].append(now)
            schedule.seen(job, now, done=now >= submitted[job] + took[job])
        wake = schedule.next_due()
        if wake is not None:
            now = max(now, wake)
    raise AssertionError("the schedule never finished")


@pytest.mark.parametrize("interval", [0.5, 60.0])
def test_every_job_is_polled_at_most_once_per_interval_and_never_early(interval: float) -> None:
    rng = random.Random(3)
    submitted = {f"j{n}": n * interval / 40 for n in range(200)}
    took = {job: interval * rng.uniform(2, 5) for job in submitted}
    polls = drive(PollSchedule(interval), submitted, took)
    for job, times in polls.items():
        assert times, job
        assert times[0] >= submitted[job] + interval - 1e-9
        assert all(b - a >= interval - 1e-9 for a, b in pairwise(times))
        assert times[-1] >= submitted[job] + took[job]  # seen done
    # A naive loop polls every job every interval until it is done: 2-5 polls each here.
    naive = sum(int(took[j] // interval) + 1 for j in submitted)
    assert sum(map(len, polls.values())) < 0.6 * naive


def test_jobs_of_one_latency_cost_one_poll_each_after_a_few_probes() -> None:
    interval, latency = 0.5, 2.0
    submitted = {f"j{n}": n * 0.005 for n in range(200)}
    polls = drive(PollSchedule(interval), submitted, dict.fromkeys(submitted, latency))
    total = sum(map(len, polls.values()))
    # The probes before the first job is seen done: one per quarter interval; every job
    # but the probed ones is polled once, when it is done.
    probes = 4 * latency / interval + 1
    assert total <= 200 + probes
    assert sum(1 for times in polls.values() if len(times) == 1) >= 200 - probes


def test_jobs_taken_over_from_a_journal_are_polled_at_once_all_together() -> None:
    schedule = PollSchedule(60.0)
    for n in range(5):
        schedule.add(f"old{n}", 100.0, known_age=False)
    schedule.add("new", 100.0)
    assert schedule.due(100.0) == [f"old{n}" for n in range(5)]


def test_the_budget_keeps_its_rate_and_a_retry_after_pauses_every_caller() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    budget = RateBudget(10.0, burst=5, clock=lambda: now[0], sleep=sleep)
    for _ in range(25):
        budget.acquire()
    # 5 at once (the burst), then 10 a second.
    assert now[0] == pytest.approx(2.0)
    budget.pause(3.0)
    budget.acquire()
    assert now[0] == pytest.approx(5.0 + 0.1)
    unlimited = RateBudget(None, clock=lambda: now[0], sleep=sleep)
    unlimited.pause(1.0)
    unlimited.acquire()
    assert now[0] == pytest.approx(6.1)


@pytest.mark.parametrize("seen_at", [2.1, 1.6])
def test_the_service_s_job_times_put_each_first_poll_at_the_job_s_end(seen_at: float) -> None:
    """The age at which a job was seen done is late when a probe saw it late (2.1 s), and
    early when its submission's answer came late (1.6 s: the job had started 0.4 s before
    it). The times the service reports (jobStart to jobEnd) are neither: the later jobs
    are polled when they end."""
    interval, latency = 0.5, 2.0
    schedule = PollSchedule(interval)
    schedule.add("first", 0.0)
    schedule.seen("first", seen_at, done=True, ran=latency)
    schedule.add("next", 1.0)
    assert schedule.next_due() == pytest.approx(1.0 + latency)
    without_times = PollSchedule(interval)
    without_times.add("first", 0.0)
    without_times.seen("first", seen_at, done=True)
    without_times.add("next", 1.0)
    assert without_times.next_due() == pytest.approx(1.0 + seen_at)


def test_job_times_that_understate_the_wait_are_dropped_after_the_first_miss() -> None:
    """A service whose jobStart is when a queued job began running reports less than the
    wait: the first job still running when those times said it was done turns them off,
    and the schedule goes back to the ages at which jobs were seen done."""
    interval = 0.5
    schedule = PollSchedule(interval)
    schedule.add("first", 0.0)
    schedule.seen("first", 3.0, done=True, ran=1.0)  # queued 2 s, ran 1 s
    schedule.add("next", 10.0)
    assert schedule.next_due() == pytest.approx(11.0)
    schedule.seen("next", 11.0, done=False)  # still running
    schedule.seen("next", 13.0, done=True, ran=1.0)
    schedule.add("third", 20.0)
    assert schedule.due(22.9) == []
    assert schedule.due(23.0) == ["third"]


def test_job_times_beyond_what_was_seen_are_not_believed() -> None:
    """The service's clock is not ours: a job it says ran an hour, seen done two seconds
    after its answer, took at most those two seconds and one interval."""
    schedule = PollSchedule(0.5)
    schedule.add("first", 0.0)
    schedule.seen("first", 2.0, done=True, ran=3600.0)
    schedule.add("next", 10.0)
    assert schedule.next_due() == pytest.approx(12.5)
