"""apply against the emulator over real HTTP: examples to live, stale plans, failing jobs,
throttling and server errors, and crashes in the middle of a run."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from reconciler.api.client import ProductIngestionClient
from reconciler.apply.applier import ApplyOptions
from reconciler.apply.journal import journal_dir, list_journals, read_state
from reconciler.apply.outcome import ApplyResult, ProgressEvent
from reconciler.apply.session import run_apply
from reconciler.cli.apply import file_locator
from reconciler.emulator.server import EmbeddedEmulator
from reconciler.errors import EXIT_JOBS_FAILED, EXIT_OK, EXIT_STALE
from reconciler.plan.plan import Plan
from reconciler.settings import Settings
from tests.apply.conftest import client, fast_settings
from tests.support.planning import plan_now

EXAMPLE_OFFERS = 10  # publisher files under offers/ (the partner file completes one of them)


def plan_for(
    c: ProductIngestionClient, settings: Settings, *paths: str, role: str = "publisher"
) -> Plan:
    account = "partner" if role == "partner" else None
    return plan_now(
        c, settings, tuple(Path(p) for p in paths or ("offers",)), role, account, False, False
    )


def apply(
    plan: Plan, c: Any, settings: Settings, events: list[ProgressEvent] | None = None
) -> ApplyResult:
    options = ApplyOptions(locate=file_locator(settings))
    sink = events.append if events is not None else None
    return run_apply(plan, c, settings, c.endpoint, options=options, progress=sink)


def live_names(c: ProductIngestionClient) -> Counter[str]:
    return Counter(str(o["name"]) for o in c.list_offers() if o.get("state") != "deleted")


def test_examples_go_live_in_one_apply_and_the_next_plans_are_empty(
    project: Path, emu: EmbeddedEmulator
) -> None:
    settings = fast_settings(project, max_resources_per_request=5, max_concurrent_requests=3)
    events: list[ProgressEvent] = []
    with client(emu, settings) as pub:
        plan = plan_for(pub, settings)
        assert plan.summary()["create"] == EXAMPLE_OFFERS
        result = apply(plan, pub, settings, events)
        assert result.exit_code == EXIT_OK, result.to_data()
        assert [o.status for o in result.outcomes] == ["succeeded"] * EXAMPLE_OFFERS
        # durable ids of the new offers come from the job details
        assert all(str(o.offer_id).startswith("private-offer/") for o in result.outcomes)
        assert len({j for o in result.outcomes for j in o.job_ids}) > 1  # batched requests
        assert result.journal_closed
        assert max(live_names(pub).values()) == 1 and len(live_names(pub)) == EXAMPLE_OFFERS
        assert {e.kind for e in events} >= {"submitted", "job"}
    with client(emu, settings, "partner") as partner:
        pplan = plan_for(partner, settings, role="partner")
        assert pplan.summary()["partner-complete"] == 1
        assert apply(pplan, partner, settings).exit_code == EXIT_OK
        assert not plan_for(partner, settings, role="partner").has_changes
    with client(emu, settings) as pub:
        assert not plan_for(pub, settings).has_changes


def _drafts(project: Path) -> None:
    folder = project / "drafts"
    folder.mkdir()
    for name in ("customer-percentage.yaml", "customer-renewal.yaml"):
        text = (project / "offers" / name).read_text()
        (folder / name).write_text(text.replace("state: live", "state: draft"))


def test_a_plan_made_stale_by_a_live_edit_is_refused_for_that_offer_only(
    project: Path, emu: EmbeddedEmulator
) -> None:
    _drafts(project)
    settings = fast_settings(project)
    with client(emu, settings) as pub:
        assert apply(plan_for(pub, settings, "drafts"), pub, settings).exit_code == EXIT_OK
        for name, old, new in (
            ("customer-percentage.yaml", "discountPercentage: 10", "discountPercentage: 12"),
            ("customer-renewal.yaml", "discountPercentage: 15", "discountPercentage: 16"),
        ):
            path = project / "drafts" / name
            path.write_text(path.read_text().replace(old, new))
        plan = plan_for(pub, settings, "drafts")
        assert [c.action for c in plan.changes] == ["update", "update"]
        edited = next(c for c in plan.changes if c.file.endswith("customer-renewal.yaml"))
        assert edited.offer_id
        emu.admin.edit(edited.offer_id, {"preparedBy": "someone-else@contoso.com"})

        result = apply(plan, pub, settings)

        assert result.exit_code == EXIT_STALE
        by_file = {Path(o.file).name: o for o in result.outcomes}
        assert by_file["customer-renewal.yaml"].status == "stale"
        assert "changed since the plan" in str(by_file["customer-renewal.yaml"].message)
        assert by_file["customer-renewal.yaml"].job_ids == []
        assert by_file["customer-percentage.yaml"].status == "succeeded"
        live = pub.get_offer(edited.offer_id)
        assert live["preparedBy"] == "someone-else@contoso.com"  # the other edit survived
        assert live["pricing"][0]["discountPercentage"] == 15


def test_a_failing_job_is_reported_with_its_file_and_the_others_succeed(
    project: Path, emu: EmbeddedEmulator
) -> None:
    settings = fast_settings(project, max_resources_per_request=1, max_concurrent_requests=1)
    emu.admin.add_fault(
        "fail_job", "configure", method="POST", count=1, code="businessValidationError",
        message="Injected: the offer was rejected.",
    )  # fmt: skip
    with client(emu, settings) as pub:
        plan = plan_for(pub, settings)
        result = apply(plan, pub, settings)
        assert result.exit_code == EXIT_JOBS_FAILED
        failed = [o for o in result.outcomes if o.status == "failed"]
        assert len(failed) == 1
        assert failed[0].file == plan.changes[0].file
        assert failed[0].errors[0].file == plan.changes[0].file
        assert failed[0].errors[0].code == "businessValidationError"
        assert "rejected" in failed[0].errors[0].message
        assert failed[0].job_ids and failed[0].job_result == "failed"
        assert sum(o.status == "succeeded" for o in result.outcomes) == EXAMPLE_OFFERS - 1
        # the failure is not lost: the next plan wants exactly that offer again
        again = plan_for(pub, settings)
        assert [(c.action, c.file) for c in again.changes] == [("create", failed[0].file)]


def test_a_job_error_naming_a_field_points_at_its_line(
    project: Path, emu: EmbeddedEmulator
) -> None:
    settings = fast_settings(project)
    with client(emu, settings) as pub:
        plan = plan_for(pub, settings, "offers/customer-percentage.yaml")
        step = plan.changes[0].steps[0]
        # A plan that slipped past validation: the plan id does not exist in the catalogue.
        step.offer_resource["pricing"][0]["plan"] = "plan/999999"
        result = apply(plan, pub, settings)
    outcome = result.outcomes[0]
    assert outcome.status == "failed"
    lines = (project / "offers" / "customer-percentage.yaml").read_text().splitlines()
    plan_line = next(i for i, text in enumerate(lines, 1) if text.startswith("    plan: plan/"))
    located = [e for e in outcome.errors if e.field == "pricing[0].plan"]
    assert located, outcome.errors
    assert (located[0].line, located[0].col) == (plan_line, 5)
    assert located[0].file == "offers/customer-percentage.yaml"


def test_throttling_and_server_errors_on_the_way_are_survived(
    project: Path, emu: EmbeddedEmulator
) -> None:
    settings = fast_settings(project, max_resources_per_request=4, max_concurrent_requests=2)
    admin = emu.admin
    admin.add_fault("status", "configure", method="POST", status=429, retry_after=0.01, count=2)
    admin.add_fault("status", "configure", method="POST", status=500, count=1)
    admin.add_fault("status", "configure/*/status", method="GET", status=503, count=3)
    admin.add_fault("status", "private-offer/query", method="GET", status=502, count=1)
    admin.add_fault("status", "configure/*", method="GET", status=500, count=1)
    with client(emu, settings) as pub:
        result = apply(plan_for(pub, settings), pub, settings)
        assert result.exit_code == EXIT_OK, result.to_data()
        names = live_names(pub)
        assert len(names) == EXAMPLE_OFFERS and max(names.values()) == 1
        assert not plan_for(pub, settings).has_changes
    assert all(f["hits"] == (f["count"] or 0) for f in admin.faults())


class Crash(BaseException):
    """The process dying: nothing after it runs (not an error the engine handles)."""


class DyingClient:
    """A real client through which the process 'dies' at the n-th configure, before the
    request goes out or after the service accepted it but before its answer is recorded."""

    def __init__(self, inner: ProductIngestionClient, at: int, *, after_send: bool) -> None:
        self.inner = inner
        self.at = at
        self.after_send = after_send
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def configure(self, resources: list[dict[str, Any]], **options: Any) -> Any:
        self.calls += 1
        if self.calls >= self.at:  # a dead process sends nothing more
            if self.after_send and self.calls == self.at:
                self.inner.configure(resources, **options)
            raise Crash
        return self.inner.configure(resources, **options)


@pytest.mark.parametrize("after_send", [True, False], ids=["accepted", "never-sent"])
def test_a_crash_between_intent_and_answer_converges_without_duplicates(
    project: Path, emu: EmbeddedEmulator, after_send: bool
) -> None:
    settings = fast_settings(project, max_resources_per_request=1, max_concurrent_requests=1)
    with client(emu, settings) as pub:
        plan = plan_for(pub, settings)
        with pytest.raises(Crash):
            apply(plan, DyingClient(pub, 3, after_send=after_send), settings)
        (info,) = list_journals(journal_dir(settings))
        assert info.to_data()["unresolved_requests"] >= 1
        assert len(info.to_data()["jobs_in_flight"]) == 2

        result = apply(plan, pub, settings)  # the same plan again: resumes its journal

        assert result.resumed and result.exit_code == EXIT_OK, result.to_data()
        names = live_names(pub)
        assert len(names) == EXAMPLE_OFFERS and max(names.values()) == 1
        # every offer went out exactly once over both runs: nothing re-sent, nothing lost
        assert pub.stats.by_endpoint["POST configure"] == EXAMPLE_OFFERS
        state = read_state(Path(str(result.journal)))
        assert set(state.requests[3].resolved.values()) == {
            "applied" if after_send else "not-applied"
        }
        assert state.closed
        assert not plan_for(pub, settings).has_changes


def test_templates_stay_templates_in_the_journal(
    project: Path, emu: EmbeddedEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sv=2024&sig=TOPSECRETsignature123"
    monkeypatch.setenv(
        "RECONCILER_VAR_WOODGROVE_TERMS_SAS",
        f"https://contosolegal.blob.core.windows.net/t.pdf?{secret}",
    )
    path = project / "offers" / "customer-percentage.yaml"
    text = path.read_text()
    start = text.index("termsAndConditionsDocSasUrl:")
    end = text.index("\n", start)
    path.write_text(
        text[:start]
        + "termsAndConditionsDocSasUrl: ${RECONCILER_VAR_WOODGROVE_TERMS_SAS}"
        + text[end:]
    )
    (project / "reconciler.toml").write_text("allow-sas-signature = true\n")
    settings = fast_settings(project)
    settings.allow_sas_signature = True
    with client(emu, settings) as pub:
        result = apply(plan_for(pub, settings, "offers/customer-percentage.yaml"), pub, settings)
        assert result.exit_code == EXIT_OK, result.to_data()
        live = pub.get_offer(str(result.outcomes[0].offer_id))
    assert secret in json.dumps(live)  # expanded when sent
    journal = Path(str(result.journal)).read_text()
    assert "${RECONCILER_VAR_WOODGROVE_TERMS_SAS}" in journal
    assert "TOPSECRET" not in journal
