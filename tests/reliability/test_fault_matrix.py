"""The fault matrix: apply the example offers through the emulator's fault injection, then
check the end state.

Every case runs a real apply (msal tokens from the emulator's token endpoint, TLS, real HTTP)
while the emulator misbehaves, and then asserts what a user relies on:

* the run itself reports every change that did not succeed (status, message or errors, file)
  and its exit code says so;
* after the faults stop, applying the files again (the next CI run) converges: the next plan
  is empty, every offer name exists exactly once live, no journal is left open.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.api.client import ProductIngestionClient
from reconciler.api.credentials import StaticTokenProvider
from reconciler.api.wire import build_transport
from reconciler.apply.journal import journal_dir, list_journals
from reconciler.emulator.admin import EmulatorAdmin
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.server import EmbeddedEmulator
from reconciler.errors import EXIT_JOBS_FAILED, EXIT_OK, EXIT_STALE
from tests.reliability.support import (
    PUBLISHER_OFFERS,
    apply,
    assert_end_state,
    assert_every_failure_reported,
    converge,
    copy_examples,
    emulator,
    fast_settings,
    free_port,
    live_names,
    plan_for,
    publisher,
)


@dataclass(frozen=True)
class Case:
    """Faults to inject before the first apply, and what that apply may end with."""

    inject: Callable[[EmulatorAdmin], None]
    exit_codes: tuple[int, ...] = (EXIT_OK,)
    timeout: float = 5.0  # the client's read timeout
    lost_response_wait: float = 0.6
    per_request: int = 3  # offers per configure request
    # Known apply defect (see test_accepted_lost_answer_closes_the_journal): a request whose
    # lost answer was found applied keeps its journal open forever.
    leaves_open_journal: bool = False


def _throttle_storm(admin: EmulatorAdmin) -> None:
    # Half of all API calls answer 429 with Retry-After, for the whole run.
    admin.add_fault("status", "*", status=429, retry_after=0.02, share=0.5)


def _server_errors(admin: EmulatorAdmin) -> None:
    # A burst of 5xx on submissions (the server may have acted: the client must check) and on
    # the status polls and the listing.
    admin.add_fault("status", "configure", method="POST", status=500, count=3)
    admin.add_fault("status", "configure", method="POST", status=503, count=2, retry_after=0.02)
    admin.add_fault("status", "configure/*/status", status=502, count=4)
    admin.add_fault("status", "private-offer/query", status=504, count=2)


def _drop_before_accept(admin: EmulatorAdmin) -> None:
    # The connection closes before the request is processed: nothing was created.
    admin.add_fault("drop", "configure", method="POST", count=3)


def _drop_after_accept(admin: EmulatorAdmin) -> None:
    # The job is created, the answer is lost: re-sending blindly would duplicate offers.
    admin.add_fault("drop_after_accept", "configure", method="POST", count=3)


def _mixed_drops(admin: EmulatorAdmin) -> None:
    admin.add_fault("drop_after_accept", "configure", method="POST", share=0.5)
    admin.add_fault("drop", "configure/*/status", share=0.3)
    admin.add_fault("drop", "private-offer/*", share=0.2)


def _slow(admin: EmulatorAdmin) -> None:
    # Slow but within the client's timeout.
    admin.add_fault("delay", "*", delay=0.08, share=0.4)


def _hung(admin: EmulatorAdmin) -> None:
    # Longer than the client's read timeout: a hung POST is ambiguous, hung polls are retried.
    admin.add_fault("delay", "configure", method="POST", delay=0.8, count=1)
    admin.add_fault("delay", "configure/*/status", delay=0.8, count=2)
    admin.add_fault("delay", "private-offer/query", delay=0.8, count=1)


def _failing_job(admin: EmulatorAdmin) -> None:
    admin.add_fault("fail_job", "configure", method="POST", count=1, code="internalError",
                    message="Injected job failure.")  # fmt: skip


CASES = {
    "429-storm-retry-after": Case(_throttle_storm),
    "5xx-bursts": Case(_server_errors),
    "drop-before-accept": Case(_drop_before_accept),
    "drop-after-accept": Case(_drop_after_accept),
    "mixed-drops": Case(_mixed_drops, exit_codes=(EXIT_OK, EXIT_JOBS_FAILED)),
    "slow-responses": Case(_slow),
    # The lost-answer check outlasts the hung POST (0.8 s) and the job latency with margin.
    "hung-responses-timeouts": Case(_hung, timeout=0.3, lost_response_wait=1.5),
    "failing-job-in-a-batch": Case(_failing_job, exit_codes=(EXIT_JOBS_FAILED,)),
}


@pytest.mark.timeout(90)
@pytest.mark.parametrize("name", list(CASES))
def test_fault_case_converges_without_duplicates(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = CASES[name]
    monkeypatch.chdir(tmp_path)
    offers = copy_examples(tmp_path)
    settings = fast_settings(
        tmp_path, timeout=case.timeout, max_resources_per_request=case.per_request
    )
    settings.api.lost_response_wait = case.lost_response_wait
    with emulator(fault_seed=7) as emu, publisher(emu, settings) as client:
        plan = plan_for(client, settings, offers)
        assert plan.summary()["create"] == PUBLISHER_OFFERS
        case.inject(emu.admin)
        first = apply(plan, client, settings)
        assert first.exit_code in case.exit_codes, first.to_data()
        assert_every_failure_reported(first)
        if case.exit_codes == (EXIT_JOBS_FAILED,):
            failed = [o for o in first.outcomes if o.status == "failed"]
            assert failed and all(o.errors for o in failed)
            assert any("Injected job failure" in e.message for o in failed for e in o.errors)
        # No duplicate even before the faults stop.
        assert max(live_names(client).values(), default=1) == 1
        emu.admin.clear_faults()
        converge(client, settings, offers)
        assert_end_state(
            client, settings, offers, PUBLISHER_OFFERS, journal=not case.leaves_open_journal
        )


@pytest.mark.timeout(60)
def test_accepted_lost_answer_closes_the_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    offers = copy_examples(tmp_path)
    settings = fast_settings(tmp_path, max_resources_per_request=5)
    with emulator() as emu, publisher(emu, settings) as client:
        plan = plan_for(client, settings, offers)
        emu.admin.add_fault("drop_after_accept", "configure", method="POST", count=1)
        result = apply(plan, client, settings)
        assert result.exit_code == EXIT_OK, result.to_data()
        assert max(live_names(client).values()) == 1
        # Everything succeeded: `reconciler jobs list` must not show this run as unfinished.
        assert result.journal_closed
        assert list_journals(journal_dir(settings)) == []


@pytest.mark.timeout(90)
def test_token_expiry_in_the_middle_of_an_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tokens live one second; the apply runs for several: every expiry is survived."""
    monkeypatch.chdir(tmp_path)
    offers = copy_examples(tmp_path)
    settings = fast_settings(tmp_path, max_resources_per_request=1, max_concurrent_requests=1)
    with emulator(token_lifetime=1, job_latency=2.2) as emu, publisher(emu, settings) as client:
        plan = plan_for(client, settings, offers)
        started = time.monotonic()
        result = apply(plan, client, settings)
        assert result.exit_code == EXIT_OK, result.to_data()
        assert time.monotonic() - started > 2  # the run outlived at least two tokens
        assert client.stats.tokens_fetched >= 2
        assert_end_state(client, settings, offers, PUBLISHER_OFFERS)


@pytest.mark.timeout(90)
def test_stale_etag_between_plan_and_apply_is_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    offers = copy_examples(tmp_path)
    settings = fast_settings(tmp_path)
    with emulator() as emu, publisher(emu, settings) as client:
        assert apply(plan_for(client, settings, offers), client, settings).exit_code == EXIT_OK
        # A draft offer (the examples are live, and a live offer cannot be edited), beside
        # the live one of the same deal (in place of it, it would be a rename: blocked)...
        draft = offers / "draft-of-customer-percentage.yaml"
        text = (
            (offers / "customer-percentage.yaml").read_text().replace("state: live", "state: draft")
        )
        draft.write_text(text.replace("name: ", "name: Draft of ", 1))
        assert apply(plan_for(client, settings, offers), client, settings).exit_code == EXIT_OK
        # ...gets a reviewed edit...
        draft.write_text(draft.read_text().replace("end: 2027-12-31", "end: 2027-11-30"))
        plan = plan_for(client, settings, offers)
        assert plan.summary().get("update", 0) + plan.summary().get("update-draft", 0) >= 1, (
            plan.summary()
        )
        # ...and someone edits that offer in Partner Center before the apply runs.
        offer = next(o for o in client.list_offers() if str(o["name"]).startswith("Draft of "))
        emu.admin.edit(offer["id"], {"preparedBy": "someone@contoso.com"})
        result = apply(plan, client, settings)
        assert result.exit_code == EXIT_STALE, result.to_data()
        assert_every_failure_reported(result)
        stale = [o for o in result.outcomes if o.status == "stale"]
        assert len(stale) == 1 and stale[0].offer_name.startswith("Draft of "), result.to_data()
        # The hand edit is still there: a stale plan never overwrites.
        assert client.get_offer(offer["id"])["preparedBy"] == "someone@contoso.com"
        converge(client, settings, offers)
        names = live_names(client)
        assert max(names.values()) == 1
        assert not plan_for(client, settings, offers).has_changes


@pytest.mark.timeout(90)
def test_emulator_restart_while_jobs_are_polled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service goes away for a moment while jobs run; it comes back with the same data."""
    monkeypatch.chdir(tmp_path)
    offers = copy_examples(tmp_path)
    # the check for a lost answer must outlast the restart gap and the job latency (0.3 s)
    settings = fast_settings(tmp_path, lost_response_wait=1.5, max_resources_per_request=2)
    port = free_port()

    def config() -> EmulatorConfig:
        # Plain HTTP and static tokens: a restarted TLS emulator has a new CA.
        return EmulatorConfig(
            data_dir=tmp_path / "emu", port=port, admin=True, job_latency=0.3, static_tokens=True
        )

    first = EmbeddedEmulator(config()).start()
    wire = build_transport(settings, writes=True)
    client = ProductIngestionClient(
        first.api_url, settings=settings, tokens=StaticTokenProvider("emulator:publisher"),
        transport=wire, writes=True,
    )  # fmt: skip
    plan = plan_for(client, settings, offers)
    outcome: dict[str, object] = {}

    def run() -> None:
        outcome["result"] = apply(plan, client, settings)

    worker = threading.Thread(target=run)
    worker.start()
    folder = journal_dir(settings)
    deadline = time.monotonic() + 30
    while not any('"t": "submitted"' in p.read_text() for p in folder.glob("*.jsonl")):
        assert time.monotonic() < deadline, "nothing was submitted"
        time.sleep(0.01)
    first.stop()
    time.sleep(0.4)  # polls in this window fail to connect and are retried
    second = EmbeddedEmulator(config()).start()
    try:
        worker.join(60)
        assert not worker.is_alive()
        result = outcome["result"]
        assert result.exit_code == EXIT_OK, result.to_data()  # type: ignore[attr-defined]
        assert_end_state(client, settings, offers, PUBLISHER_OFFERS)
    finally:
        client.close()
        second.stop()
