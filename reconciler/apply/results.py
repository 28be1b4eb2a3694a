"""Job results: poll the open jobs together, read each finished job's detail, decide verdicts."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from reconciler.api.jobs import JobError, JobStatus
from reconciler.api.jobs import wait_for_jobs as poll_jobs
from reconciler.apply.guard import step_target
from reconciler.apply.outcome import OutcomeError, ProgressEvent
from reconciler.apply.runs import ApplierBase, Opened, Run
from reconciler.apply.states import Verdict
from reconciler.errors import ApiError, JobTimeout
from reconciler.offers.domain import canonical_type, name_key
from reconciler.plan.changes import Change
from reconciler.secrets import redact

log = logging.getLogger(__name__)

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


class ResultsPart(ApplierBase):
    def poll(self, deadline: float) -> bool:
        """Wait for every open job; False when the deadline passed first."""
        interval = self.interval()
        remaining = max(0.0, deadline - self.opts.clock())
        ids = list(self.open_jobs)
        last_status: dict[str, JobStatus] = {}

        def on_update(status: JobStatus) -> None:
            last_status[status.job_id] = status
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
                j: last_status[j]
                for j in ids
                if j not in exc.job_ids and j in last_status and last_status[j].done
            }
        for job_id in ids:
            if job_id in finals:
                self.job_done(self.open_jobs.pop(job_id), finals[job_id])
        return not timed_out

    def job_done(self, opened: Opened, status: JobStatus) -> None:
        detail: list[dict[str, Any]] = []
        try:
            detail = self.client.job_detail(status.job_id)
        except ApiError as exc:
            log.warning("job %s: cannot read its detail (%s)", status.job_id, exc.message)
        by_name = {str(r.get("resourceName")): r for r in detail if r.get("resourceName")}
        by_id = {str(r.get("id")): r for r in detail if r.get("id")}
        # The detail may not echo resourceName (docs/api-unknowns.md): within one job's own
        # detail, the offer's name and type identify it (no other offer of that name is in it).
        by_offer = {
            (name_key(r.get("name")), canonical_type(r.get("privateOfferType"))): r
            for r in detail
            if r.get("privateOfferType")
        }
        claimed: set[int] = set()
        mine_of: list[list[JobError]] = []
        for index, step in opened.items:
            run = self.runs[index]
            keys = {str(r.get("resourceName")) for r in step.resources}
            target = step_target(step)[0]
            if target:
                keys |= {target, target.removeprefix("private-offer/")}
            mine = [e for e in status.errors if e.resource_id and e.resource_id in keys]
            claimed |= {id(e) for e in mine}
            mine_of.append(mine)
        unclaimed = [e for e in status.errors if id(e) not in claimed]
        items_record: list[list[Any]] = []
        errors_record: dict[str, list[dict[str, Any]]] = {}
        created: dict[str, str] = {}
        etags: dict[str, str | None] = {}
        verdicts: list[tuple[Run, Verdict]] = []
        for (index, step), mine in zip(opened.items, mine_of, strict=True):
            run = self.runs[index]
            target, body = step_target(step)
            # Only this job's own resources count: never another live offer of that name.
            found = (
                by_name.get(step.offer_resource_name)
                or (by_id.get(target) if target else None)
                or by_offer.get(
                    (name_key(body.get("name")), canonical_type(body.get("privateOfferType")))
                )
            )
            if found is not None:
                new_id = str(found["id"]) if found.get("id") and target is None else None
                etag = str(found.get("eTag")) if found.get("eTag") else None
                self.learned(run, step, new_id, etag)
                if new_id:
                    created[str(index)] = new_id
                etags[str(index)] = etag
            if status.resource_uri:
                run.outcome.resource_uri = status.resource_uri
            run.outcome.job_result = status.job_result
            if status.succeeded or (not mine and not unclaimed and found is not None):
                verdict = Verdict.SUCCEEDED
            elif status.job_result == "cancelled":
                verdict = Verdict.CANCELLED
            else:
                verdict = Verdict.FAILED
                errors = mine or unclaimed or [JobError("jobFailed", f"job {status.job_result}")]
                run.outcome.errors.extend(self.locate(run.change, errors))
                errors_record[str(index)] = [e.to_data() for e in run.outcome.errors]
            items_record.append([index, run.next_step, verdict.value])
            verdicts.append((run, verdict))
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
                "etags": etags,
            }
        )
        for run, verdict in verdicts:
            if verdict is Verdict.SUCCEEDED:
                self.step_done(run, run.next_step, queue=True)
            else:
                self.end(run, "failed" if verdict is Verdict.FAILED else "cancelled")

    def locate(self, change: Change, errors: Sequence[JobError]) -> list[OutcomeError]:
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
