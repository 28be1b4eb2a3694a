"""The apply run's shared state: one run per change (its state machine), options, bookkeeping."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from reconciler.api.jobs import JobStatus
from reconciler.api.schedule import PollSchedule
from reconciler.apply.guard import LiveView, step_target
from reconciler.apply.journal import Journal
from reconciler.apply.outcome import ChangeOutcome, ProgressEvent, Status
from reconciler.apply.states import ApplyClient, RunState
from reconciler.offers.domain import offer_key
from reconciler.plan.changes import Blocked, Change, Step
from reconciler.plan.plan import Plan
from reconciler.secrets import redact
from reconciler.settings import Settings

log = logging.getLogger(__name__)

Locate = Callable[[str, Sequence[str | int]], tuple[int, int] | None]
Progress = Callable[[ProgressEvent], None]

# Without a setting, the lost-answer wait follows what apply talks to (never its address:
# a loopback proxy may front the real API): the embedded emulator finishes jobs in well
# under a second; against the real API nothing is sent again before the documented
# publishing time has passed: "this can take up to 15 minutes" (docs/api-unknowns.md).
EMULATOR_LOST_WAIT = 5.0
REAL_API_LOST_WAIT = 900.0


def lost_wait(settings: Settings, *, emulator: bool) -> float:
    """How long a request whose answer was lost may still take effect (see apply.resolve)."""
    configured = settings.api.lost_response_wait
    if configured is not None:
        return configured
    return EMULATOR_LOST_WAIT if emulator else REAL_API_LOST_WAIT


@dataclass
class Run:
    """One change on its way through its steps."""

    index: int
    change: Change
    outcome: ChangeOutcome
    state: RunState = RunState.READY
    next_step: int = 0
    offer_id: str | None = None  # the durable id of the offer this change made or edits
    # eTag of each target offer as our own last step left it (short id -> eTag). A step is
    # sent with the eTag of *its* target: from here when an earlier step of this change
    # changed that very offer, else the plan's record of it (``Step.expect_etag``).
    etags: dict[str, str] = field(default_factory=dict)

    @property
    def step(self) -> Step:
        return self.change.steps[self.next_step]

    def target(self, step: Step) -> str | None:
        return step_target(step)[0]

    def etag_for(self, step: Step) -> str | None:
        target = self.target(step)
        if target is None:
            return None
        body_etag = step.offer_resource.get("eTag")
        if body_etag:
            return str(body_etag)
        return self.etags.get(offer_key(target)) or step.expect_etag


@dataclass
class Opened:
    """A configure job this run waits for, and the (change, step) items it carries."""

    req: int
    items: list[tuple[int, Step]]


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
    emulator: bool = False  # talking to the embedded emulator (--emulator): short safety waits


class RunBook:
    """The state one apply run shares between the engine's parts (:mod:`.applier` wires
    them), and the state transitions every part makes: each part holds this object, never
    another part's state."""

    def __init__(
        self,
        plan: Plan,
        client: ApplyClient,
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
        self.progress: Progress = progress or (lambda event: None)
        self.opts = options or ApplyOptions()
        self.runs: dict[int, Run] = {}
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
                kind=change.kind,
                desired_state=change.desired_state,
                deal=plan.deals.get(change.file),
            )
            run = Run(index, change, outcome, offer_id=change.offer_id)
            if not change.steps:
                run.state = RunState.DONE
                outcome.status = "succeeded"
            self.runs[index] = run
        self.open_jobs: dict[str, Opened] = {}
        self.sent_at: dict[str, float] = {}  # job id -> when this run's submission was answered
        self.last_status: dict[str, JobStatus] = {}
        self._schedule: PollSchedule | None = None
        self.ready: list[int] = []
        self.unresolved: list[int] = []  # request numbers whose answer was lost
        self.listing: LiveView | None = None  # a full listing read in this very wave
        self.deadline = float("inf")
        # Set once the API refuses a request holding several offers (docs/api-unknowns.md):
        # every documented sample sends one offer per request.
        self.one_offer_per_request = False

    # ---- settings that follow what apply talks to ---------------------------------------

    def interval(self) -> float:
        if self.opts.interval is not None:
            return self.opts.interval
        return float(self.client.poll_interval)

    def poll_schedule(self) -> PollSchedule:
        if self._schedule is None:
            self._schedule = PollSchedule(self.interval())
        return self._schedule

    def lost_wait(self) -> float:
        return lost_wait(self.settings, emulator=self.opts.emulator)

    # ---- state transitions ---------------------------------------------------------------

    def made_ids(self) -> set[str]:
        """Offers this run created (they are ours, never "unknown same-name" offers)."""
        return {offer_key(r.offer_id) for r in self.runs.values() if r.offer_id}

    def learned(self, run: Run, step: Step, offer_id: str | None, etag: str | None) -> None:
        """What a finished step taught about its target: a new durable id, a new eTag."""
        target = run.target(step)
        if target is None and offer_id:
            run.offer_id = offer_id
            run.outcome.offer_id = offer_id
            target = offer_id
        if target and etag:
            run.etags[offer_key(target)] = etag

    def step_done(self, run: Run, step_no: int, *, queue: bool) -> None:
        run.next_step = step_no + 1
        run.outcome.steps_done = run.next_step
        run.state = RunState.READY
        if run.next_step >= len(run.change.steps):
            self.end(run, "succeeded")
        elif queue:
            self.ready.append(run.index)

    def end(self, run: Run, status: Status, message: str | None = None) -> None:
        run.outcome.status = status
        if message is not None:
            run.outcome.message = redact(message)
        run.state = RunState.DONE

    def stale(self, run: Run, reason: str, *, record: bool) -> None:
        if record:
            self.journal.write({"t": "stale", "change": run.index, "reason": reason})
        self.end(run, "stale", reason)
        self.progress(ProgressEvent("stale", (run.change.offer_name,), message=run.outcome.message))

    def note(self, message: str, run: Run) -> None:
        self.progress(ProgressEvent("note", (run.change.offer_name,), message=redact(message)))
