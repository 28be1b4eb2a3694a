"""Job results: poll the open jobs together, read each finished job's detail, decide verdicts."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from reconciler.api.jobs import JobError, JobStatus
from reconciler.api.schedule import PollSchedule
from reconciler.apply.guard import step_target
from reconciler.apply.outcome import OutcomeError, ProgressEvent
from reconciler.apply.runs import Opened, Run, RunBook
from reconciler.apply.states import RunState, Verdict
from reconciler.errors import ApiError, ApiServerError, ApiUnreachable, ThrottledError
from reconciler.offers.domain import canonical_type, name_key
from reconciler.offers.schema_urls import version_hint
from reconciler.plan.changes import Change, Step
from reconciler.secrets import redact

log = logging.getLogger(__name__)

# "pricing[0].priceDetails: ..." or "'acceptBy' must ..." -- how API messages name a field.
_LEADING_PATH = re.compile(r"^\s*([A-Za-z_$][\w$]*(?:\[[^\]]*\]|\.[A-Za-z_$][\w$]*)*)\s*:")
_QUOTED_PATH = re.compile(r"'([a-z][A-Za-z0-9]*(?:\[\d+\]|\.[a-z][A-Za-z0-9]*)*)'")
# Job error codes of a service-side failure (not a refusal of several offers per request).
_SERVER_FAULT = re.compile(r"internal|unavailable|timeout|throttl", re.IGNORECASE)
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


class Results:
    """The open jobs: their polls, their results, each step's verdict."""

    def __init__(self, book: RunBook) -> None:
        self.book = book

    def poll(self, deadline: float) -> bool:
        """Poll the open jobs that are due (:class:`~reconciler.api.schedule.PollSchedule`)
        until all are done, or some finished and successors are ready to send; False when
        the deadline passed first."""
        while self.book.open_jobs:
            now = self.book.opts.clock()
            schedule = self.scheduled(now)
            due = schedule.due(now)
            if not due:
                wake = schedule.next_due()
                if now >= deadline or wake is None or wake >= deadline:
                    if now < deadline:
                        self.book.opts.sleep(deadline - now)
                    return False
                self.book.opts.sleep(max(0.0, wake - now))
                continue
            finished = False
            for job_id, status, detail in self.check_jobs(due):
                finished |= self.take_status(job_id, status, detail, now)
            if finished and (self.book.ready or self.book.unresolved):
                return True
        return True

    def scheduled(self, now: float) -> PollSchedule:
        """The poll schedule, with every open job on it (a job is timed from its answer)."""
        schedule = self.book.poll_schedule()
        for job_id in self.book.open_jobs:
            if job_id not in schedule:
                sent = self.book.sent_at.get(job_id)
                schedule.add(job_id, now if sent is None else sent, known_age=sent is not None)
        return schedule

    def take_status(
        self,
        job_id: str,
        status: JobStatus | None,
        detail: list[dict[str, Any]] | None,
        polled_at: float,
    ) -> bool:
        """One poll's answer (made at *polled_at*): report a change of status, and a job
        that is done moves its steps on; True when it was done."""
        done = status is not None and status.done
        ran = status.ran if status is not None else None
        self.book.poll_schedule().seen(job_id, polled_at, done=done, ran=ran)
        if status is None:
            return False
        opened = self.book.open_jobs.get(job_id)
        if status.done and detail is None:
            detail = self.read_detail(status.job_id)
        # A batch the service takes one offer at a time is said once as info (in
        # job_done), not as a failed job.
        refused = opened is not None and self.refuses_batch(opened, status, detail or [])
        if self.book.last_status.get(job_id) != status and not refused:
            self.book.last_status[job_id] = status
            offers = (
                tuple(self.book.runs[i].change.offer_name for i, _ in opened.items)
                if opened
                else ()
            )
            self.book.progress(ProgressEvent("job", offers, job_id, status))
        if not status.done:
            return False
        self.job_done(self.book.open_jobs.pop(job_id), status, detail)
        return True

    def check_jobs(
        self, job_ids: list[str]
    ) -> list[tuple[str, JobStatus | None, list[dict[str, Any]] | None]]:
        """Read the status of *job_ids* side by side (within the client's rate budget), and
        the detail of each one that is done (:meth:`check_job`)."""
        workers = max(1, min(self.book.settings.apply.max_concurrent_requests, len(job_ids)))
        if workers == 1:
            return [self.check_job(job_id) for job_id in job_ids]
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="poll")
        try:
            return list(pool.map(self.check_job, job_ids))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def check_job(self, job_id: str) -> tuple[str, JobStatus | None, list[dict[str, Any]] | None]:
        """The status of one job, and its detail once done; a status that cannot be read is
        None (still pending: one bad poll must not abandon a job that runs fine)."""
        try:
            status = self.book.client.job_status(job_id, retry=False)
        except (ApiServerError, ApiUnreachable, ThrottledError) as exc:
            log.info("job %s: status poll failed (%s); still pending", job_id, exc.message)
            return job_id, None, None
        detail: list[dict[str, Any]] | None = None
        if status.done and not self.needs_detail(job_id, status):
            detail = []
        elif status.done:
            try:
                detail = self.book.client.job_detail(job_id)
            except ApiError as exc:
                log.warning("job %s: cannot read its detail (%s)", job_id, exc.message)
                detail = []
        return job_id, status, detail

    def needs_detail(self, job_id: str, status: JobStatus) -> bool:
        """Whether a finished job's detail has anything to teach: new offers' ids, the eTag
        a next step must carry, which items of a failed job went through. A job that
        succeeded with the last step of existing offers' changes has nothing (its new eTags
        would never be sent), so its detail read is spared: one request per change."""
        opened = self.book.open_jobs.get(job_id)
        if not status.succeeded or opened is None:
            return True
        for index, step in opened.items:
            run = self.book.runs[index]
            if run.target(step) is None or run.next_step + 1 < len(run.change.steps):
                return True
        return False

    def job_done(
        self, opened: Opened, status: JobStatus, detail: list[dict[str, Any]] | None = None
    ) -> None:
        """A finished job: each step's verdict from its own resources and errors, the result
        journalled, then each run moves on (its next step) or ends."""
        if detail is None:
            detail = self.read_detail(status.job_id)
        resources = _JobResources(detail)
        if self.batch_refused(opened, status, detail):
            return
        mine_of, unclaimed = _claim_errors(opened, status)
        record = _ResultRecord()
        verdicts: list[tuple[Run, Verdict]] = []
        for (index, step), mine in zip(opened.items, mine_of, strict=True):
            run = self.book.runs[index]
            verdict = self._step_verdict(
                run, step, str(index), status, resources, mine, unclaimed, record
            )
            record.items.append([index, run.next_step, verdict.value])
            verdicts.append((run, verdict))
        self.book.journal.write(
            record.to_journal(opened, status),
            sync=False,  # a lost result is read again from the job (docs/apply.md)
        )
        for run, verdict in verdicts:
            if verdict is Verdict.SUCCEEDED:
                self.book.step_done(run, run.next_step, queue=True)
            else:
                self.book.end(run, "failed" if verdict is Verdict.FAILED else "cancelled")

    def _step_verdict(
        self,
        run: Run,
        step: Step,
        index: str,
        status: JobStatus,
        resources: _JobResources,
        mine: list[JobError],
        unclaimed: list[JobError],
        record: _ResultRecord,
    ) -> Verdict:
        """One step of the job: what it created or changed (learned), and whether it worked."""
        target = step_target(step)[0]
        found = resources.of(step)
        if found is not None:
            new_id = str(found["id"]) if found.get("id") and target is None else None
            etag = str(found.get("eTag")) if found.get("eTag") else None
            self.book.learned(run, step, new_id, etag)
            if new_id:
                record.created[index] = new_id
            record.etags[index] = etag
        if status.resource_uri:
            run.outcome.resource_uri = status.resource_uri
        run.outcome.job_result = status.job_result
        if status.succeeded or (not mine and not unclaimed and found is not None):
            return Verdict.SUCCEEDED
        if status.job_result == "cancelled":
            return Verdict.CANCELLED
        errors = mine or unclaimed or [JobError("jobFailed", f"job {status.job_result}")]
        run.outcome.errors.extend(self.locate(run.change, errors))
        record.errors[index] = [e.to_data() for e in run.outcome.errors]
        return Verdict.FAILED

    def read_detail(self, job_id: str) -> list[dict[str, Any]]:
        try:
            return self.book.client.job_detail(job_id)
        except ApiError as exc:
            log.warning("job %s: cannot read its detail (%s)", job_id, exc.message)
            return []

    def refuses_batch(
        self, opened: Opened, status: JobStatus, detail: list[dict[str, Any]]
    ) -> bool:
        """A job of several offers that failed as a whole, with nothing applied, for no
        resource of its own and not for a fault of the service: the service takes one
        offer per request (docs/api-unknowns.md)."""
        offers = {index for index, _ in opened.items}
        if status.job_result != "failed" or len(offers) < 2 or detail:
            return False
        keys: set[str] = set()
        for _, step in opened.items:
            keys |= {str(r.get("resourceName")) for r in step.resources}
            target = step_target(step)[0]
            if target:
                keys |= {target, target.removeprefix("private-offer/")}
        if any(e.resource_id and e.resource_id in keys for e in status.errors):
            return False  # an error of one of its resources: not a refusal of the batch
        # a fault of the service is not a refusal of the request's shape
        return not any(_SERVER_FAULT.search(e.code or "") for e in status.errors)

    def batch_refused(
        self, opened: Opened, status: JobStatus, detail: list[dict[str, Any]]
    ) -> bool:
        """:meth:`refuses_batch`: its steps go again, one offer per request for the rest of
        the run; the journal records them as without effect (safe to send again)."""
        if not self.refuses_batch(opened, status, detail):
            return False
        items: list[list[object]] = [
            [index, self.book.runs[index].next_step, Verdict.NOT_APPLIED.value]
            for index, _ in opened.items
        ]
        self.book.journal.write(_ResultRecord(items=items).to_journal(opened, status))
        told = self.book.one_offer_per_request
        self.book.one_offer_per_request = True
        for index, _ in opened.items:
            run = self.book.runs[index]
            run.state = RunState.READY
            # it carried nothing of the change: the report names the jobs that did
            run.outcome.job_ids = [j for j in run.outcome.job_ids if j != status.job_id]
            self.book.ready.append(index)
        if told:
            return True
        # The same plain line as for a request refused with a 400 (apply.submit): expected
        # of a service that takes one offer per request, said once, not a failure.
        message = "info: the service takes one offer per request; sending them one by one"
        self.book.progress(ProgressEvent("note", (), message=message))
        return True

    def locate(self, change: Change, errors: Sequence[JobError]) -> list[OutcomeError]:
        out: list[OutcomeError] = []
        for error in errors:
            leaves = error.details or [error]
            for leaf in leaves:
                message = leaf.message if leaf is error else f"{error.message} {leaf.message}"
                if leaf is error or leaf is leaves[-1]:
                    message += version_hint(message)
                path = field_path(leaf.message) or field_path(error.message)
                line, col = change.line, 0
                if path and self.book.opts.locate is not None:
                    found = self.book.opts.locate(change.file, path)
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


class _JobResources:
    """A job's detail, by what identifies a resource in it."""

    def __init__(self, detail: list[dict[str, Any]]) -> None:
        self.by_name = {str(r.get("resourceName")): r for r in detail if r.get("resourceName")}
        self.by_id = {str(r.get("id")): r for r in detail if r.get("id")}
        # The detail may not echo resourceName (docs/api-unknowns.md): within one job's own
        # detail, the offer's name and type identify it (no other offer of that name is in it).
        self.by_offer = {
            (name_key(r.get("name")), canonical_type(r.get("privateOfferType"))): r
            for r in detail
            if r.get("privateOfferType")
        }

    def of(self, step: Step) -> dict[str, Any] | None:
        """The step's own resource: never another live offer of that name."""
        target, body = step_target(step)
        return (
            self.by_name.get(step.offer_resource_name)
            or (self.by_id.get(target) if target else None)
            or self.by_offer.get(
                (name_key(body.get("name")), canonical_type(body.get("privateOfferType")))
            )
        )


@dataclass
class _ResultRecord:
    """The journal's result record of one job, filled step by step."""

    items: list[list[object]] = field(default_factory=list)
    errors: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    created: dict[str, str] = field(default_factory=dict)
    etags: dict[str, str | None] = field(default_factory=dict)

    def to_journal(self, opened: Opened, status: JobStatus) -> dict[str, object]:
        """The ``result`` line of *opened*'s finished job, as the journal stores it."""
        return {
            "t": "result",
            "req": opened.req,
            "job_id": status.job_id,
            "job_status": status.job_status,
            "job_result": status.job_result,
            "resource_uri": status.resource_uri,
            "items": self.items,
            "errors": self.errors,
            "created": self.created,
            "etags": self.etags,
        }


def _claim_errors(opened: Opened, status: JobStatus) -> tuple[list[list[JobError]], list[JobError]]:
    """Each step's errors (those naming its resources), and the errors no step claims."""
    claimed: set[int] = set()
    mine_of: list[list[JobError]] = []
    for _index, step in opened.items:
        keys = {str(r.get("resourceName")) for r in step.resources}
        target = step_target(step)[0]
        if target:
            keys |= {target, target.removeprefix("private-offer/")}
        mine = [e for e in status.errors if e.resource_id and e.resource_id in keys]
        claimed |= {id(e) for e in mine}
        mine_of.append(mine)
    return mine_of, [e for e in status.errors if id(e) not in claimed]
