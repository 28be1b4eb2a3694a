"""End to end against the embedded emulator, over real HTTP(S).

Offers are brought live by sending the plan's own request bodies with a writes=True
client, so these tests also prove that the bodies are what the API accepts, and that
re-planning after applying them gives an empty plan.
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
from reconciler.offers.loader import OfferFile, load_offer_files
from reconciler.plan.live import fetch_live, managed_selector
from reconciler.plan.plan import Plan
from reconciler.plan.planner import PlanOptions, make_plan, role_kinds
from reconciler.settings import ApplySettings, PlanSettings, Settings

from .conftest import EXAMPLES, customer_file


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmbeddedEmulator]:
    with EmbeddedEmulator(EmulatorConfig(tls=True, admin=True, job_latency=0.0)) as emu:
        yield emu


@pytest.fixture
def emu(emulator: EmbeddedEmulator) -> EmbeddedEmulator:
    emulator.admin.reset()
    return emulator


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # Withdrawing one of one offer is a legitimate test case here, not an accident.
    return Settings(
        root=tmp_path,
        plan=PlanSettings(allow_withdraw_all=True),
        apply=ApplySettings(poll_interval=0.01),
    )


def client(
    emu: EmbeddedEmulator, settings: Settings, *, account: str = "publisher", writes: bool = False
):
    return connect_emulator(emu, settings, account=account, env={}, writes=writes)


def plan_of(
    emu: EmbeddedEmulator,
    settings: Settings,
    files: list[OfferFile],
    *,
    role: str = "publisher",
    **options: Any,
) -> Plan:
    account = "partner" if role == "partner" else "publisher"
    mine = [f for f in files if f.kind in role_kinds(role)]
    with client(emu, settings, account=account) as c:
        live = fetch_live(
            c, managed=managed_selector({f.name for f in mine}, {f.id for f in mine if f.id})
        )
    return make_plan(files, live, settings, options=PlanOptions(role=role, **options))


def send(
    emu: EmbeddedEmulator, settings: Settings, plan: Plan, *, account: str = "publisher"
) -> None:
    """Apply a plan the simple way: each step as its own job, in order."""
    with client(emu, settings, account=account, writes=True) as c:
        for change in plan.actionable:
            for step in change.steps:
                job = c.configure(step.resources)
                result = c.wait_for_jobs([job.job_id], interval=0.01, timeout=30)[job.job_id]
                assert result.succeeded, (change.offer_name, step.kind, result.errors)


def live_offer(
    emu: EmbeddedEmulator, settings: Settings, name: str, account: str = "publisher"
) -> dict[str, Any]:
    with client(emu, settings, account=account) as c:
        return next(o for o in c.list_offers() if o["name"] == name and o["state"] != "deleted")


def test_examples_create_then_plan_is_empty_and_read_only(
    emu: EmbeddedEmulator, settings: Settings, tmp_path: Path
) -> None:
    files = load_offer_files([EXAMPLES], settings, strict=False)
    plan = plan_of(emu, settings, files)
    assert plan.summary()["create"] == 10 and not plan.is_blocked
    send(emu, settings, plan)

    emu.admin.reset_stats()
    again = plan_of(emu, settings, files)
    assert again.changes == [], [
        (c.offer_name, [f.path for f in c.field_changes]) for c in again.changes
    ]
    stats = emu.admin.stats()
    assert not any(key.startswith("POST configure") for key in stats), stats
    # the request floor: list pages + one GET per absolute price resource of a managed offer,
    # and with a list of summaries one GET per managed offer
    with client(emu, settings) as c:
        offers = [c.get_offer(str(o["id"])) for o in c.list_offers()]
    refs = {
        e["priceDetails"]
        for o in offers
        for e in o.get("pricing", [])
        if isinstance(e.get("priceDetails"), str)
    }
    assert len(refs) >= 3
    by_id = {"GET private-offer/{id}": len(offers)} if emu.config.list_shape == "summary" else {}
    assert stats == {
        "GET private-offer/query": 1,
        "GET price-and-availability-private-offer-plan/{product}/{id}": len(refs),
    } | by_id | {k: v for k, v in stats.items() if not k.startswith(("GET private", "GET price"))}

    # lists reordered and defaults omitted: still nothing to do
    copy_dir = tmp_path / "offers"
    shutil.copytree(EXAMPLES, copy_dir)
    target = copy_dir / "csp-promotion.yaml"
    text = target.read_text()
    text = text.replace("offerPricingType: editExistingOfferPricingOnly\n", "")
    contacts = "  - amy@contoso.com\n  - partner-sales@contoso.com\n"
    assert contacts in text
    text = text.replace(contacts, "  - partner-sales@contoso.com\n  - amy@contoso.com\n")
    target.write_text(text)
    reordered = load_offer_files([copy_dir], settings, strict=False)
    assert plan_of(emu, settings, reordered).changes == []

    # the selling partner completes the multiparty offer with its file, then nothing is left
    partner_plan = plan_of(emu, settings, files, role="partner")
    (complete,) = partner_plan.changes
    assert complete.action == "partner-complete"
    send(emu, settings, partner_plan, account="partner")
    assert plan_of(emu, settings, files, role="partner").changes == []

    # a multiparty offer with absolute prices: the originator's price resources are not the
    # partner's to read, and the partner's plan must not need them
    absolute = (EXAMPLES / "partner" / "partner-completion.yaml").read_text()
    absolute = absolute.replace(
        "Adventure Works Analytics via Market Place Test",
        "Coho Winery Data Platform via Market Place Test",
    )
    entries = absolute[absolute.index("originatorPricing:") : absolute.index("notes:")]
    absolute = absolute.replace(
        entries,
        "originatorPricing:\n"
        "  - product: product/7ba807c8-386a-4efe-80f1-b97bf8a554f8\n"
        "    plan: plan/987654\n"
        "    markupPercentage: 4\n",
    )
    partner_dir = tmp_path / "partner-absolute"
    partner_dir.mkdir()
    (partner_dir / "coho.yaml").write_text(absolute)
    coho = load_offer_files([partner_dir], settings, strict=False)
    (complete,) = plan_of(emu, settings, coho, role="partner").changes
    assert complete.action == "partner-complete"
    send(emu, settings, plan_of(emu, settings, coho, role="partner"), account="partner")
    assert plan_of(emu, settings, coho, role="partner").changes == []


def test_lifecycle_against_the_emulator(emu: EmbeddedEmulator, settings: Settings) -> None:
    draft = customer_file(settings, state="draft")
    created = plan_of(emu, settings, [draft])
    send(emu, settings, created)

    edited = customer_file(settings, state="draft", discount=9)
    (update,) = plan_of(emu, settings, [edited]).changes
    assert update.action == "update"
    send(emu, settings, plan_of(emu, settings, [edited]))

    live = customer_file(settings, state="live", discount=9)
    (publish,) = plan_of(emu, settings, [live]).changes
    assert publish.action == "publish"
    send(emu, settings, plan_of(emu, settings, [live]))
    assert plan_of(emu, settings, [live]).changes == []

    # live and not accepted: editing needs permission, then withdraw + republish works
    relive = customer_file(settings, state="live", discount=11)
    (blocked,) = plan_of(emu, settings, [relive]).changes
    assert blocked.action == "blocked" and blocked.wanted == "republish"
    republish = plan_of(emu, settings, [relive], allow_republish=True)
    assert republish.changes[0].action == "republish"
    send(emu, settings, republish)
    assert plan_of(emu, settings, [relive]).changes == []

    # changed behind git's back: shown as a change whose value is live's
    offer = live_offer(emu, settings, "Tailspin Analytics")
    emu.admin.edit(offer["id"], {"preparedBy": "mallory@contoso.com"})
    (drift,) = plan_of(emu, settings, [relive]).changes
    assert [(f.path, f.old, f.new) for f in drift.field_changes] == [
        ("preparedBy", "mallory@contoso.com", "amy@contoso.com")
    ]

    # accepted: a contract
    emu.admin.accept(offer["id"])
    (accepted,) = plan_of(emu, settings, [relive], allow_republish=True).changes
    assert accepted.action == "blocked" and "contract" in (accepted.blocked_reason or "")
    withdraw = customer_file(settings, state="withdrawn", discount=11)
    (refused,) = plan_of(emu, settings, [withdraw]).changes
    assert refused.action == "blocked"


@pytest.mark.parametrize("after_withdraw", ["draft", "withdrawn"])
def test_withdraw_and_delete_against_the_emulator(
    emu: EmbeddedEmulator, settings: Settings, after_withdraw: str
) -> None:
    # The docs say a withdrawn offer goes back to draft; the other value is the old reading.
    emu.admin.settings(withdrawn_state=after_withdraw)
    try:
        send(emu, settings, plan_of(emu, settings, [customer_file(settings, state="live")]))
        withdraw = customer_file(settings, state="withdrawn")
        plan = plan_of(emu, settings, [withdraw])
        assert plan.changes[0].action == "withdraw"
        send(emu, settings, plan)
        assert live_offer(emu, settings, "Tailspin Analytics")["state"] == after_withdraw
        assert plan_of(emu, settings, [withdraw]).changes == []

        delete = customer_file(settings, state="deleted")
        plan = plan_of(emu, settings, [delete])
        assert plan.changes[0].action == "delete"
        send(emu, settings, plan)
        assert plan_of(emu, settings, [delete]).changes == []
    finally:
        emu.admin.settings(withdrawn_state="draft")


def test_live_csp_offer_is_recreated_only_when_allowed(
    emu: EmbeddedEmulator, settings: Settings
) -> None:
    files = [
        f
        for f in load_offer_files([EXAMPLES], settings, strict=False)
        if f.path.name == "csp-promotion.yaml"
    ]
    send(emu, settings, plan_of(emu, settings, files))
    text = (
        (EXAMPLES / "csp-promotion.yaml")
        .read_text()
        .replace("discountPercentage: 5", "discountPercentage: 6")
    )
    from reconciler.offers.loader import load_offer_text

    edited = [load_offer_text(text, "offers/csp-promotion.yaml", settings, strict=False)]
    (blocked,) = plan_of(emu, settings, edited).changes
    assert blocked.action == "blocked" and blocked.wanted == "recreate"
    plan = plan_of(emu, settings, edited, allow_republish=True)
    (recreate,) = plan.changes
    assert recreate.action == "recreate" and [s.kind for s in recreate.steps] == [
        "create",
        "withdraw",
    ]
    send(emu, settings, plan)
    assert plan_of(emu, settings, edited).changes == []


def test_withdrawn_csp_offer_is_never_planned_for_a_delete(
    emu: EmbeddedEmulator, settings: Settings
) -> None:
    from reconciler.offers.loader import load_offer_text

    text = (EXAMPLES / "csp-promotion.yaml").read_text()

    def csp(state: str) -> list[OfferFile]:
        edited = text.replace("state: live", f"state: {state}")
        return [load_offer_text(edited, "offers/csp-promotion.yaml", settings, strict=False)]

    send(emu, settings, plan_of(emu, settings, csp("live")))
    send(emu, settings, plan_of(emu, settings, csp("withdrawn")))
    name = csp("live")[0].name
    assert live_offer(emu, settings, name)["state"] == "withdrawn"
    # The service deletes drafts only; a withdrawn CSP offer is as gone as it can be.
    assert plan_of(emu, settings, csp("deleted")).changes == []


def test_expired_offer_reads_back_expired_and_plans_calmly(
    emu: EmbeddedEmulator, settings: Settings
) -> None:
    send(emu, settings, plan_of(emu, settings, [customer_file(settings, state="live")]))
    emu.admin.settings(today="2027-02-01")  # the day after the file's acceptBy
    try:
        offer_id = live_offer(emu, settings, "Tailspin Analytics")["id"]
        with client(emu, settings) as c:
            assert c.get_offer(offer_id)["subState"] == "expired"
        assert plan_of(emu, settings, [customer_file(settings, state="live")]).changes == []
        edited = customer_file(settings, state="live", discount=11)
        (blocked,) = plan_of(emu, settings, [edited]).changes
        assert blocked.action == "blocked"
        assert "expired" in (blocked.blocked_reason or "")
        assert "acceptBy" in (blocked.blocked_reason or "")
    finally:
        emu.admin.settings(today="")


def test_partner_cannot_create(emu: EmbeddedEmulator, settings: Settings) -> None:
    files = load_offer_files([EXAMPLES / "partner"], settings, strict=False)
    (blocked,) = plan_of(emu, settings, files, role="partner").changes
    assert blocked.action == "blocked" and blocked.waiting
    assert "waiting for the originator to publish" in (blocked.blocked_reason or "")
