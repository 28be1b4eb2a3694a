"""The desired essences prepared while the live reads are in flight change no plan.

With several connections the pipeline normalises the files during the reads
(:mod:`reconciler.plan.prepared`); with one it normalises them afterwards, as it always
did. Against the emulator over HTTP, both plans of the same files and account are the
same, change for change -- edited fields, an ignored top-level field the live offer keeps
(``customer-renewal.yaml``), a plan named by its durable id (renamed by the plan list),
and a partner's view.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.api.connect import connect_emulator
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.server import EmbeddedEmulator
from reconciler.plan.pipeline import PlanInputs, fetch_for, load_files, plan_live
from reconciler.plan.plan import Plan
from reconciler.settings import ApiSettings, ApplySettings, PlanSettings, Settings

from .conftest import EXAMPLES


@pytest.fixture(scope="module")
def emu() -> Iterator[EmbeddedEmulator]:
    with EmbeddedEmulator(EmulatorConfig(tls=True, admin=True, job_latency=0.0)) as emulator:
        yield emulator


def settings_for(root: Path, connections: int) -> Settings:
    return Settings(
        root=root,
        api=ApiSettings(max_connections=connections),
        plan=PlanSettings(allow_withdraw_all=True),
        apply=ApplySettings(poll_interval=0.01),
    )


def plan_with(
    emu: EmbeddedEmulator, root: Path, connections: int, role: str = "publisher"
) -> tuple[Plan, int, int]:
    """The plan of ``root/offers``, and how many essences were prepared and left unused."""
    settings = settings_for(root, connections)
    inputs = PlanInputs(paths=(root / "offers",), role=role)
    loaded = load_files(settings, inputs)
    account = "partner" if role == "partner" else "publisher"
    with connect_emulator(emu, settings, account=account, env={}) as client:
        live = fetch_for(client, settings, inputs, loaded)
        prepared = len(loaded.prepared)
        plan = plan_live(client, settings, inputs, loaded, live)
    return plan, prepared, len(loaded.prepared)


def apply_simply(emu: EmbeddedEmulator, root: Path, plan: Plan, account: str) -> None:
    settings = settings_for(root, 1)
    with connect_emulator(emu, settings, account=account, env={}, writes=True) as client:
        for change in plan.actionable:
            for step in change.steps:
                job = client.configure(step.resources)
                done = client.wait_for_jobs([job.job_id], interval=0.01, timeout=30)
                assert done[job.job_id].succeeded, (change.offer_name, done[job.job_id].errors)


def data(plan: Plan) -> dict[str, Any]:
    found = plan.to_data()
    found.pop("meta")  # when it was made
    return found


def test_prepared_essences_plan_like_the_essences_made_afterwards(
    emu: EmbeddedEmulator, tmp_path: Path
) -> None:
    emu.admin.reset()
    shutil.copytree(EXAMPLES, tmp_path / "offers")
    created, _, _ = plan_with(emu, tmp_path, 1)
    apply_simply(emu, tmp_path, created, "publisher")

    offers = tmp_path / "offers"
    edited = offers / "customer-percentage.yaml"
    text = edited.read_text()
    assert "discountPercentage: 10\n" in text
    edited.write_text(text.replace("discountPercentage: 10\n", "discountPercentage: 12\n", 1))
    renewal = offers / "customer-renewal.yaml"  # ignores notificationContacts: live kept
    text = renewal.read_text()
    renewal.write_text(text.replace("  - amy@contoso.com\n", "  - ops@contoso.com\n", 1))
    # One plan named by its durable id, as the plan list answers it.
    with connect_emulator(emu, settings_for(tmp_path, 1), env={}) as client:
        plans = client.list_plans("product/34771906-9711-4196-9f60-4af380fd5042")
    (durable,) = [p["id"] for p in plans if p["identity"]["externalId"] == "123456"]
    edited.write_text(edited.read_text().replace("plan: plan/123456\n", f"plan: {durable}\n"))

    for role in ("publisher", "partner"):
        serial, prepared_serial, _ = plan_with(emu, tmp_path, 1, role)
        parallel, prepared, left = plan_with(emu, tmp_path, 8, role)
        assert prepared_serial == 0  # one connection: no reads to wait for
        assert prepared > 0 and left == 0  # prepared during the reads, each one taken
        assert data(parallel) == data(serial)
    publisher, _, _ = plan_with(emu, tmp_path, 8)
    assert [(c.offer_name, [f.path for f in c.field_changes]) for c in publisher.changes] == [
        (
            "Woodgrove Bank Analytics discount 2027",
            [
                "pricing[product/34771906-9711-4196-9f60-4af380fd5042/plan/123456].discountPercentage"
            ],
        )
    ]
