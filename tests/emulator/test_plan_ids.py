"""A plan named by its external id or by its durable id, end to end over HTTP.

``GET plan?product=...`` answers ``"id":"plan/<productGuid>/<planGuid>"`` and
``"identity":{"externalId"}``; the documentation's requests write ``plan/123456`` (the
external id). A file may use either; the emulator reads a pricing entry back by durable id
(``canonical_plan_ids``, the harder case) or as sent. Either way: apply (0), the next plan
is empty (0), drift says in sync (0), import writes ``plan/<externalId>`` and round-trips.
A software reservation (generated ``newPlanDetails``) is among the files.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import EmbeddedEmulator, EmulatorConfig
from tests.emulator.cli import client_env, reconciler
from tests.emulator.conftest import ANALYTICS, SECURE_VM, Api

EXAMPLES = Path(__file__).resolve().parents[2] / "offers"
FILES = ("customer-percentage.yaml", "originator-vm-reservation.yaml")
DURABLE = re.compile(r"plan/[0-9a-f-]{36}/[0-9a-f-]{36}")


def _durable_ids(emu: EmbeddedEmulator) -> dict[str, str]:
    """``plan/<externalId>`` -> the durable id, from the documented plan list."""
    api = Api(emu)
    try:
        return {
            f"plan/{plan['identity']['externalId']}": plan["id"]
            for product in (ANALYTICS, SECURE_VM)
            for plan in api.get("/plan", "2022-07-01", product=product).json()["value"]
        }
    finally:
        api.close()


def _live_plans(emu: EmbeddedEmulator) -> list[str]:
    """The plan references the service keeps on the offers' pricing entries."""
    api = Api(emu)
    try:
        body = api.get("/private-offer/query", "2024-09-30").json()
        offers = [api.offer(o["id"]) for o in body.get("value") or body.get("privateOffers")]
    finally:
        api.close()
    return sorted(
        str(e.get("plan") or e.get("basePlan")) for o in offers for e in o.get("pricing") or []
    )


def _write(tmp_path: Path, names: dict[str, str] | None = None) -> None:
    """The example files, their plans renamed by *names* (``plan/123456`` -> durable id)."""
    (tmp_path / "offers").mkdir()
    for name in FILES:
        text = (EXAMPLES / name).read_text()
        for short, durable in (names or {}).items():
            text = text.replace(f"lan: {short}\n", f"lan: {durable}\n")
        (tmp_path / "offers" / name).write_text(text)


def _converges(emu: EmbeddedEmulator, tmp_path: Path) -> None:
    env = client_env(emu)
    code, out = reconciler(["apply", "offers", "--auto-approve"], env, tmp_path)
    assert code == 0, out
    code, out = reconciler(["plan", "offers", "--detailed-exitcode"], env, tmp_path)
    assert code == 0 and "No changes" in out, out
    code, out = reconciler(["drift", "offers"], env, tmp_path)
    assert code == 0, out


@pytest.mark.parametrize("read_back", [True, False], ids=["durable-on-read", "as-sent"])
def test_a_file_naming_the_external_id_converges(read_back: bool, tmp_path: Path) -> None:
    _write(tmp_path)
    config = EmulatorConfig(tls=True, canonical_plan_ids=read_back)
    with EmbeddedEmulator(config) as emu:
        _converges(emu, tmp_path)
        live = _live_plans(emu)
        if read_back:  # the form sent is not the form read: still no change
            assert live and all(DURABLE.fullmatch(p) for p in live), live
        else:
            assert live == ["plan/123456", "plan/555001"], live
        # a software reservation: the service generated newPlanDetails, never in the file
        api = Api(emu)
        try:
            body = api.get("/private-offer/query", "2024-09-30").json()
            listed = body.get("value") or body.get("privateOffers")
            vm = next(o for o in listed if o["privateOfferType"].endswith("Originator"))
            assert "newPlanDetails" in api.offer(vm["id"])["pricing"][0]
        finally:
            api.close()


def test_a_file_naming_the_durable_id_converges_and_imports_the_external_id(
    tmp_path: Path,
) -> None:
    with EmbeddedEmulator(EmulatorConfig(tls=True)) as emu:
        durable = _durable_ids(emu)
        assert all(DURABLE.fullmatch(d) for d in durable.values()), durable
        _write(tmp_path, durable)
        assert durable["plan/555001"] in (tmp_path / "offers" / FILES[1]).read_text()
        _converges(emu, tmp_path)
        env = client_env(emu)
        code, out = reconciler(["import", "--all", "--out", "imported"], env, tmp_path)
        assert code == 0, out
        imported = {p.name: p.read_text() for p in (tmp_path / "imported").glob("*.yaml")}
        # what a user writes: the plan ID chosen in Partner Center, not the GUID
        plans = sorted(re.findall(r"lan: (\S+)", "".join(imported.values())))
        assert plans == ["plan/123456", "plan/555001"], plans
        code, out = reconciler(["plan", "imported", "--detailed-exitcode"], env, tmp_path)
        assert code == 0, out


@pytest.mark.parametrize(
    "wrong",
    ["plan/999999", "plan/34771906-9711-4196-9f60-4af380fd5042/123456", "plan/987654"],
    ids=["unknown-external-id", "external-id-in-the-durable-form", "another-products-plan"],
)
def test_an_unknown_plan_is_refused_with_file_line_and_field(wrong: str, tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "offers", ignore=shutil.ignore_patterns("partner"))
    target = tmp_path / "offers" / "customer-percentage.yaml"
    text = target.read_text()
    line = text.splitlines().index("    plan: plan/123456") + 1
    target.write_text(text.replace("plan: plan/123456", f"plan: {wrong}"))
    with EmbeddedEmulator(EmulatorConfig(tls=True, admin=True)) as emu:
        env = client_env(emu)
        for command in (["plan", "offers"], ["apply", "offers", "--auto-approve"]):
            code, out = reconciler(command, env, tmp_path)
            assert code == 1, out
            assert f"offers/customer-percentage.yaml:{line}:5: pricing[0].plan:" in out, out
            assert f"has no plan '{wrong}'" in out and "plan/123456, plan/234567" in out, out
            assert "Traceback" not in out
        stats: dict[str, Any] = emu.admin.stats()
        assert not any(key.startswith("POST") for key in stats), stats  # nothing half-applied
