"""Lost answers on slow jobs: nothing is sent again before the documented publishing time
("this can take up to 15 minutes") has passed since the request. A create whose answer is
lost, on a job that takes 10 minutes -- longer than the 300 s apply used to wait -- is found
by its effect once the job completes, and never sent twice. Fake clock, no real waiting."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.api.jobs import JobStatus
from reconciler.apply.applier import ApplyOptions, apply_plan
from reconciler.apply.journal import Journal
from reconciler.emulator.server import EmbeddedEmulator
from reconciler.errors import EXIT_OK, AmbiguousSubmission
from reconciler.settings import ApiSettings, ApplySettings, Settings
from tests.apply.cli_support import EMU, posts, run, setup_project
from tests.apply.test_multistep_cli import CSP_NAME, live_ones
from tests.apply.test_state_machine import Clock, Memory, plan_for

JOB_SECONDS = 600.0  # slower than the old 300 s wait, within the documented 15 minutes


class SlowMemory(Memory):
    """The in-memory API, with jobs whose effect shows only once they complete."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)
        self.queued: list[tuple[float, list[dict[str, Any]]]] = []
        self.posts = 0

    def _run_due(self) -> None:
        for entry in [e for e in self.queued if e[0] <= self.clock()]:
            self.queued.remove(entry)
            self._apply(entry[1])

    def configure(self, resources: list[dict[str, Any]]) -> JobStatus:
        self.posts += 1
        outcome = self.script.pop(0) if self.script else "accepted"
        job = f"job-{next(self.ids)}"
        due = self.clock() + JOB_SECONDS
        self.queued.append((due, resources))
        self.jobs[job] = (due, True, [], [])
        if outcome == "lost-after":
            raise AmbiguousSubmission("configure response lost (dropped)", accepted=None)
        return JobStatus(job, "notStarted", "pending")

    def job_status(self, job_id: str, *, retry: bool = True) -> JobStatus:
        self._run_due()
        return super().job_status(job_id, retry=retry)

    def list_offers(self) -> Iterator[dict[str, Any]]:
        self._run_due()
        yield from super().list_offers()

    def get_offer(self, offer_id: str) -> dict[str, Any]:
        self._run_due()
        return super().get_offer(offer_id)


@pytest.mark.parametrize("next_run", ["same run", "resume after exit 6"])
def test_a_lost_answer_on_a_job_slower_than_300_s_creates_no_duplicate(
    tmp_path: Path, next_run: str
) -> None:
    clock = Clock()
    api = SlowMemory(clock)
    old = api.seed("live")
    plan = plan_for("recreate", old)
    # No lost-response-wait setting, not the embedded emulator: the real API's default.
    settings = Settings(api=ApiSettings(), apply=ApplySettings(poll_interval=60.0), root=tmp_path)
    api.script = ["lost-after"]
    started = time.time()
    timeout = 3000.0 if next_run == "same run" else 400.0
    options = ApplyOptions(
        clock=clock,
        sleep=clock.sleep,
        wall=lambda: started + clock.now - 1000.0,
        timeout=timeout,
    )
    journal = Journal.create(tmp_path / "journal", plan, target="memory", endpoint=api.endpoint)
    with journal:
        result = apply_plan(plan, api, settings, journal=journal, options=options)
    if next_run != "same run":
        # The run ends before the wait: the outcome is unknown (exit 6), nothing re-sent.
        assert result.exit_code == 6, result.to_data()
        assert result.outcomes[0].status == "unknown" and api.posts == 1
        options.timeout = 3000.0
        with Journal.open(journal.path) as journal:
            result = apply_plan(plan, api, settings, journal=journal, options=options)
    assert result.exit_code == 0, result.to_data()
    assert api.posts == 2  # one create, one withdraw: the lost create was never re-sent
    (live,) = api.live()
    assert live != old["id"] and api.offers[old["id"]]["state"] == "withdrawn"


# The same through `reconciler apply` and the emulator, whose clock runs 300 times faster:
# a 600 s job takes 2 s, and a 3 s lost-answer wait stands for the 15 minutes (a 1 s one,
# standing for the old 300 s, re-sends the create before its job completes).
@pytest.mark.emulator(clock_rate=300.0, job_latency=600.0)
def test_a_lost_create_on_a_600_s_emulator_job_is_found_not_sent_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator
) -> None:
    setup_project(tmp_path, monkeypatch, emu)
    toml = tmp_path / "reconciler.toml"
    toml.write_text(
        toml.read_text().replace("lost-response-wait = 1.0", "lost-response-wait = 3.0")
    )
    emu.admin.add_fault("drop_after_accept", "configure", method="POST", count=1)
    code, out, err = run("apply", "offers/csp-promotion.yaml", "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    assert posts(emu) == 1  # the lost create was found by its effect, never re-sent
    assert len(live_ones(emu, CSP_NAME)) == 1
