"""The apply engine: a plan's steps -> configure jobs -> one outcome per change.

The loop runs in waves (docs/apply.md has the full algorithm):

1. **Replay** the journal: steps whose jobs already ended are taken as they ended, jobs
   with an id are polled again, requests sent without a known answer are *resolved* by
   checking their effect on the live offers (:func:`reconciler.apply.guard.effect_of`),
   never by re-sending blindly.
2. **Stale-plan guard** for changes nothing has touched yet
   (:mod:`reconciler.apply.guard`): moved eTags and taken names are reported, not sent.
3. **Submit** every ready step -- the first step of each change, or the successor of a
   step that succeeded -- packed into configure requests by
   :func:`reconciler.plan.plan.batches` (at most ``apply.max-resources-per-request``
   resources, a step never split) and sent by a pool of
   ``apply.max-concurrent-requests`` threads. ``${VAR}`` templates are expanded right
   before sending; the journal records the intent before and the job id after.
4. **Poll** all open jobs together, read each finished job's detail (durable ids of new
   offers, new eTags), decide each step's verdict, and queue the successors of the steps
   that succeeded. Repeat from 3 until nothing is ready or open, or the deadline passes.

Clock and sleep are injectable, so tests drive the loop without real waiting.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from reconciler.api.jobs import JobError, JobStatus
from reconciler.api.jobs import wait_for_jobs as poll_jobs
from reconciler.apply.guard import effect_of, read_live, stale_reason, step_target
from reconciler.apply.journal import Item, Journal, RequestState, body_digest
from reconciler.apply.outcome import ApplyResult, ChangeOutcome, OutcomeError, ProgressEvent
from reconciler.errors import (
    AmbiguousSubmission,
    ApiClientError,
    ApiError,
    JobTimeout,
    PlanBlocked,
    ReconcilerError,
)
from reconciler.offers.domain import canonical_type, name_key
from reconciler.plan.changes import Blocked, Change, Step
from reconciler.plan.plan import Plan, batches
from reconciler.secrets import UnsetVariable, expand, redact
from reconciler.settings import Settings

log = logging.getLogger(__name__)

Locate = Callable[[str, Sequence[str | int]], tuple[int, int] | None]
Progress = Callable[[ProgressEvent], None]

# "pricing[0].priceDetails: ..." or "'acceptBy' must ..." -- how API messages name a field.
_LEADING_PATH = re.compile(r"^\s*([A-Za-z_$][\w$]*(?:\[[^\]]*\]|\.[A-Za-z_$][\w$]*)*)\s*:")
_QUOTED_PATH = re.compile(r"'([a-z][A-Za-z0-9]*(?:\[\d+\]|\.[a-z][A-Za-z0-9]*)*)'")
_SEGMENT = re.compile(r"([A-Za-z_$][\w$]*)|\[(\d+)\]")


def field_path(message: str) -> list[str | int] | None:
    """The field path an API error message starts with or quotes, as path segments."""
    match = _LEADING_PATH.match(message) or _QUOTED_PATH.search(message)
    if not match:
        return None
    text = match.group(1)
    if "[" in text and not re.search(r"\[\d+\]", text):
        text = text.split("[", 1)[0]
    segments: list[str | int] = []
    for name, index in _SEGMENT.findall(text):
        segments.append(int(index) if index else name)
    return segments or None


def path_text(segments: Sequence[str | int]) -> str:
    out = ""
    for seg in segments:
        out += f"[{seg}]" if isinstance(seg, int) else (f".{seg}" if out else seg)
    return out


@dataclass
class _Run:
    index: int
    change: Change
    outcome: ChangeOutcome
    next_step: int = 0
    finished: bool = False
    waiting: bool = False  # a job or an unresolved request holds the next step
    offer_id: str | None = None
    etag_after: str | None = None  # live eTag after our last step (for the successor's body)


@dataclass
class _Open:
    req: int
    items: list[tuple[int, Step]]


@dataclass
class _Sent:
    req: int
    items: list[tuple[int, Step]]
    status: JobStatus | None = None
    error: ReconcilerError | None = None
    ambiguous: AmbiguousSubmission | None = None
    unsent: bool = False  # refused before anything went on the wire
    split: bool = False  # a multi-offer request the API refused: send its offers one by one


@dataclass
class ApplyOptions:
    timeout: float | None = None  # overall deadline (default settings.apply.timeout)
    interval: float | None = None  # job poll interval (default: the client's)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    locate: Locate | None = None  # file + field path -> (line, col), when the file is readable
    env: dict[str, str] | None = None  # for ${VAR} expansion (default os.environ)
    submit: bool = True  # False: only finish what the journal has in flight ("settle")
    wall: Callable[[], float] = time.time  # wall clock, to age journal records across runs


class Applier:
    def __init__(
        self,
        plan: Plan,
        client: Any,
        settings: Settings,
        *,
        journal: Journal,
        progress: Progress | None = None,
        options: ApplyOptions | None = None,
    ) -> None:
        self.plan = plan
        self.client = client
        self.settings = settings
        self.journal = journal
        self.progress = progress or (lambda event: None)
        self.opts = options or ApplyOptions()
        self.runs: dict[int, _Run] = {}
        for index, change in enumerate(plan.changes):
            if isinstance(change, Blocked):
                continue
            outcome = ChangeOutcome(
                change_id=f"c{index}",
                file=change.file,
                line=change.line,
                offer_name=change.offer_name,
                action=change.action,
                offer_id=change.offer_id,
                steps_total=len(change.steps),
            )
            run = _Run(index, change, outcome, offer_id=change.offer_id)
            if not change.steps:
                run.finished = True
                outcome.status = "succeeded"
            self.runs[index] = run
        self.open_jobs: dict[str, _Open] = {}
        self.ready: list[int] = []
        self.last_status: dict[str, JobStatus] = {}
        # Set once the API refuses a request holding several offers (docs/api-unknowns.md):
        # every documented sample sends one offer per request.
        self.one_offer_per_request = False

    # ------------------------------------------------------------------ the loop

    def run(self) -> ApplyResult:
        if self.plan.is_blocked:
            raise PlanBlocked("the plan is blocked; nothing was sent", self.plan.blocked_reasons())
        started = self.opts.clock()
        timeout = (
            self.opts.timeout if self.opts.timeout is not None else self.settings.apply.timeout
        )
        deadline = started + timeout
        resumed = bool(self.journal.state.requests or self.journal.state.stale)
        unresolved = self._replay()
        if unresolved:
            self._resolve(unresolved)
        if self.opts.submit:
            self._guard()
            self.ready = [i for i, r in sorted(self.runs.items()) if self._is_ready(r)]
        while True:
            if self.opts.submit and self.ready and self.opts.clock() < deadline:
                wave, self.ready = sorted(set(self.ready)), []
                self._submit(wave)
            if not self.open_jobs:
                if self.ready and self.opts.submit and self.opts.clock() < deadline:
                    continue  # steps that succeeded without a job (effect found) have successors
                break
            if not self._poll(deadline):
                break
        self._finish_outcomes()
        closed = False
        state = self.journal.state
        if not state.pending() and (
            not self.opts.submit or all(r.finished for r in self.runs.values())
        ):
            self.journal.close_journal("settled" if not self.opts.submit else "finished")
            closed = True
        return ApplyResult(
            plan_checksum=self.plan.checksum,
            outcomes=[self.runs[i].outcome for i in sorted(self.runs)],
            journal=str(self.journal.path),
            journal_closed=closed or state.closed,
            resumed=resumed,
            endpoint=getattr(self.client, "endpoint", None),
            requests=dict(getattr(getattr(self.client, "stats", None), "by_endpoint", {}) or {}),
            duration=self.opts.clock() - started,
        )

    def _is_ready(self, run: _Run) -> bool:
        return not run.finished and not run.waiting and run.next_step < len(run.change.steps)

    # ------------------------------------------------------------------ replay + resolve

    def _replay(self) -> list[RequestState]:
        """Take over what the journal knows; return the requests whose effect is unknown."""
        state = self.journal.state
        verdicts = state.verdicts()
        unresolved: dict[int, RequestState] = {}
        for index, run in self.runs.items():
            if index in state.stale:
                self._stale(run, state.stale[index], record=False)
                continue
            for step_no in range(len(run.change.steps)):
                found = verdicts.get((index, step_no))
                if found is None:
                    break
                verdict, req = found
                if req.job_id and req.job_id not in run.outcome.job_ids:
                    run.outcome.job_ids.append(req.job_id)
                if req.result is not None:
                    self._learn_from_record(run, req.result)
                if verdict in ("succeeded", "applied"):
                    if req.ambiguous and req.accepted:
                        self._learn_from_found(run, step_no, req.found)
                    self._step_done(run, step_no, queue=False)
                    continue
                if verdict in ("failed", "cancelled"):
                    errors = (req.result or {}).get("errors", {}).get(str(index), [])
                    run.outcome.errors = [OutcomeError(**e) for e in errors]
                    self._end(run, "failed" if verdict == "failed" else "cancelled")
                elif verdict == "refused":
                    run.outcome.errors = [
                        OutcomeError("refused", req.refused or "", run.change.file, run.change.line)
                    ]
                    self._end(run, "failed")
                elif verdict == "moved":
                    self._stale(run, _MOVED, record=False)
                elif verdict == "not-applied":
                    run.next_step = step_no
                elif verdict == "in-flight" and req.job_id:
                    run.waiting = True
                    self.open_jobs.setdefault(req.job_id, _Open(req.req, self._items(req.items)))
                elif verdict == "unresolved":
                    run.waiting = True
                    unresolved[req.req] = req
                break
        return list(unresolved.values())

    def _items(self, items: Sequence[Item]) -> list[tuple[int, Step]]:
        return [(c, self.plan.changes[c].steps[s]) for c, s in items]

    def _resolve(self, requests: list[RequestState]) -> None:
        """Check the effect of requests whose answer never arrived (never re-send blindly)."""
        steps = [(req, c, s) for req in requests for c, s in req.items if c in self.runs]
        need_list = any(step_target(self.plan.changes[c].steps[s])[0] is None for _, c, s in steps)
        ids = [
            sid
            for _, c, s in steps
            if (sid := step_target(self.plan.changes[c].steps[s])[0]) is not None
        ]
        # A request accepted moments ago may still be queued: its effect can take a while to
        # show. Look again until the client's lost-response wait has passed since the intent
        # (at once for old intents), and only then conclude "not applied".
        wait = float(getattr(self.client, "lost_response_wait", 5.0))
        newest = max((_age_base(req.at) for req in requests), default=0.0)
        while True:
            try:
                live = read_live(self.client, ids, need_list=need_list)
            except ApiError as exc:
                self._unresolvable(steps, exc)
                return
            missing = any(
                effect_of(self.plan.changes[c].steps[s], req.sent_etags.get(c), live)[0]
                == "not-applied"
                for req, c, s in steps
            )
            remaining = newest + wait - self.opts.wall()
            if not missing or remaining <= 0:
                break
            self.opts.sleep(min(self._interval(), remaining))
        for req in requests:
            verdicts: list[list[Any]] = []
            for c, s in req.items:
                if c not in self.runs:
                    continue
                run = self.runs[c]
                step = self.plan.changes[c].steps[s]
                effect, durable = effect_of(step, req.sent_etags.get(c), live)
                verdicts.append([c, s, effect])
                run.waiting = False
                if effect == "applied":
                    if durable and step_target(step)[0] is None:
                        run.offer_id = durable
                        run.outcome.offer_id = durable
                    self._note(
                        f"{run.change.offer_name}: an earlier request took effect; not re-sent",
                        run,
                    )
                    self._step_done(run, s, queue=False)
                elif effect == "moved":
                    self._stale(run, _MOVED, record=False)
                else:
                    run.next_step = s
                    self._note(
                        f"{run.change.offer_name}: an earlier request had no effect; sending it",
                        run,
                    )
            self.journal.write({"t": "resolved", "req": req.req, "items": verdicts})

    def _unresolvable(self, steps: list[tuple[RequestState, int, int]], exc: ApiError) -> None:
        for _, c, _s in steps:
            run = self.runs[c]
            run.outcome.status = "unknown"
            run.outcome.message = redact(
                f"the answer to an earlier request was lost and checking its effect failed "
                f"({exc.message}); run `reconciler jobs resume` later"
            )
            run.finished = True

    def _interval(self) -> float:
        if self.opts.interval is not None:
            return self.opts.interval
        return float(getattr(self.client, "poll_interval", 0.5))

    def _guard(self) -> None:
        """Stale-plan guard for the changes nothing has touched yet."""
        touched = {c for req in self.journal.state.requests.values() for c, _ in req.items}
        todo = [
            r
            for i, r in sorted(self.runs.items())
            if i not in touched and not r.finished and not r.waiting and r.next_step == 0
        ]
        if not todo:
            return
        need_list = any(r.change.offer_id is None for r in todo)
        ids = [r.change.offer_id for r in todo if r.change.offer_id]
        live = read_live(self.client, ids, need_list=need_list)
        for run in todo:
            reason = stale_reason(run.change, live)
            if reason:
                self._stale(run, reason, record=True)

    # ------------------------------------------------------------------ submit

    def _submit(self, wave: list[int]) -> None:
        items = [(i, self.runs[i].change.steps[self.runs[i].next_step]) for i in wave]
        for index in wave:
            self.runs[index].waiting = True
        results = self._send_groups(self._groups(items))
        retry = [item for sent in results if sent.split for item in sent.items]
        if retry:
            self.one_offer_per_request = True
            offers = tuple(self.runs[i].change.offer_name for i, _ in retry)
            self.progress(
                ProgressEvent(
                    "note",
                    offers,
                    message="the API refused a request holding several offers; sending one "
                    "offer per request for the rest of this run",
                )
            )
            results = [s for s in results if not s.split] + self._send_groups(self._groups(retry))
        for sent in results:
            self._after_send(sent)

    def _groups(self, items: list[tuple[int, Step]]) -> list[list[tuple[int, Step]]]:
        if self.one_offer_per_request:
            return [[item] for item in items]
        return batches(items, self.settings.apply.max_resources_per_request)

    def _send_groups(self, groups: list[list[tuple[int, Step]]]) -> list[_Sent]:
        first = self.journal.state.next_req
        workers = max(1, min(self.settings.apply.max_concurrent_requests, len(groups)))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="apply")
        try:
            futures = [pool.submit(self._send, first + n, group) for n, group in enumerate(groups)]
            results = [f.result() for f in futures]
        except BaseException:
            # Ctrl-C (or a bug): send nothing more; what went out is in the journal.
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()
        return results

    def _body(self, index: int, step: Step) -> tuple[list[dict[str, Any]], str | None]:
        """The step's resources (template form), with the successor eTag filled in."""
        resources = copy.deepcopy(step.resources)
        run = self.runs[index]
        offer = next(r for r in resources if r.get("resourceName") == step.offer_resource_name)
        if offer.get("id") and not offer.get("eTag") and run.etag_after and run.next_step > 0:
            # A later step edits the offer our previous step just changed: send the eTag
            # that step produced, so a concurrent edit fails the job instead of being lost.
            offer["eTag"] = run.etag_after
        return resources, offer.get("eTag")

    def _send(self, req: int, group: list[tuple[int, Step]]) -> _Sent:
        resources: list[dict[str, Any]] = []
        etags: dict[str, str | None] = {}
        for index, step in group:
            body, etag = self._body(index, step)
            resources.extend(body)
            etags[str(index)] = etag
        try:
            expanded = expand(resources, self.opts.env)
        except UnsetVariable as exc:
            return _Sent(
                req,
                group,
                error=ReconcilerError(f"environment variable {exc.args[0]} is not set"),
                unsent=True,
            )
        self.journal.write(
            {
                "t": "intent",
                "req": req,
                "items": [[i, self.runs[i].next_step] for i, _ in group],
                "changes": [f"c{i}" for i, _ in group],
                "offers": [self.runs[i].change.offer_name for i, _ in group],
                "resource_names": [str(r.get("resourceName")) for r in resources],
                "etags": etags,
                "digest": body_digest(resources),
            }
        )
        try:
            status = self.client.configure(expanded)
        except AmbiguousSubmission as exc:
            found = [{"id": o.get("id"), "name": o.get("name")} for o in exc.found]
            self.journal.write(
                {"t": "ambiguous", "req": req, "accepted": exc.accepted, "found": found}
            )
            return _Sent(req, group, ambiguous=exc)
        except ReconcilerError as exc:
            self.journal.write({"t": "refused", "req": req, "error": redact(str(exc))})
            # A 400 is answered before any job exists: nothing took effect, so the offers
            # can go again, one per request, in case the API takes one offer at a time.
            split = len(group) > 1 and isinstance(exc, ApiClientError) and exc.status == 400
            return _Sent(req, group, error=exc, split=split)
        self.journal.write({"t": "submitted", "req": req, "job_id": status.job_id})
        return _Sent(req, group, status=status)

    def _after_send(self, sent: _Sent) -> None:
        offers = tuple(self.runs[i].change.offer_name for i, _ in sent.items)
        if sent.status is not None:
            job_id = sent.status.job_id
            self.open_jobs[job_id] = _Open(sent.req, sent.items)
            for index, _ in sent.items:
                self.runs[index].outcome.job_ids.append(job_id)
            self.progress(ProgressEvent("submitted", offers, job_id, sent.status))
            return
        if sent.ambiguous is not None:
            exc = sent.ambiguous
            for index, _ in sent.items:
                run = self.runs[index]
                if exc.accepted:
                    self._learn_from_found(run, run.next_step, [dict(o) for o in exc.found])
                    self._step_done(run, run.next_step, queue=True)
                else:
                    run.outcome.status = "unknown"
                    run.outcome.message = redact(exc.message)
                    run.finished = True
            self.progress(ProgressEvent("note", offers, message=redact(exc.message)))
            return
        error = sent.error or ReconcilerError("not sent")
        for index, _ in sent.items:
            run = self.runs[index]
            code = getattr(error, "code", None) or ("not-sent" if sent.unsent else "refused")
            run.outcome.errors.append(
                OutcomeError(str(code), redact(error.message), run.change.file, run.change.line)
            )
            self._end(run, "failed")
        self.progress(ProgressEvent("failed-submit", offers, message=redact(str(error))))

    # ------------------------------------------------------------------ poll + results

    def _poll(self, deadline: float) -> bool:
        """Wait for every open job; False when the deadline passed first."""
        interval = self._interval()
        remaining = max(0.0, deadline - self.opts.clock())
        ids = list(self.open_jobs)

        def on_update(status: JobStatus) -> None:
            self.last_status[status.job_id] = status
            opened = self.open_jobs.get(status.job_id)
            offers = (
                tuple(self.runs[i].change.offer_name for i, _ in opened.items) if opened else ()
            )
            self.progress(ProgressEvent("job", offers, status.job_id, status))

        timed_out = False
        try:
            finals = poll_jobs(
                self.client,
                ids,
                interval=interval,
                timeout=remaining,
                on_update=on_update,
                clock=self.opts.clock,
                sleep=self.opts.sleep,
                # every job here was just submitted: the first status read would be wasted
                first_poll_after=interval,
            )
        except JobTimeout as exc:
            timed_out = True
            finals = {
                j: self.last_status[j]
                for j in ids
                if j not in exc.job_ids and j in self.last_status and self.last_status[j].done
            }
        for job_id in ids:
            if job_id in finals:
                self._job_done(self.open_jobs.pop(job_id), finals[job_id])
        return not timed_out

    def _job_done(self, opened: _Open, status: JobStatus) -> None:
        detail: list[dict[str, Any]] = []
        try:
            detail = self.client.job_detail(status.job_id)
        except ApiError as exc:
            log.warning("job %s: cannot read its detail (%s)", status.job_id, exc.message)
        by_name = {str(r.get("resourceName")): r for r in detail if r.get("resourceName")}
        by_offer = {
            (name_key(r.get("name")), canonical_type(r.get("privateOfferType"))): r
            for r in detail
            if r.get("privateOfferType")
        }
        by_id = {str(r.get("id")): r for r in detail if r.get("id")}
        claimed: set[int] = set()
        per_item: list[tuple[_Run, int, list[JobError]]] = []
        for index, step in opened.items:
            run = self.runs[index]
            keys = {str(r.get("resourceName")) for r in step.resources}
            offer_id = step_target(step)[0] or run.offer_id
            if offer_id:
                keys |= {offer_id, offer_id.removeprefix("private-offer/")}
            mine = [e for e in status.errors if e.resource_id and e.resource_id in keys]
            claimed |= {id(e) for e in mine}
            per_item.append((run, index, mine))
        unclaimed = [e for e in status.errors if id(e) not in claimed]
        items_record: list[list[Any]] = []
        errors_record: dict[str, list[dict[str, Any]]] = {}
        created: dict[str, str] = {}
        for (run, index, mine), (_, step) in zip(per_item, opened.items, strict=True):
            step_no = run.next_step
            body = step.offer_resource
            found = (
                by_name.get(step.offer_resource_name)
                or by_id.get(str(body.get("id")))
                or (
                    by_offer.get(
                        (name_key(body.get("name")), canonical_type(body.get("privateOfferType")))
                    )
                )
            )
            if found is not None:
                if found.get("id") and not body.get("id"):
                    run.offer_id = str(found["id"])
                    run.outcome.offer_id = run.offer_id
                    created[str(index)] = run.offer_id
                run.etag_after = found.get("eTag") or None
            if status.resource_uri:
                run.outcome.resource_uri = status.resource_uri
            run.outcome.job_result = status.job_result
            if status.succeeded or (not mine and not unclaimed and found is not None):
                verdict = "succeeded"
            elif status.job_result == "cancelled":
                verdict = "cancelled"
            else:
                verdict = "failed"
                errors = mine or unclaimed or [JobError("jobFailed", f"job {status.job_result}")]
                run.outcome.errors.extend(self._locate(run.change, errors))
                errors_record[str(index)] = [e.to_data() for e in run.outcome.errors]
            items_record.append([index, step_no, verdict])
        self.journal.write(
            {
                "t": "result",
                "req": opened.req,
                "job_id": status.job_id,
                "job_status": status.job_status,
                "job_result": status.job_result,
                "resource_uri": status.resource_uri,
                "items": items_record,
                "errors": errors_record,
                "created": created,
                "etags": {str(r.index): r.etag_after for r, _, _ in per_item},
            }
        )
        for (run, _, _), (_, _, verdict) in zip(per_item, items_record, strict=True):
            if verdict == "succeeded":
                self._step_done(run, run.next_step, queue=True)
            else:
                self._end(run, "failed" if verdict == "failed" else "cancelled")

    def _locate(self, change: Change, errors: Sequence[JobError]) -> list[OutcomeError]:
        out: list[OutcomeError] = []
        for error in errors:
            leaves = error.details or [error]
            for leaf in leaves:
                message = leaf.message if leaf is error else f"{error.message} {leaf.message}"
                path = field_path(leaf.message) or field_path(error.message)
                line, col = change.line, 0
                if path and self.opts.locate is not None:
                    found = self.opts.locate(change.file, path)
                    if found:
                        line, col = found
                out.append(
                    OutcomeError(
                        code=leaf.code,
                        message=redact(message.strip()),
                        file=change.file,
                        line=line,
                        col=col,
                        field=path_text(path) if path else None,
                        resource_id=error.resource_id,
                    )
                )
        return out

    # ------------------------------------------------------------------ bookkeeping

    def _learn_from_record(self, run: _Run, record: dict[str, Any]) -> None:
        created = (record.get("created") or {}).get(str(run.index))
        if created:
            run.offer_id = str(created)
            run.outcome.offer_id = run.offer_id
        etag = (record.get("etags") or {}).get(str(run.index))
        if etag:
            run.etag_after = str(etag)
        if record.get("resource_uri"):
            run.outcome.resource_uri = str(record["resource_uri"])
        if record.get("job_result"):
            run.outcome.job_result = str(record["job_result"])

    def _learn_from_found(self, run: _Run, step_no: int, found: list[dict[str, Any]]) -> None:
        step = run.change.steps[step_no]
        offer_id, body = step_target(step)
        if offer_id is not None:
            return
        for offer in found:
            if offer.get("name") == body.get("name") and offer.get("id"):
                run.offer_id = str(offer["id"])
                run.outcome.offer_id = run.offer_id
                return

    def _step_done(self, run: _Run, step_no: int, *, queue: bool) -> None:
        run.next_step = step_no + 1
        run.outcome.steps_done = run.next_step
        run.waiting = False
        if run.next_step >= len(run.change.steps):
            self._end(run, "succeeded")
        elif queue:
            self.ready.append(run.index)

    def _end(self, run: _Run, status: Any) -> None:
        run.outcome.status = status
        run.finished = True
        run.waiting = False

    def _stale(self, run: _Run, reason: str, *, record: bool) -> None:
        if record:
            self.journal.write({"t": "stale", "change": run.index, "reason": reason})
        run.outcome.message = redact(reason)
        self._end(run, "stale")
        self.progress(ProgressEvent("stale", (run.change.offer_name,), message=run.outcome.message))

    def _note(self, message: str, run: _Run) -> None:
        self.progress(ProgressEvent("note", (run.change.offer_name,), message=redact(message)))

    def _finish_outcomes(self) -> None:
        for run in self.runs.values():
            if run.finished:
                continue
            if not self.opts.submit and not run.waiting:
                run.outcome.status = "not-sent"
                run.outcome.message = "superseded by a new plan"
                continue
            run.outcome.status = "running"
            if run.waiting:
                run.outcome.message = "job still running; `reconciler jobs resume` finishes it"
            else:
                run.outcome.message = (
                    f"step {run.next_step + 1} of {len(run.change.steps)} not sent yet; "
                    "`reconciler jobs resume` continues"
                )


def _age_base(stamp: str | None) -> float:
    """Epoch seconds of an ISO timestamp from the journal (0 when unknown: long ago)."""
    if not stamp:
        return 0.0
    try:
        return dt.datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return 0.0


_MOVED = (
    "the answer to an earlier request was lost and the offer changed since: it was applied "
    "or someone else edited it; run plan again"
)


def apply_plan(
    plan: Plan,
    client: Any,
    settings: Settings,
    *,
    journal: Journal,
    progress: Progress | None = None,
    options: ApplyOptions | None = None,
) -> ApplyResult:
    """Apply *plan* (or continue the journal's run of it); see the module docstring."""
    return Applier(
        plan, client, settings, journal=journal, progress=progress, options=options
    ).run()
