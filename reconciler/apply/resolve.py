"""Lost answers: decide from the journal and the live offers whether a request took effect.

A configure request whose answer was lost is never sent again on a timeout alone. Its
effect is looked for (:mod:`reconciler.apply.effect`) until the lost-answer wait has passed
since the request was written to the journal (``api.lost-response-wait``; without it 900 s,
or 5 s with ``--emulator``: the wait follows what apply talks to, never its address):

* found -> the step took effect; the change goes on with its next step;
* the target moved in a way the step does not explain -> stale (run plan again);
* still nothing once the wait has passed -> not applied: the step may be sent again;
* the wait has not passed by the run's deadline, or the live offers cannot be read ->
  **unknown**: nothing is re-sent, the journal (and the lock) stay, apply exits 6 and says
  which offer is unknown; ``reconciler jobs resume`` looks again later.
"""

from __future__ import annotations

from reconciler.apply.effect import effect_of
from reconciler.apply.guard import LiveView, read_live, step_target
from reconciler.apply.journal import RequestState, stamp_epoch
from reconciler.apply.runs import RunBook
from reconciler.apply.states import RunState, Verdict
from reconciler.errors import ApiError

Item = tuple[RequestState, int, int]


class Resolver:
    """Lost answers settled from the live offers (see the module docstring)."""

    def __init__(self, book: RunBook) -> None:
        self.book = book

    def resolve(self, requests: list[RequestState]) -> None:
        """Settle the requests whose answer was lost (see the module docstring)."""
        items = [(req, c, s) for req in requests for c, s in req.items if c in self.book.runs]
        if not items:
            return
        for _, c, _s in items:
            self.book.runs[c].state = RunState.WAITING
        need_list = any(self._target(c, s) is None for _, c, s in items)
        ids = [t for _, c, s in items if (t := self._target(c, s)) is not None]
        newest = max((stamp_epoch(req.at) for req in requests), default=0.0)
        wait = self.book.lost_wait()
        while True:
            try:
                live = read_live(self.book.client, ids, need_list=need_list)
            except ApiError as exc:
                for _, c, _s in items:
                    self._unknown(c, f"checking its effect failed ({exc.message})")
                return
            verdicts = {(req.req, c): self._effect(req, c, s, live) for req, c, s in items}
            open_ = any(
                v in (Verdict.NOT_APPLIED, Verdict.UNRESOLVED) for v, _ in verdicts.values()
            )
            remaining = newest + wait - self.book.opts.wall()
            left = self.book.deadline - self.book.opts.clock()
            if not open_ or remaining <= 0 or left <= 0:
                break
            self.book.opts.sleep(max(0.0, min(self.book.interval(), remaining, left)))
        if live.listed:
            self.book.listing = live  # fresh: the create re-check of this wave may use it
        waited = remaining <= 0
        for req in requests:
            record: list[list[object]] = []
            created: dict[str, str] = {}
            for c, s in req.items:
                if c not in self.book.runs:
                    continue
                verdict, durable = verdicts[(req.req, c)]
                if verdict is Verdict.NOT_APPLIED and not waited:
                    verdict = Verdict.UNRESOLVED
                current = live.get(durable) if durable else None
                etag = str(current["eTag"]) if current and current.get("eTag") else None
                self._settle(c, s, verdict, durable, etag)
                if verdict is not Verdict.UNRESOLVED:
                    record.append([c, s, verdict.value])
                if verdict is Verdict.APPLIED and durable and self._target(c, s) is None:
                    created[str(c)] = durable  # a plan tells this offer from namesakes by it
            if record:
                self.book.journal.write(
                    {"t": "resolved", "req": req.req, "items": record, "created": created}
                )

    def _target(self, c: int, s: int) -> str | None:
        return step_target(self.book.plan.changes[c].steps[s])[0]

    def _effect(
        self, req: RequestState, c: int, s: int, live: LiveView
    ) -> tuple[Verdict, str | None]:
        step = self.book.plan.changes[c].steps[s]
        before = req.before.get(c) if step_target(step)[0] is None else []
        return effect_of(step, live, sent_etag=req.sent_etags.get(c), before=before)

    def _settle(
        self, c: int, s: int, verdict: Verdict, durable: str | None, etag: str | None
    ) -> None:
        run = self.book.runs[c]
        step = run.change.steps[s]
        name = run.change.offer_name
        if verdict is Verdict.APPLIED:
            # the target's eTag as the lost step left it: the next step's precondition
            self.book.learned(run, step, durable if run.target(step) is None else None, etag)
            self.book.note(f"{name}: an earlier request took effect; not re-sent", run)
            self.book.step_done(run, s, queue=True)
        elif verdict is Verdict.MOVED:
            self.book.stale(
                run,
                "the answer to an earlier request was lost and the offer changed since in a "
                "way that request does not explain; run plan again",
                record=False,
            )
        elif verdict is Verdict.NOT_APPLIED:
            run.next_step = s
            run.state = RunState.READY
            self.book.ready.append(c)
            self.book.note(f"{name}: an earlier request had no effect; sending it", run)
        else:
            what = "created" if run.target(step) is None else f"{step.kind} took effect"
            self._unknown(
                c,
                f"no effect seen yet, and its job may still be queued: whether {name!r} was "
                f"{what} is not known",
            )

    def _unknown(self, c: int, why: str) -> None:
        run = self.book.runs[c]
        self.book.end(
            run,
            "unknown",
            f"the answer to a configure request was lost and {why}; nothing was re-sent. "
            f"Run `reconciler jobs resume` (it looks again and sends only what had no effect "
            f"once {self.book.lost_wait():g} s have passed), or `reconciler jobs list` to see it",
        )
