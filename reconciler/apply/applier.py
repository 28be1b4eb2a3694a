"""The apply engine: a plan's steps -> configure jobs -> one outcome per change.

Each change is a small state machine (:class:`reconciler.apply.states.RunState`): READY
(its next step can be sent) -> WAITING (a job, or a request whose answer was lost, holds
it) -> READY for the next step, or DONE with a status. The loop runs in waves
(docs/apply.md has the full algorithm):

1. **Replay** the journal: steps whose jobs ended are taken as they ended, jobs with an id
   are polled again, requests whose answer was lost are *resolved* from the evidence the
   journal recorded before sending (:mod:`reconciler.apply.resolve`), never re-sent blindly.
2. **Stale-plan guard** for changes nothing has touched yet (:mod:`reconciler.apply.guard`).
3. **Submit** every ready step (:mod:`reconciler.apply.submit`): creates re-check the live
   listing by name first; each step carries the eTag of its *own* target.
4. **Poll** all open jobs together (:mod:`reconciler.apply.results`) and queue the successors
   of the steps that succeeded. Repeat until nothing is ready or open, or the deadline.

Clock and sleep are injectable, so tests drive the loop without real waiting.

:class:`Applier` builds the parts once around the run's shared state that :func:`apply_plan`
makes (:class:`~reconciler.apply.runs.RunBook`: plan, client, settings, journal, progress
callback, options, the runs, open jobs and queues) and wires them: each part receives that
state and the parts it calls in its constructor, and no part reaches another part's state.
The modules in layers, each importing only those below it (``|``: parts of one layer,
which know nothing of each other; the ``apply-engine`` contract of ``.importlinter`` keeps
this order)::

    applier.py                         Applier: the wiring, replay, guard, the loop of waves
    pipeline.py                        Pipeline: the first wave's reads, sends and polls
    submit.py | results.py | resolve.py  Submitter: configure requests | Results: polls,
                                       verdicts | Resolver: lost answers from live offers
    runs.py                            RunBook: the shared state and its transitions; Run

Who calls whom: Applier -> Pipeline, Submitter, Results, Resolver; Pipeline -> Submitter,
Results; every part -> RunBook.
"""

from __future__ import annotations

from typing import Any

from reconciler.api.retry import apply_rate
from reconciler.apply.guard import by_id_limit, read_live, stale_reason
from reconciler.apply.journal import Journal, RequestState
from reconciler.apply.outcome import ApplyResult, ChangeOutcome, OutcomeError, left_alone
from reconciler.apply.pipeline import Pipeline
from reconciler.apply.resolve import Resolver
from reconciler.apply.results import Results, field_path, path_text
from reconciler.apply.runs import ApplyOptions, Locate, Opened, Progress, Run, RunBook
from reconciler.apply.states import ApplyClient, RunState, Verdict
from reconciler.apply.submit import Submitter
from reconciler.errors import PlanBlocked
from reconciler.plan.changes import Blocked, Step
from reconciler.plan.plan import Plan
from reconciler.settings import Settings

__all__ = ["ApplyOptions", "Locate", "Progress", "apply_plan", "field_path", "path_text"]

_MOVED = (
    "the answer to an earlier request was lost and the offer changed since: it was applied "
    "or someone else edited it; run plan again"
)


class Applier:
    """The parts, wired once around the run's shared state; the loop of waves."""

    def __init__(self, book: RunBook) -> None:
        self.book = book
        self.resolver = Resolver(self.book)
        self.results = Results(self.book)
        self.submitter = Submitter(self.book)
        self.pipeline = Pipeline(self.book, self.submitter, self.results)

    def run(self) -> ApplyResult:
        # A safety guard speaks for the whole plan; a blocked offer only for itself (it is
        # reported below and every other change goes out).
        if self.book.plan.safety.blocked:
            raise PlanBlocked(
                "the plan is blocked; nothing was sent", self.book.plan.blocked_reasons()
            )
        started = self.book.opts.clock()
        timeout = (
            self.book.opts.timeout
            if self.book.opts.timeout is not None
            else self.book.settings.apply.timeout
        )
        self.book.deadline = started + timeout
        resumed = bool(self.book.journal.state.requests or self.book.journal.state.stale)
        unresolved = self.replay()
        if unresolved:
            self.resolver.resolve(unresolved)
        guarded = self.guard() if self.book.opts.submit else None
        self.book.ready = [i for i, r in sorted(self.book.runs.items()) if self._is_ready(r)]
        if guarded is not None:
            # The pipeline takes the whole wave: what is ready once it returns (a successor
            # step) is new, and is what makes it hand its polling back to the loop below.
            wave, self.book.ready = self.book.ready, []
            self.pipeline.run(wave, guarded)
            self.book.ready = [i for i, r in sorted(self.book.runs.items()) if self._is_ready(r)]
        while True:
            live_time = self.book.opts.clock() < self.book.deadline
            if self.book.ready and live_time:
                wave, self.book.ready = sorted(set(self.book.ready)), []
                self.submitter.submit([i for i in wave if self._is_ready(self.book.runs[i])])
            if self.book.unresolved:
                reqs = [self.book.journal.state.requests[n] for n in self.book.unresolved]
                self.book.unresolved = []
                self.resolver.resolve(reqs)
                continue
            if not self.book.open_jobs:
                sendable = any(self._is_ready(self.book.runs[i]) for i in self.book.ready)
                if sendable and self.book.opts.clock() < self.book.deadline:
                    continue  # steps that succeeded without a job (effect found) have successors
                break
            if not self.results.poll(self.book.deadline):
                break
        self._finish_outcomes()
        closed = False
        state = self.book.journal.state
        done = all(
            r.state is RunState.DONE or not self.may_send(r) for r in self.book.runs.values()
        )
        if not state.pending() and done:
            self.book.journal.close_journal("settled" if not self.book.opts.submit else "finished")
            closed = True
        stats = getattr(self.book.client, "stats", None)
        return ApplyResult(
            plan_checksum=self._checksum(),
            outcomes=self._outcomes(),
            journal=str(self.book.journal.path),
            journal_closed=closed or state.closed,
            resumed=resumed,
            endpoint=self.book.client.endpoint,
            requests=dict(getattr(stats, "by_endpoint", {}) or {}),
            duration=self.book.opts.clock() - started,
        )

    def _checksum(self) -> str:
        """The plan's checksum, as the journal's header has it when it was made from this
        very plan (serialising every change again costs a tenth of a second per 200)."""
        if self.book.journal.state.plan is self.book.plan and self.book.journal.checksum:
            return self.book.journal.checksum
        return self.book.plan.checksum

    def _outcomes(self) -> list[ChangeOutcome]:
        """Every change's outcome in plan order, the offers left alone included."""
        found = {i: r.outcome for i, r in self.book.runs.items()}
        for index, change in enumerate(self.book.plan.changes):
            if index not in found and isinstance(change, Blocked):
                found[index] = left_alone(index, change)
        return [found[i] for i in sorted(found)]

    def _is_ready(self, run: Run) -> bool:
        return (
            run.state is RunState.READY
            and run.next_step < len(run.change.steps)
            and self.may_send(run)
        )

    def may_send(self, run: Run) -> bool:
        """Whether this run may send *run*'s next step. Settling (``submit=False``) sends
        nothing new, except the open steps of a change whose earlier step took effect: a
        recreate whose create is live still owes its withdraw, a republish whose withdraw
        went through still owes its update. Dropping them would leave two live offers of one
        name (or a withdrawn offer) that no new plan can describe."""
        return self.book.opts.submit or run.next_step > 0

    # ------------------------------------------------------------------ replay

    def replay(self) -> list[RequestState]:
        """Take over what the journal knows; return the requests whose effect is unknown."""
        state = self.book.journal.state
        verdicts = state.verdicts()
        unresolved: dict[int, RequestState] = {}
        for index, run in self.book.runs.items():
            if index in state.stale:
                self.book.stale(run, state.stale[index], record=False)
                continue
            for step_no, step in enumerate(run.change.steps):
                found = verdicts.get((index, step_no))
                if found is None:
                    break
                verdict, req = Verdict(found[0]), found[1]
                if req.job_id and req.job_id not in run.outcome.job_ids:
                    run.outcome.job_ids.append(req.job_id)
                if req.result is not None:
                    self._learn_from_record(index, step, req.result)
                if verdict.took_effect:
                    self.book.step_done(run, step_no, queue=False)
                    continue
                if verdict in (Verdict.FAILED, Verdict.CANCELLED):
                    errors = (req.result or {}).get("errors", {}).get(str(index), [])
                    run.outcome.errors = [OutcomeError(**e) for e in errors]
                    self.book.end(run, "failed" if verdict is Verdict.FAILED else "cancelled")
                elif verdict is Verdict.REFUSED and req.split:
                    # Refused for holding several offers: it took no effect, and the run that
                    # sent it meant to send its offers one by one (it may have died first).
                    run.next_step = step_no
                    self.book.one_offer_per_request = True
                elif verdict is Verdict.REFUSED:
                    run.outcome.errors = [
                        OutcomeError("refused", req.refused or "", run.change.file, run.change.line)
                    ]
                    self.book.end(run, "failed")
                elif verdict is Verdict.MOVED:
                    self.book.stale(run, _MOVED, record=False)
                elif verdict is Verdict.NOT_APPLIED:
                    run.next_step = step_no
                elif verdict is Verdict.IN_FLIGHT and req.job_id:
                    run.state = RunState.WAITING
                    self.book.open_jobs.setdefault(req.job_id, Opened(req.req, self._items(req)))
                elif verdict is Verdict.UNRESOLVED:
                    run.state = RunState.WAITING
                    unresolved[req.req] = req
                break
        return list(unresolved.values())

    def _items(self, req: RequestState) -> list[tuple[int, Step]]:
        return [(c, self.book.plan.changes[c].steps[s]) for c, s in req.items]

    def _learn_from_record(self, index: int, step: Step, record: dict[str, Any]) -> None:
        run = self.book.runs[index]
        created = (record.get("created") or {}).get(str(index))
        etag = (record.get("etags") or {}).get(str(index))
        self.book.learned(run, step, str(created) if created else None, str(etag) if etag else None)
        if record.get("resource_uri"):
            run.outcome.resource_uri = str(record["resource_uri"])
        if record.get("job_result"):
            run.outcome.job_result = str(record["job_result"])

    # ------------------------------------------------------------------ guard

    def guard(self) -> set[int] | None:
        """Stale-plan guard for the changes nothing has touched yet. When they are read by
        id and no step to send is a create, the reads are left to the first wave's
        pipeline (:mod:`.pipeline`): the changes to read are returned; else None."""
        touched = {c for req in self.book.journal.state.requests.values() for c, _ in req.items}
        todo = [
            r
            for i, r in sorted(self.book.runs.items())
            if i not in touched and r.state is RunState.READY and r.next_step == 0
        ]
        if not todo:
            return None
        need_list = any(r.target(r.change.steps[0]) is None for r in todo if r.change.steps)
        ids = [r.change.offer_id for r in todo if r.change.offer_id]
        # The live offers the plan saw: those matched by a file and the unmanaged ones.
        by_id_max = by_id_limit(
            self.book.plan.safety.managed + len(self.book.plan.unmanaged),
            page_size=self.book.settings.api.page_size,
            budgeted=apply_rate(
                self.book.client.endpoint, self.book.settings.apply.requests_per_second
            )
            is not None,
        )
        creates = any(
            r.target(r.step) is None for r in self.book.runs.values() if self._is_ready(r)
        )
        if not need_list and not creates and len(ids) == len(todo) and len(set(ids)) <= by_id_max:
            return {r.index for r in todo}
        live = read_live(
            self.book.client,
            ids,
            need_list=need_list,
            by_id_max=by_id_max,
            workers=self.book.settings.apply.max_concurrent_requests,
        )
        if live.listed:
            self.book.listing = live  # the first wave's create re-check uses this very listing
        for run in todo:
            reason = stale_reason(run.change, live)
            if reason:
                self.book.stale(run, reason, record=True)
        return None

    # ------------------------------------------------------------------ outcomes

    def _finish_outcomes(self) -> None:
        for run in self.book.runs.values():
            if run.state is RunState.DONE:
                continue
            if not self.may_send(run) and run.state is not RunState.WAITING:
                run.outcome.status = "not-sent"
                run.outcome.message = "superseded by a new plan"
                continue
            run.outcome.status = "running"
            if run.state is RunState.WAITING:
                run.outcome.message = "job still running; `reconciler jobs resume` finishes it"
            else:
                run.outcome.message = (
                    f"step {run.next_step + 1} of {len(run.change.steps)} not sent yet; "
                    "`reconciler jobs resume` continues"
                )


def apply_plan(
    plan: Plan,
    client: ApplyClient,
    settings: Settings,
    *,
    journal: Journal,
    progress: Progress | None = None,
    options: ApplyOptions | None = None,
) -> ApplyResult:
    """Apply *plan* (or continue the journal's run of it); see the module docstring."""
    book = RunBook(plan, client, settings, journal=journal, progress=progress, options=options)
    return Applier(book).run()
