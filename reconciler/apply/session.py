"""Journals around an apply: resume the same plan, settle other runs first, cancel.

Every command that writes goes through here, so the rule "never submit twice" holds for
all of them:

* :func:`run_apply` -- an open journal of the same plan (same checksum, same target) is
  *resumed*: its finished steps are kept, its jobs polled, its lost answers resolved, and
  only what was never sent is sent. Open journals of other plans for the same target are
  *settled* first (their jobs polled to the end, lost answers resolved, nothing new sent)
  and closed: the new plan was computed -- or is checked by the stale guard -- against a
  live state that already includes their effect.
* :func:`settle_open` -- what ``apply PATHS`` does before it plans, so the plan sees the
  result of an interrupted run instead of planning its creates a second time. Settling
  sends nothing new *except* the remaining steps of a change whose earlier step took
  effect (the withdraw after a recreate's create, the update after a republish's
  withdraw): a multi-step change is one journal entry until its last step is settled.
* :func:`unfinished` -- when settling could not finish (jobs still running, a lost answer
  not decided yet), nothing is planned or sent on top: the run ends with exit 6.
* :func:`resume_open` -- ``reconciler jobs resume``: continue every open journal's plan.
* :func:`cancel_open` -- ``reconciler jobs cancel``: cancel in-flight jobs, close journals.

A *target* names the service a journal's job ids belong to: the endpoint URL, or
``emulator:<data dir>`` for the embedded emulator (whose port changes on every start).

Each of them takes a *record* callback, called with every journal's plan and result as it
ends: the command keeps the apply history with it (:mod:`reconciler.apply.history`), so a run
finished by ``jobs resume``, by the settling of a later apply or by ``jobs cancel`` is
recorded like one finished by the apply that started it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from reconciler.api.jobs import JobStatus
from reconciler.apply.applier import ApplyOptions, Progress, apply_plan
from reconciler.apply.journal import Journal, JournalInfo, journal_dir, list_journals
from reconciler.apply.outcome import ApplyResult, ChangeOutcome, left_alone_outcomes
from reconciler.apply.states import ApplyClient
from reconciler.errors import ApiError, ReconcilerError
from reconciler.plan.plan import Plan
from reconciler.settings import Settings

#: Called with a journal's plan and its result when a run over it ends.
Recorder = Callable[[Plan, ApplyResult], None]


def _noted(record: Recorder | None, plan: Plan, result: ApplyResult) -> ApplyResult:
    if record is not None:
        record(plan, result)
    return result


def target_for(endpoint: str, *, emulator_data: Path | None = None) -> str:
    if emulator_data is not None:
        return f"emulator:{emulator_data.resolve()}"
    return endpoint.rstrip("/")


def open_journals(
    settings: Settings, target: str, paths: Sequence[Path] | None = None
) -> list[JournalInfo]:
    found = list_journals(journal_dir(settings))
    if paths:
        wanted = {p.resolve() for p in paths}
        chosen = [j for j in found if j.path.resolve() in wanted]
        missing = wanted - {j.path.resolve() for j in chosen}
        if missing:
            raise ReconcilerError(
                "not an open journal: " + ", ".join(sorted(str(m) for m in missing))
            )
        return chosen
    return [j for j in found if j.state.target == target]


def _options(options: ApplyOptions | None, **changes: object) -> ApplyOptions:
    base = options or ApplyOptions()
    return ApplyOptions(**{**base.__dict__, **changes})


def settle_open(
    client: ApplyClient,
    settings: Settings,
    target: str,
    *,
    keep: str | None = None,
    options: ApplyOptions | None = None,
    progress: Progress | None = None,
    record: Recorder | None = None,
) -> list[ApplyResult]:
    """Finish (without sending anything new) every open journal of *target* except the
    one of plan checksum *keep*."""
    results = []
    for info in open_journals(settings, target):
        if keep is not None and info.state.plan.checksum == keep:
            continue
        with Journal.open(info.path) as journal:
            plan = journal.state.plan
            result = apply_plan(
                plan,
                client,
                settings,
                journal=journal,
                progress=progress,
                options=_options(options, submit=False),
            )
            results.append(_noted(record, plan, result))
    return results


def unfinished(results: Sequence[ApplyResult]) -> ApplyResult | None:
    """The settled journals that are still open, as one result (exit 6), or None.

    Planning on top of them could send a create whose first copy is still queued."""
    open_ = [r for r in results if not r.journal_closed]
    if not open_:
        return None
    outcomes = [o for r in open_ for o in r.outcomes if o.status != "not-sent"]
    return ApplyResult(
        plan_checksum=open_[0].plan_checksum,
        outcomes=outcomes,
        journal=open_[0].journal,
        journal_closed=False,
        resumed=True,
        endpoint=open_[0].endpoint,
    )


def run_apply(
    plan: Plan,
    client: ApplyClient,
    settings: Settings,
    target: str,
    *,
    options: ApplyOptions | None = None,
    progress: Progress | None = None,
    record: Recorder | None = None,
) -> ApplyResult:
    """Apply *plan*, resuming its own open journal if there is one (see the module doc).

    *record* is called for the other journals settled first; *plan*'s own result is
    returned for the caller to record."""
    settled = settle_open(
        client,
        settings,
        target,
        keep=plan.checksum,
        options=options,
        progress=progress,
        record=record,
    )
    waiting = unfinished(settled)
    if waiting is not None:
        return waiting
    mine = [j for j in open_journals(settings, target) if j.state.plan.checksum == plan.checksum]
    if mine:
        journal = Journal.open(mine[-1].path)
    elif not plan.actionable:
        return ApplyResult(
            plan_checksum=plan.checksum,
            outcomes=left_alone_outcomes(plan),
            endpoint=client.endpoint,
        )
    else:
        # The header is written while the stale-plan guard reads the live offers.
        journal = Journal.create(
            journal_dir(settings), plan, target=target, endpoint=client.endpoint, background=True
        )
    with journal:
        return apply_plan(
            plan, client, settings, journal=journal, progress=progress, options=options
        )


def resume_open(
    client: ApplyClient,
    settings: Settings,
    target: str,
    paths: Sequence[Path] | None = None,
    *,
    options: ApplyOptions | None = None,
    progress: Progress | None = None,
    record: Recorder | None = None,
) -> list[ApplyResult]:
    results = []
    for info in open_journals(settings, target, paths):
        with Journal.open(info.path) as journal:
            plan = journal.state.plan
            result = apply_plan(
                plan, client, settings, journal=journal, progress=progress, options=options
            )
            results.append(_noted(record, plan, result))
    return results


def cancel_open(
    client: ApplyClient,
    settings: Settings,
    target: str,
    paths: Sequence[Path] | None = None,
    *,
    record: Recorder | None = None,
) -> list[ApplyResult]:
    """Cancel every in-flight job of the open journals and close them.

    Steps never sent are dropped (a new plan covers them); a job that finished before the
    cancel arrived keeps its real result.
    """
    results = []
    for info in open_journals(settings, target, paths):
        with Journal.open(info.path) as journal:
            plan = journal.state.plan
            outcomes: dict[int, ChangeOutcome] = {}
            for req in list(journal.state.requests.values()):
                if not req.in_flight or req.job_id is None:
                    continue
                message = None
                try:
                    status = client.cancel_job(req.job_id)
                    if not status.done:
                        status = client.job_status(req.job_id)
                except ApiError as exc:
                    status = JobStatus(req.job_id, "unknown", "pending")
                    message = f"cancel failed: {exc.message}"
                verdict = (
                    "succeeded"
                    if status.succeeded
                    else ("cancelled" if status.job_result == "cancelled" else "failed")
                )
                if status.done:
                    journal.write(
                        {
                            "t": "result",
                            "req": req.req,
                            "job_id": req.job_id,
                            "job_status": status.job_status,
                            "job_result": status.job_result,
                            "items": [[c, s, verdict] for c, s in req.items],
                            "errors": {},
                        }
                    )
                for c, _s in req.items:
                    change = plan.changes[c]
                    outcomes[c] = ChangeOutcome(
                        change_id=f"c{c}",
                        file=change.file,
                        line=change.line,
                        offer_name=change.offer_name,
                        action=change.action,
                        offer_id=change.offer_id,
                        kind=change.kind,
                        desired_state=change.desired_state,
                        deal=plan.deals.get(change.file),
                        status="cancelled" if verdict == "cancelled" else "running",
                        job_ids=[req.job_id],
                        job_result=status.job_result,
                        message=message,
                    )
                    if verdict == "succeeded":
                        outcomes[c].status = "succeeded"
            if not any(r.in_flight for r in journal.state.requests.values()):
                journal.close_journal("cancelled")
            result = ApplyResult(
                plan_checksum=plan.checksum,
                outcomes=[outcomes[c] for c in sorted(outcomes)],
                journal=str(info.path),
                journal_closed=journal.state.closed,
                endpoint=client.endpoint,
            )
            results.append(_noted(record, plan, result))
    return results
