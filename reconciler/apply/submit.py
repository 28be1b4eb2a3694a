"""Sending steps: the create re-check, each step's own target and eTag, the journal's intent."""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from reconciler.api.jobs import JobStatus
from reconciler.apply.guard import named, read_live, unknown_same_name
from reconciler.apply.journal import body_digest
from reconciler.apply.outcome import OutcomeError, ProgressEvent
from reconciler.apply.runs import Opened, Run, RunBook
from reconciler.apply.states import RunState
from reconciler.errors import AmbiguousSubmission, ApiClientError, ReconcilerError
from reconciler.plan.changes import Step
from reconciler.plan.plan import batches
from reconciler.plan.sealed import unseal
from reconciler.secrets import VAR_PREFIX, UnsetVariable, VariableNotAllowed, redact

# Expected of a service that takes one offer per request (the documented samples send one):
# one plain line, no offer names, nothing that reads as a failure.
ONE_BY_ONE = "info: the service takes one offer per request; sending them one by one"


@dataclass
class Sent:
    """What became of one configure request."""

    req: int
    items: list[tuple[int, Step]]
    status: JobStatus | None = None
    error: ReconcilerError | None = None
    lost: AmbiguousSubmission | None = None
    unsent: bool = False  # refused before anything went on the wire
    split: bool = False  # a multi-offer request the API refused: send its offers one by one
    at: float = 0.0  # when the answer came, less half a round trip (the job's age counts from here)


class Submitter:
    """Configure requests: the create re-check, each step's body, the journal's intent."""

    def __init__(self, book: RunBook) -> None:
        self.book = book

    def submit(self, wave: list[int]) -> None:
        """Send the next step of every change in *wave*, packed into configure requests."""
        before = self.recheck_creates(wave)
        wave = [i for i in wave if self.book.runs[i].state is not RunState.DONE]
        wave = [i for i in wave if self.fillable(i)]
        if not wave:
            return
        items = [(i, self.book.runs[i].step) for i in wave]
        for index in wave:
            self.book.runs[index].state = RunState.WAITING
        results = self.send_groups(self.groups(items), before)
        retry = [item for sent in results if sent.split for item in sent.items]
        if retry:
            self.book.one_offer_per_request = True
            self.book.progress(ProgressEvent("note", (), message=ONE_BY_ONE))
            results = [s for s in results if not s.split]
            results += self.send_groups(self.groups(retry), before)
        for sent in results:
            self.after_send(sent)

    def groups(self, items: list[tuple[int, Step]]) -> list[list[tuple[int, Step]]]:
        if self.book.one_offer_per_request:
            return [[item] for item in items]
        return batches(items, self.book.settings.apply.max_resources_per_request)

    def send_groups(
        self, groups: list[list[tuple[int, Step]]], before: dict[int, list[str]]
    ) -> list[Sent]:
        first = self.book.journal.state.next_req
        workers = max(1, min(self.book.settings.apply.max_concurrent_requests, len(groups)))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="apply")
        try:
            futures = [
                pool.submit(self.send, first + n, group, before) for n, group in enumerate(groups)
            ]
            results = [f.result() for f in futures]
        except BaseException:
            # Ctrl-C (or a bug): send nothing more; what went out is in the journal.
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        pool.shutdown()
        return results

    def recheck_creates(self, wave: list[int]) -> dict[int, list[str]]:
        """List the live offers just before creating: an offer of that name the plan did not
        know makes the create stale; the ids listed are the journal's evidence base."""
        creates = [i for i in wave if self.book.runs[i].target(self.book.runs[i].step) is None]
        if not creates:
            return {}
        live = self.book.listing or read_live(self.book.client, [], need_list=True)
        self.book.listing = None  # used once: the next wave lists again
        made = self.book.made_ids()
        before: dict[int, list[str]] = {}
        for index in creates:
            run = self.book.runs[index]
            taken = unknown_same_name(run.change, live, made)
            if taken:
                ids = ", ".join(str(o.get("id")) for o in taken)
                self.book.stale(
                    run,
                    f"an offer named {run.change.offer_name!r} exists now that the plan did not "
                    f"know ({ids}); nothing was sent for it: run plan again",
                    record=True,
                )
                continue
            same = named(live, run.change.offer_name)
            before[index] = sorted(str(o.get("id")) for o in same if o.get("id"))
        return before

    def body(self, run: Run, step: Step) -> tuple[list[dict[str, object]], str | None]:
        """The step's resources (template form) with the eTag of the step's own target."""
        resources = copy.deepcopy(step.resources)
        offer = next(r for r in resources if r.get("resourceName") == step.offer_resource_name)
        etag = run.etag_for(step)
        if etag and offer.get("id"):
            offer["eTag"] = etag
        return resources, etag

    def fillable(self, index: int) -> bool:
        """Whether the step's body can be filled in; if not, only that change fails (an
        unset variable of one offer file never stops the offers sharing its request)."""
        step = self.book.runs[index].step
        try:
            self.unsealed(step, step.resources)
        except ReconcilerError as exc:
            self.after_send(Sent(0, [(index, step)], error=exc, unsent=True))
            return False
        return True

    def unsealed(self, step: Step, body: list[dict[str, object]]) -> list[dict[str, object]]:
        """*body* as it is sent: only the offer file's own templates expanded, for the
        names the settings allow now; live secrets read again from the live offer."""
        if not step.templates and not step.live_values:
            return body
        try:
            return unseal(
                copy.deepcopy(body),
                step.templates,
                step.live_values,
                env=self.book.opts.env,
                allowed=self.book.settings.env,
                read_offer=self.book.client.get_offer,
            )
        except VariableNotAllowed as exc:
            raise ReconcilerError(
                f"environment variable {exc.args[0]} may not be used in offer files: list it "
                f"in the settings (env = [...]) or name it {VAR_PREFIX}..."
            ) from None
        except UnsetVariable as exc:
            raise ReconcilerError(f"environment variable {exc.args[0]} is not set") from None

    def send(self, req: int, group: list[tuple[int, Step]], before: dict[int, list[str]]) -> Sent:
        resources: list[dict[str, object]] = []
        expanded: list[dict[str, object]] = []
        etags: dict[str, str | None] = {}
        targets: dict[str, str | None] = {}
        for index, step in group:
            run = self.book.runs[index]
            body, etag = self.body(run, step)
            resources.extend(body)
            etags[str(index)] = etag
            targets[str(index)] = run.target(step)
            try:
                expanded.extend(self.unsealed(step, body))
            except ReconcilerError as exc:
                return Sent(req, group, error=exc, unsent=True)
        self.book.journal.write(
            {
                "t": "intent",
                "req": req,
                "items": [[i, self.book.runs[i].next_step] for i, _ in group],
                "changes": [f"c{i}" for i, _ in group],
                "offers": [self.book.runs[i].change.offer_name for i, _ in group],
                "resource_names": [str(r.get("resourceName")) for r in resources],
                "targets": targets,
                "etags": etags,
                "before": {str(i): before[i] for i, _ in group if i in before},
                "digest": body_digest(resources),
            }
        )
        try:
            status = self.book.client.configure(expanded)
        except AmbiguousSubmission as exc:
            # Never re-sent here: the effect is decided from the journal (apply.resolve).
            self.book.journal.write({"t": "ambiguous", "req": req, "accepted": None, "found": []})
            return Sent(req, group, lost=exc)
        except ReconcilerError as exc:
            # A 400 is answered before any job exists: nothing took effect, so the offers
            # can go again, one per request, in case the API takes one offer at a time.
            split = len(group) > 1 and isinstance(exc, ApiClientError) and exc.status == 400
            refused = {"t": "refused", "req": req, "error": redact(str(exc)), "split": split}
            self.book.journal.write(refused)
            return Sent(req, group, error=exc, split=split)
        # The job's age counts from the answer less half the network's round trip: a poll
        # sent when the job should be done then reaches the service no sooner than that
        # (the job existed before the answer's way back; the poll's way there is the other
        # half). What the service spent on the request is not subtracted: the job may have
        # been created at its very end.
        at = self.book.opts.clock() - _half_trip(self.book.client)
        self.book.journal.write({"t": "submitted", "req": req, "job_id": status.job_id})
        return Sent(req, group, status=status, at=at)

    def after_send(self, sent: Sent) -> None:
        offers = tuple(self.book.runs[i].change.offer_name for i, _ in sent.items)
        if sent.status is not None:
            job_id = sent.status.job_id
            self.book.open_jobs[job_id] = Opened(sent.req, sent.items)
            self.book.sent_at[job_id] = sent.at
            for index, _ in sent.items:
                self.book.runs[index].outcome.job_ids.append(job_id)
            self.book.progress(ProgressEvent("submitted", offers, job_id, sent.status))
            return
        if sent.lost is not None:
            self.book.unresolved.append(sent.req)
            message = f"{sent.lost.message}; checking its effect, not re-sending it"
            self.book.progress(ProgressEvent("note", offers, message=redact(message)))
            return
        error = sent.error or ReconcilerError("not sent")
        for index, _ in sent.items:
            run = self.book.runs[index]
            code = getattr(error, "code", None) or ("not-sent" if sent.unsent else "refused")
            run.outcome.errors.append(
                OutcomeError(str(code), redact(error.message), run.change.file, run.change.line)
            )
            self.book.end(run, "failed")
        self.book.progress(ProgressEvent("failed-submit", offers, message=redact(str(error))))


def _half_trip(client: object) -> float:
    """Half the shortest read round trip *client* has seen (0 before any)."""
    fastest = getattr(getattr(client, "stats", None), "fastest_read", None)
    return fastest / 2 if isinstance(fastest, float) else 0.0
