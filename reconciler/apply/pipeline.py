"""The first wave as a pipeline: each offer's guard read -> its submission -> its job's polls.

Without it, the first wave had two barriers: every guard read before the first
submission, every submission before the first poll. With 200 changes at 100 ms a request
on 32 connections, the last job then started after 14 rounds of requests instead of 13,
and the first polls waited for the last submission. Here every request is its own task
on the connections of ``apply.max-concurrent-requests``, taken in this order of priority:

1. a status poll that is due (:class:`~reconciler.api.schedule.PollSchedule`): a job seen
   done late delays everything after it;
2. the next guard read, in plan order, while fewer offers than there are connections are
   read (or being read) and not yet sent;
3. a submission whose guard reads have all come back (its offers' reads, a batch's
   reads of all its offers);
4. the next guard read beyond that window, when nothing else is waiting.

Reads before sends is the longest-chain-first rule: every offer is a chain of two
requests, and the last submission is answered when the last chain ends. Sends first
leaves the last few offers' reads to a round of their own (200 offers on 64 connections:
eight rounds of requests instead of seven, docs/benchmarks.md); the window keeps each read
at most about one round trip older than its submission.

So a job is polled when it should be done even while later offers are still being read
and sent, and an offer's submission never waits for another offer's read. Only the
guard's by-id mode is a pipeline: a list pass (creates, or more changes than
:func:`~reconciler.apply.guard.by_id_limit` allows) reads everything at once anyway, and
a create re-checks that very listing; those waves run as before (:mod:`.applier`). Once
every request is answered, the wave's jobs are still polled here, each when it is due,
until they end or a successor step (or a lost answer) needs the caller's loop.

The main thread alone changes the runs, the report and the journal's stale and result
records; the tasks only read, and send (each send writes its own intent, durable before
the request goes out: :meth:`~reconciler.apply.submit.Submitter.send`).
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from reconciler.apply.guard import LiveView, stale_reason
from reconciler.apply.outcome import ProgressEvent
from reconciler.apply.results import Results
from reconciler.apply.runs import RunBook
from reconciler.apply.states import RunState
from reconciler.apply.submit import ONE_BY_ONE, Sent, Submitter
from reconciler.errors import NotFoundError
from reconciler.offers.domain import name_key, offer_key


@dataclass
class _Group:
    """Changes sent in one request, and those whose guard read is still on its way."""

    items: list[int]
    unread: set[int] = field(default_factory=set)


@dataclass
class _Task:
    kind: str  # "read" | "send" | "poll"
    key: Any  # the change index, the request number, the job id
    at: float  # when it was started (a poll's time, for the schedule)


def next_task(*, due: bool, reads: bool, sends: bool, ahead: int, workers: int) -> str | None:
    """Which kind of task takes a free connection (the module docstring's order): "poll",
    "read", "send", or None. *ahead*: offers read or being read and not yet sent."""
    if due:
        return "poll"
    if reads and ahead < workers:
        return "read"
    if sends:
        return "send"
    return "read" if reads else None


class Pipeline:
    """The first wave's reads, sends and polls on one pool (see the module docstring)."""

    def __init__(self, book: RunBook, submitter: Submitter, results: Results) -> None:
        self.book = book
        self.submitter = submitter
        self.results = results

    def run(self, wave: list[int], guarded: set[int]) -> None:
        """Send the first step of every change in *wave*; the changes in *guarded* are
        read first (stale-plan guard, by id); poll their jobs until they end. Returns early
        for the caller's loop when a step has a successor to send or an answer was lost,
        or when the deadline comes."""
        wave = [i for i in wave if self.submitter.fillable(i)]
        groups = [
            _Group([i for i, _ in g], {i for i, _ in g if i in guarded})
            for g in self.submitter.groups([(i, self.book.runs[i].step) for i in wave])
        ]
        group_of = {i: g for g in groups for i in g.items}
        reads = deque(i for i in wave if i in guarded)
        sendable = deque(g for g in groups if not g.unread)
        workers = max(1, self.book.settings.apply.max_concurrent_requests)
        running: dict[Future[Any], _Task] = {}
        polling: set[str] = set()
        reading = 0  # guard reads on their way
        next_req = self.book.journal.state.next_req
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="apply")

        def start(task: _Task, fn: Any, *args: Any) -> None:
            running[pool.submit(fn, *args)] = task

        try:
            while True:
                now = self.book.opts.clock()
                sending = now < self.book.deadline
                schedule = self.results.scheduled(now)
                due = deque(schedule.due(now, polling))
                while len(running) < workers:
                    ahead = reading + sum(len(g.items) for g in sendable)
                    kind = next_task(
                        due=bool(due),
                        reads=bool(reads) and sending,
                        sends=bool(sendable) and sending,
                        ahead=ahead,
                        workers=workers,
                    )
                    if kind == "poll":
                        job_id = due.popleft()
                        polling.add(job_id)
                        start(_Task("poll", job_id, now), self.results.check_job, job_id)
                    elif kind == "read":
                        reading += 1
                        index = reads.popleft()
                        start(_Task("read", index, now), self._read, index)
                    elif kind == "send":
                        for items in self._requests(sendable.popleft()):
                            for index in items:
                                self.book.runs[index].state = RunState.WAITING
                            body = [(i, self.book.runs[i].step) for i in items]
                            start(
                                _Task("send", next_req, now),
                                self.submitter.send,
                                next_req,
                                body,
                                {},
                            )
                            next_req += 1
                    else:
                        break
                if not running:
                    # Polled here until they end, each when it is due (no rounds): the
                    # jobs of the first wave, unless a successor step or a lost answer
                    # needs the caller's loop, or the deadline comes first.
                    wake = schedule.next_due(polling)
                    if self.book.ready or self.book.unresolved or reads or sendable or wake is None:
                        return
                    if wake >= self.book.deadline:
                        return
                    self.book.opts.sleep(max(0.0, wake - now))
                    continue
                wake = None if due else schedule.next_due(polling)
                timeout = None if wake is None else max(0.0, wake - now)
                finished, _ = wait(running, timeout=timeout, return_when=FIRST_COMPLETED)
                for future in finished:
                    task = running.pop(future)
                    if task.kind == "read":
                        reading -= 1
                        read = group_of[task.key]
                        self._guarded(task.key, future.result())
                        read.unread.discard(task.key)
                        if not read.unread:
                            sendable.append(read)
                    elif task.kind == "send":
                        sendable.extendleft(reversed(self._answered(future.result())))
                    else:
                        polling.discard(task.key)
                        job_id, status, detail = future.result()
                        self.results.take_status(job_id, status, detail, task.at)
        except BaseException:
            # Ctrl-C (or a bug): send nothing more; what went out is in the journal.
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            pool.shutdown(wait=True)

    def _read(self, index: int) -> dict[str, object] | None:
        offer_id = self.book.runs[index].change.offer_id
        assert offer_id is not None  # guarded changes act on an existing offer
        try:
            return self.book.client.get_offer(offer_id)
        except NotFoundError:
            return None

    def _guarded(self, index: int, offer: dict[str, object] | None) -> None:
        """The stale-plan guard of one change, from its offer as just read."""
        run = self.book.runs[index]
        key = offer_key(run.change.offer_id)
        if offer is None:
            live = LiveView({}, {}, listed=False)
        else:
            live = LiveView({key: offer}, {name_key(offer.get("name")): [offer]}, listed=False)
        reason = stale_reason(run.change, live)
        if reason:
            self.book.stale(run, reason, record=True)

    def _requests(self, group: _Group) -> list[list[int]]:
        """The requests a group goes out as: without its stale changes, and one per offer
        once the service has refused a request holding several."""
        items = [i for i in group.items if self.book.runs[i].state is RunState.READY]
        if not items:
            return []
        return [[i] for i in items] if self.book.one_offer_per_request else [items]

    def _answered(self, sent: Sent) -> list[_Group]:
        """A submission's answer; the offers of a multi-offer request the service refused
        come back to be sent one by one."""
        if not sent.split:
            self.submitter.after_send(sent)
            return []
        if not self.book.one_offer_per_request:
            self.book.one_offer_per_request = True
            self.book.progress(ProgressEvent("note", (), message=ONE_BY_ONE))
        for index, _ in sent.items:
            self.book.runs[index].state = RunState.READY
        return [_Group([index]) for index, _ in sent.items]
