"""When to poll each open job: at most once per interval, the first time when it should be done.

The documentation asks to poll a job's status at most once a minute. Apply may have
hundreds of jobs open at once (one offer per request), so *when* each is polled decides
how many polls it costs. :class:`PollSchedule` answers "which jobs are due now":

* a job's polls are at least ``interval`` apart, and its first poll is no sooner than
  ``interval`` after its submission: never more than one poll per job per interval;
* its first poll is at the **expected completion**: the median time the jobs of this run
  took to be seen done (a job seen done at age *a* took at most *a*), or ``interval``
  while none has finished; so a job typically costs exactly one poll. When the service
  says how long its jobs ran (``jobStart`` to ``jobEnd``), the median of that is the
  figure (at most the age at which the job was seen done plus one interval: the service's
  clock is not ours): a job's age counts from the answer to its submission and the job
  started before that answer, so it is done by then. (An age at which a job was *seen* done says
  less: a job whose answer came late -- a busy client, a slow network -- is seen done
  "young", and polling the others at that age finds them running.) Were the service's
  times to understate the wait (a ``jobStart`` that is when a queued job began), the first
  job found still running at its expected completion turns them off for the run;
* while no job of this run has finished, one job is polled per quarter interval (a
  probe): the oldest due job not polled yet. Jobs submitted later cannot be expected to
  finish first, so polling all of them would only learn "not yet" hundreds of times. Each
  probe is of an older job than the last one was (by a quarter interval), so the first job
  seen done overestimates the latency by at most a quarter interval, and a slow or stuck
  job is probed once per interval, not forever. Each job is still polled at most once per
  interval; probes add about ``4 x latency / interval`` polls to the whole run.

Jobs taken over from a journal (an earlier run submitted them) are due at once: their age
is unknown and this run has not polled them yet.
"""

from __future__ import annotations

import statistics
from collections.abc import Collection
from dataclasses import dataclass

PROBES_PER_INTERVAL = 4


@dataclass
class _Job:
    submitted: float
    due: float
    fresh: bool  # submitted by this run: its age is known
    polls: int = 0


class PollSchedule:
    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._jobs: dict[str, _Job] = {}
        self._took: list[float] = []  # ages at which jobs of this run were seen done
        self._ran: list[float] = []  # how long the service says each of them ran
        self._trust_ran = True
        self._next_probe = float("-inf")
        self._expected: float | None = None  # the median below, until a job teaches more

    @property
    def expected(self) -> float:
        """Seconds from submission to the first poll of a new job."""
        if self._expected is None:
            took = self._ran if self._trust_ran and self._ran else self._took
            self._expected = max(self.interval, statistics.median(took)) if took else self.interval
        return self._expected

    def add(self, job_id: str, submitted: float, *, known_age: bool = True) -> None:
        if job_id in self._jobs:
            return
        due = submitted + self.expected if known_age else submitted
        self._jobs[job_id] = _Job(submitted, due, fresh=known_age)

    def __contains__(self, job_id: str) -> bool:
        return job_id in self._jobs

    def __len__(self) -> int:
        return len(self._jobs)

    def due(self, now: float, busy: Collection[str] = ()) -> list[str]:
        """The jobs to poll now, oldest first (a single probe while none has finished);
        *busy*: jobs whose poll is still on its way (never polled twice at once)."""
        # A job of this run is not polled before its expected completion (what was learned
        # since it was added moves it later), nor within an interval of its last poll.
        expected = self.expected
        for job in self._jobs.values():
            if job.fresh:
                job.due = max(job.due, job.submitted + expected)
        ready = sorted(
            (j.polls, j.submitted, job_id)
            for job_id, j in self._jobs.items()
            if j.due <= now and job_id not in busy
        )
        if self._took:
            return [job_id for _, _, job_id in sorted(ready, key=lambda r: r[1])]
        taken_over = [job_id for _, _, job_id in ready if not self._jobs[job_id].fresh]
        mine = [job_id for _, _, job_id in ready if self._jobs[job_id].fresh]
        if not mine or now < self._next_probe:
            return taken_over
        self._next_probe = now + self.interval / PROBES_PER_INTERVAL
        return [*taken_over, mine[0]]

    def next_due(self, busy: Collection[str] = ()) -> float | None:
        """When :meth:`due` may next return a job (None: no job open but the *busy* ones)."""
        jobs = [j for job_id, j in self._jobs.items() if job_id not in busy]
        if not jobs:
            return None
        if self._took:
            return min(j.due for j in jobs)
        return min(j.due if not j.fresh else max(j.due, self._next_probe) for j in jobs)

    def seen(self, job_id: str, now: float, *, done: bool, ran: float | None = None) -> None:
        """Record a poll of *job_id* made at *now* (the round's start); *done* forgets the
        job and, when this run submitted it, learns how long it took (*ran*: how long the
        service says it ran)."""
        job = self._jobs.get(job_id)
        if job is None:
            return
        job.polls += 1
        if done:
            del self._jobs[job_id]
            if job.fresh:
                took = now - job.submitted
                self._took.append(took)
                if ran is not None:
                    # The service's clock is not ours: a figure beyond what was seen (plus
                    # one interval for an answer that came late) is not believed.
                    self._ran.append(min(ran, took + self.interval))
                self._expected = None
            return
        if job.fresh and self._ran and self._trust_ran and now >= job.submitted + self.expected:
            self._trust_ran = False  # still running when the service's times said it was done
            self._expected = None
        job.due = now + self.interval
