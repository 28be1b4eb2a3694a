"""The applier as a state machine: every step of a recreate and a republish x every outcome
(accepted, answer lost after or before acting, 4xx, 5xx, job failed, still running at the
deadline, process killed), with a fake clock and an in-memory API. After the faults stop and
the journal is resumed, exactly one live offer carries the name; never zero, never two."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.api.jobs import JobError, JobStatus
from reconciler.apply.applier import ApplyOptions, apply_plan
from reconciler.apply.journal import Journal
from reconciler.errors import AmbiguousSubmission, ApiClientError, NotFoundError
from reconciler.plan.changes import Recreate, Republish
from reconciler.plan.plan import Plan, PlanMeta
from reconciler.plan.requests import full_step, minimal_step
from reconciler.settings import ApiSettings, ApplySettings, Settings

NAME = "Contoso CSP margin"
LATENCY = 3.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.001)


class Killed(BaseException):
    """The process died: nothing after this point ran."""


class Memory:
    """An in-memory Product Ingestion API: offers, jobs that finish after LATENCY seconds,
    and a script of outcomes for the next configure requests."""

    endpoint = "https://memory.invalid/rp/product-ingestion"
    poll_interval = 1.0

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.offers: dict[str, dict[str, Any]] = {}
        self.jobs: dict[str, tuple[float, bool, list[dict[str, Any]], list[JobError]]] = {}
        self.script: list[str] = []
        self.ids = itertools.count(1)

    def seed(self, state: str) -> dict[str, Any]:
        offer = {"id": f"private-offer/{next(self.ids)}", "name": NAME, "state": state,
                 "privateOfferType": "cspPromotion", "eTag": f"e{next(self.ids)}"}  # fmt: skip
        self.offers[offer["id"]] = offer
        return offer

    # ---- the API ----
    def configure(self, resources: list[dict[str, Any]]) -> JobStatus:
        outcome = self.script.pop(0) if self.script else "accepted"
        if outcome == "4xx":
            raise ApiClientError("invalid request", status=400)
        if outcome in ("5xx", "lost-before"):
            raise AmbiguousSubmission("configure response lost (HTTP 500)", accepted=None)
        job = f"job-{next(self.ids)}"
        running = outcome == "running"
        ok, detail, errors = self._apply(resources) if outcome != "job-failed" else (False, [], [])
        if outcome == "job-failed":
            errors = [JobError("internalError", "Injected job failure.")]
        done = self.clock() + (40.0 if running else LATENCY)  # running: past the deadline
        self.jobs[job] = (done, ok, detail, errors)
        if outcome == "lost-after":
            raise AmbiguousSubmission("configure response lost (dropped)", accepted=None)
        if outcome == "killed":
            raise Killed
        return JobStatus(job, "notStarted", "pending")

    def _apply(
        self, resources: list[dict[str, Any]]
    ) -> tuple[bool, list[dict[str, Any]], list[JobError]]:
        detail = []
        for res in resources:
            if res.get("id"):
                offer = self.offers[res["id"]]
                if res.get("eTag") and res["eTag"] != offer["eTag"]:
                    return False, [], [JobError("conflict", "eTag mismatch", res["id"])]
                offer.update({k: v for k, v in res.items() if k not in ("$schema", "resourceName")})
            else:
                offer = {**res, "id": f"private-offer/{next(self.ids)}"}
                offer.pop("$schema", None)
                self.offers[offer["id"]] = offer
            offer["eTag"] = f"e{next(self.ids)}"
            detail.append({**offer, "resourceName": res["resourceName"]})
        return True, detail, []

    def job_status(self, job_id: str, *, retry: bool = True) -> JobStatus:
        done, ok, _detail, errors = self.jobs[job_id]
        if self.clock() < done:
            return JobStatus(job_id, "running", "pending")
        return JobStatus(job_id, "completed", "succeeded" if ok else "failed", errors)

    def job_detail(self, job_id: str) -> list[dict[str, Any]]:
        return list(self.jobs[job_id][2])

    def cancel_job(self, job_id: str) -> JobStatus:
        return self.job_status(job_id)

    def list_offers(self) -> Iterator[dict[str, Any]]:
        yield from (dict(o) for o in self.offers.values())

    def get_offer(self, offer_id: str) -> dict[str, Any]:
        if offer_id not in self.offers:
            raise NotFoundError(f"{offer_id} not found", status=404)
        return dict(self.offers[offer_id])

    def live(self) -> list[str]:
        return [i for i, o in self.offers.items() if o["name"] == NAME and o["state"] == "live"]


def plan_for(kind: str, old: dict[str, Any]) -> Plan:
    body = {"name": NAME, "privateOfferType": "cspPromotion", "description": "new margin"}
    withdraw = minimal_step(
        "withdraw",
        offer_id=old["id"],
        offer_name=NAME,
        offer_kind="cspPromotion",
        state="withdrawn",
        etag=old["eTag"],
    )
    if kind == "recreate":
        create = full_step("create", body, offer_name=NAME, state="live", variant="recreate")
        change: Any = Recreate(file="offers/x.yaml", line=1, offer_name=NAME, offer_id=old["id"],
                               kind="cspPromotion", etag=old["eTag"],
                               steps=[create, withdraw])  # fmt: skip
    else:
        update = full_step("update", body, offer_name=NAME, state="live", offer_id=old["id"])
        change = Republish(file="offers/x.yaml", line=1, offer_name=NAME, offer_id=old["id"],
                           kind="cspPromotion", etag=old["eTag"],
                           steps=[withdraw, update])  # fmt: skip
    meta = PlanMeta(created_at="2026-12-01T00:00:00Z", endpoint=Memory.endpoint, role="publisher")
    return Plan(meta=meta, changes=[change])


OUTCOMES = [
    "accepted",
    "lost-after",
    "lost-before",
    "4xx",
    "5xx",
    "job-failed",
    "running",
    "killed",
]


# What runs next: "resume" is `jobs resume` / `apply plan.json` (the same plan goes on);
# "settle" is a plain `apply` / `apply PATHS` / a fresh runner, which settles the open
# journal before it plans (nothing new is sent, but a started change is finished).
NEXT = ["resume", "settle"]


@pytest.mark.parametrize("next_run", NEXT)
@pytest.mark.parametrize("outcome", OUTCOMES)
@pytest.mark.parametrize("step", [0, 1])
@pytest.mark.parametrize("kind", ["recreate", "republish"])
def test_every_step_x_every_outcome_ends_with_exactly_one_live_offer(
    tmp_path: Path, kind: str, step: int, outcome: str, next_run: str
) -> None:
    clock = Clock()
    api = Memory(clock)
    old = api.seed("live")
    plan = plan_for(kind, old)
    settings = Settings(
        api=ApiSettings(lost_response_wait=5.0),
        apply=ApplySettings(poll_interval=1.0, timeout=20.0),
        root=tmp_path,
    )
    api.script = ["accepted"] * step + [outcome]
    # Journal records carry real timestamps: the wall clock is real time plus what passed.
    started = time.time()
    options = ApplyOptions(
        clock=clock, sleep=clock.sleep, wall=lambda: started + clock.now - 1000.0, timeout=20.0
    )
    journal = Journal.create(tmp_path / "journal", plan, target="memory", endpoint=api.endpoint)
    try:
        with journal:
            first = apply_plan(plan, api, settings, journal=journal, options=options)
    except Killed:
        first = None
    # While the faults are in effect: never two live offers of a republish; a recreate has
    # two only between its create and its withdraw. (A republish's offer is withdrawn
    # between its two steps: that is the action itself, not a loss.)
    assert len(api.live()) <= (2 if kind == "recreate" else 1)
    if kind == "recreate":
        assert api.live(), "the old offer went before the new one existed"
    if first is not None and outcome in ("4xx", "job-failed"):
        assert first.exit_code == 5 and first.outcomes[0].errors
    if first is not None and outcome == "running":
        assert first.exit_code == 6
    # Faults stop; time passes; the next run takes the same journal up.
    clock.now += 60
    if next_run == "settle":
        options.submit = False
    for _ in range(3):
        journal = Journal.open(journal.path)
        with journal:
            result = apply_plan(plan, api, settings, journal=journal, options=options)
        if result.exit_code == 0 or journal.state.closed:
            break
        clock.now += 60
    if outcome in ("4xx", "job-failed"):
        # A refused or failed step is not retried by the same plan: a new plan decides.
        # Never two live offers, and the old one is only withdrawn after the new exists.
        assert len(api.live()) <= 1 or (kind == "recreate" and step == 1)
        return
    assert result.exit_code == 0, result.to_data()
    assert journal.state.closed, "the next run plans on top of a journal it closed"
    (live,) = api.live()
    if kind == "recreate":
        assert live != old["id"] and api.offers[old["id"]]["state"] == "withdrawn"
    else:
        assert live == old["id"] and api.offers[live]["description"] == "new margin"
