"""The examples end to end under the pessimistic reading of every unknown, and the optimistic.

The pessimistic emulator (docs/api-unknowns.md, all at once): the list answers summaries
(``id``, ``name``, ``privateOfferType``, ``state``) under ``value`` with
``@odata.nextLink``; a request is processed in the order sent, so a price resource must
come before the offer that names it; a request holding several offers is accepted and its
job fails; jobs take 30 s of the emulator's clock (run 100 times faster here) and a created
offer is listed only once its job completes; software reservations get a generated
``newPlanDetails``. The optimistic one answers full resources, takes any order and
several offers per request, and finishes jobs at once.

The emulator's defaults are the pessimistic values (its 30 s jobs run on a clock 100 times
faster here). Each run: plan (2), apply (0), plan (0), drift in sync (0), import round-trips (the
imported files plan as no change), then a saved plan, an outside edit, apply: stale (4)
and the edit kept; never two active offers with one name.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import EmbeddedEmulator, EmulatorConfig
from reconciler.emulator.config import DEFAULT_JOB_LATENCY
from tests.emulator.cli import client_env, reconciler
from tests.emulator.conftest import Api

EXAMPLES = Path(__file__).resolve().parents[2] / "offers"
PESSIMISTIC: dict[str, Any] = {
    "list_shape": "summary",
    "list_key": "value",
    "next_link_key": "@odata.nextLink",
    "price_order": "request",
    "multi_offer_requests": "failed",
    "job_latency": 30.0,
    "clock_rate": 100.0,
    "vmsr_plan_details": "generated",
    "upgrade_source": "accepted",
}
# The emulator's own defaults, with 30 s jobs on a clock 100 times faster.
DEFAULTS: dict[str, Any] = {"job_latency": DEFAULT_JOB_LATENCY, "clock_rate": 100.0}
OPTIMISTIC: dict[str, Any] = {
    "list_shape": "full",
    "price_order": "any",
    "multi_offer_requests": "allowed",
    "job_latency": 0.0,
    "vmsr_plan_details": "none",
    "upgrade_source": "any",
}


def _listed(api: Api) -> list[dict[str, Any]]:
    """Every page of GET private-offer/query, as any client would follow them."""
    items: list[dict[str, Any]] = []
    response = api.get("/private-offer/query", "2024-09-30")
    while True:
        body = response.json()
        items += body.get("value") or body.get("privateOffers") or []
        link = body.get("@nextLink") or body.get("@odata.nextLink")
        if not link:
            return items
        response = api.http.get(link)


def _active_names(emu: EmbeddedEmulator) -> Counter[str]:
    api = Api(emu)
    try:
        items = _listed(api)
    finally:
        api.close()
    return Counter(o["name"] for o in items if o["state"] in ("draft", "live"))


def _vm_plan_details(emu: EmbeddedEmulator) -> list[Any]:
    """The newPlanDetails the service keeps on the software reservation's pricing."""
    api = Api(emu)
    try:
        (vm,) = [o for o in _listed(api) if o["name"] == "Relecloud Secure VM reservation 2027"]
        full = api.offer(vm["id"])
    finally:
        api.close()
    return [e["newPlanDetails"] for e in full["pricing"] if "newPlanDetails" in e]


def test_the_emulator_defaults_are_the_pessimistic_reading() -> None:
    defaults = EmulatorConfig(job_latency=DEFAULT_JOB_LATENCY)  # the suite sets 0 otherwise
    pessimistic = ("list_shape", "price_order", "multi_offer_requests", "vmsr_plan_details")
    for key in (*pessimistic, "upgrade_source"):
        assert getattr(defaults, key) == PESSIMISTIC[key], key
    assert defaults.job_latency == PESSIMISTIC["job_latency"] == 30.0


@pytest.mark.parametrize(
    "variant",
    [DEFAULTS, PESSIMISTIC, OPTIMISTIC],
    ids=["defaults-30s-jobs", "pessimistic", "optimistic"],
)
def test_examples_converge_and_a_saved_plan_goes_stale(
    variant: dict[str, Any], tmp_path: Path
) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "offers", ignore=shutil.ignore_patterns("partner"))
    config = EmulatorConfig(tls=True, admin=True, page_size=4, **variant)
    variant = {**PESSIMISTIC, **variant} if variant is DEFAULTS else variant
    with EmbeddedEmulator(config) as emu:
        env = client_env(emu)
        code, out = reconciler(["plan", "offers", "--detailed-exitcode"], env, tmp_path)
        assert code == 2, out
        code, out = reconciler(["apply", "offers", "--auto-approve"], env, tmp_path)
        assert code == 0, out
        if variant["multi_offer_requests"] == "failed":
            assert "one offer per request" in out, out
        code, out = reconciler(["plan", "offers", "--detailed-exitcode"], env, tmp_path)
        assert code == 0, out
        assert "No changes" in out, out
        generated = _vm_plan_details(emu)
        assert bool(generated) is (variant["vmsr_plan_details"] == "generated"), generated
        code, out = reconciler(["drift", "offers"], env, tmp_path)
        assert code == 0, out
        code, out = reconciler(["import", "--all", "--out", "imported"], env, tmp_path)
        assert code == 0, out
        code, out = reconciler(["plan", "imported", "--detailed-exitcode"], env, tmp_path)
        assert code == 0, out

        target = tmp_path / "offers" / "customer-percentage.yaml"
        target.write_text(target.read_text().replace("state: live", "state: withdrawn"))
        code, out = reconciler(["plan", "offers", "--out", "plan.json"], env, tmp_path)
        assert code == 0, out
        (change,) = json.loads((tmp_path / "plan.json").read_text())["changes"]
        assert change["etag"], change  # the saved plan holds the offer's eTag
        emu.admin.edit(change["offer_id"], {"preparedBy": "someone-else@contoso.com"})
        code, out = reconciler(["apply", "plan.json", "--auto-approve"], env, tmp_path)
        assert code == 4, out
        api = Api(emu)
        live = api.offer(change["offer_id"])
        api.close()
        assert live["state"] == "live" and live["preparedBy"] == "someone-else@contoso.com"
        names = _active_names(emu)
        assert names and max(names.values()) == 1, names


def _stamped(out: str) -> set[str]:
    return {
        r["$schema"].rsplit("/", 2)[-2] + "/" + r["$schema"].rsplit("/", 1)[-1]
        for c in json.loads(out)["changes"]
        for s in c["steps"]
        for r in s["resources"]
    }


@pytest.mark.parametrize("pinned", [False, True], ids=["learned", "pinned"])
def test_writes_use_the_newest_version_the_service_answers_unless_pinned(
    pinned: bool, tmp_path: Path
) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "offers", ignore=shutil.ignore_patterns("partner"))
    with EmbeddedEmulator(EmulatorConfig(tls=True)) as emu:
        env = client_env(emu)
        code, out = reconciler(["apply", "offers", "--auto-approve"], env, tmp_path)
        assert code == 0, out
        # The service turns out to be older than the documentation: reads answer
        # private-offer/2024-09-30 and price 2023-07-15; newer writes fail in their job.
        emu.config.newest_offer_version = "2024-09-30"
        emu.config.newest_price_version = "2023-07-15"
        if pinned:
            (tmp_path / "reconciler.toml").write_text('[api.versions]\noffer = "2026-02-01"\n')
        target = tmp_path / "offers" / "customer-percentage.yaml"
        target.write_text(target.read_text().replace("state: live", "state: withdrawn"))
        source = (tmp_path / "offers" / "customer-absolute.yaml").read_text()
        (tmp_path / "offers" / "customer-absolute-2.yaml").write_text(
            source.replace("name: Tailspin Toys Data Platform fixed price", "name: Tailspin 2")
        )
        code, out = reconciler(["plan", "offers", "--format", "json"], env, tmp_path)
        assert code == 0, out
        price = "price-and-availability-private-offer-plan/2023-07-15"
        offer = "private-offer/2026-02-01" if pinned else "private-offer/2024-09-30"
        assert _stamped(out) == {offer, price}, _stamped(out)
        code, out = reconciler(["apply", "offers", "--auto-approve"], env, tmp_path)
        if pinned:
            assert code == 5, out
            assert "api.versions.offer" in out and "2026-02-01" in out, out
        else:
            assert code == 0, out
            code, out = reconciler(["plan", "offers", "--detailed-exitcode"], env, tmp_path)
            assert code == 0, out
