"""``reconciler doctor`` against the stand-alone emulator in each list mode, and unreachable.

It reports the list mode and the schema versions, sends no POST (the emulator's own
request counts say so), exits 0, and writes the same as JSON; an endpoint nobody listens
on is a clear error (exit 1), not a traceback.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import EmbeddedEmulator, EmulatorConfig
from tests.emulator.cli import client_env, reconciler
from tests.emulator.conftest import csp_offer, customer_offer

MODES: dict[str, dict[str, Any]] = {
    "full": {"list_shape": "full"},
    "summary": {
        "list_shape": "summary",
        "list_key": "value",
        "next_link_key": "@odata.nextLink",
        "newest_offer_version": "2024-09-30",
    },
}


@pytest.mark.parametrize("mode", sorted(MODES))
def test_doctor_reports_the_list_mode_and_versions_and_sends_no_post(
    mode: str, tmp_path: Path
) -> None:
    config = EmulatorConfig(tls=True, admin=True, page_size=2, **MODES[mode])
    with EmbeddedEmulator(config) as emu:
        emu.admin.seed([customer_offer(name=f"Doctor {n}") for n in range(3)] + [csp_offer()])
        emu.admin.reset_stats()
        code, out = reconciler(["doctor", "--out", "doctor.json"], client_env(emu), tmp_path)
        received = emu.admin.stats()
    assert code == 0, out
    assert not [k for k in received if k.startswith("POST")], received
    report = json.loads((tmp_path / "doctor.json").read_text())
    assert report["posts"] == 0
    findings = {f["topic"]: f for f in report["findings"]}
    offer_version = "2024-09-30" if mode == "summary" else "2026-02-01"
    assert report["versions"]["private-offer"] == offer_version
    assert f"writes private-offer/{offer_version}" in out, out
    if mode == "summary":
        assert findings["list key"]["observed"] == "offers under `value`"
        assert findings["next link"]["observed"] == "`@odata.nextLink`"
        assert findings["list shape"]["observed"].startswith("summaries (")
        assert "read each managed offer by id" in findings["list shape"]["action"]
    else:
        assert findings["list key"]["observed"] == "offers under `privateOffers`"
        assert findings["next link"]["observed"] == "`@nextLink`"
        assert findings["list shape"]["observed"].startswith("full resources")
    # one read by id per offer type present
    assert {t for t in findings if t.startswith("offer by id")} == {
        "offer by id (cspPromotion)",
        "offer by id (customerPromotion)",
    }
    assert received.get("GET private-offer/{id}") == 2, received
    assert "price template" in findings and "assumption:" in out and "-> tool:" in out
    # the service reads a plan back by its durable id; its plan list names both
    plans = findings["plan ids"]
    assert plans["observed"].startswith("pricing reads back by durable id (plan/"), plans
    assert plans["ok"] and "compare both names as one" in plans["action"], plans
    assert received.get("GET plan") == 1, received


def test_doctor_against_an_unreachable_endpoint_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        "RECONCILER_ENDPOINT": f"https://127.0.0.1:{port}/rp/product-ingestion",
        "RECONCILER_INSECURE_LOOPBACK": "1",
        "AZURE_TENANT_ID": "00000000-0000-0000-0000-00000000e001",
        "AZURE_CLIENT_ID": "00000000-0000-0000-0000-0000000000a1",
        "AZURE_CLIENT_SECRET": "not-a-real-secret",
        "AZURE_AUTHORITY_HOST": f"https://127.0.0.1:{port}",
    }
    code, out = reconciler(["doctor"], env, tmp_path)
    assert code == 1, out
    assert "Traceback" not in out
    assert f"127.0.0.1:{port}" in out and "not-a-real-secret" not in out, out
