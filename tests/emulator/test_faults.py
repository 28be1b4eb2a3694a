"""Injected faults and request statistics, as a client on the network sees them."""

from __future__ import annotations

import time

import httpx
import pytest

from reconciler.emulator import EmbeddedEmulator, EmulatorConfig
from reconciler.errors import EmulatorError
from tests.emulator.conftest import Api, customer_offer


def test_429_with_retry_after_for_the_next_request_only(
    api: Api, emulator: EmbeddedEmulator
) -> None:
    emulator.admin.add_fault("status", "private-offer/query", status=429, retry_after=3, count=1)
    throttled = api.get("/private-offer/query")
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "3"
    assert throttled.json()["error"]["code"] == "tooManyRequests"
    assert api.get("/private-offer/query").status_code == 200


def test_5xx_on_a_method_and_path_pattern(api: Api, emulator: EmbeddedEmulator) -> None:
    emulator.admin.add_fault("status", "configure/*/status", method="GET", status=503)
    job = api.configure(customer_offer()).json()
    assert api.get(f"/configure/{job['jobId']}/status", "2022-07-01").status_code == 503
    assert api.get("/private-offer/query").status_code == 200


def test_share_of_requests_is_reproducible(emulator: EmbeddedEmulator, api: Api) -> None:
    emulator.admin.add_fault("status", "product", share=0.5, status=500)
    codes = [api.get("/product", "2022-07-01").status_code for _ in range(40)]
    assert 5 < codes.count(500) < 35


def test_dropped_connection_has_no_answer(api: Api, emulator: EmbeddedEmulator) -> None:
    emulator.admin.add_fault("drop", "private-offer/query", count=1)
    with pytest.raises(httpx.RemoteProtocolError):
        api.get("/private-offer/query")
    assert api.get("/private-offer/query").status_code == 200


def test_drop_after_accept_creates_the_job_but_loses_the_answer(
    api: Api, emulator: EmbeddedEmulator
) -> None:
    emulator.admin.add_fault("drop_after_accept", "configure", method="POST", count=1)
    with pytest.raises(httpx.RemoteProtocolError):
        api.configure(customer_offer(name="Lost answer"))
    offers = api.get("/private-offer/query").json()["privateOffers"]
    assert [o["name"] for o in offers] == ["Lost answer"]


def test_failing_job(api: Api, emulator: EmbeddedEmulator) -> None:
    emulator.admin.add_fault(
        "fail_job", "configure", code="internalServerError", message="Boom", count=1
    )
    status = api.run(customer_offer())
    assert status["jobResult"] == "failed"
    assert status["errors"][0]["message"] == "Boom"
    assert api.get("/private-offer/query").json()["privateOffers"] == []
    assert api.run(customer_offer())["jobResult"] == "succeeded"


def test_slow_responses(api: Api, emulator: EmbeddedEmulator) -> None:
    emulator.admin.add_fault("delay", "product", delay=0.2)
    began = time.perf_counter()
    assert api.get("/product", "2022-07-01").status_code == 200
    assert time.perf_counter() - began >= 0.2


def test_request_stats_by_endpoint_and_reset(api: Api, emulator: EmbeddedEmulator) -> None:
    status = api.run(customer_offer())
    api.get("/private-offer/query")
    stats = emulator.admin.stats()
    assert stats["POST configure"] == 1
    assert stats["GET configure/{id}/status"] >= 1
    assert stats["GET private-offer/query"] == 1
    api.get(f"/configure/{status['jobId']}")
    assert emulator.admin.stats()["GET configure/{id}"] == 1
    emulator.admin.reset_stats()
    assert emulator.admin.stats() == {}


def test_edit_behind_gits_back_changes_the_etag(api: Api, emulator: EmbeddedEmulator) -> None:
    offer = api.create(customer_offer(state="live"))
    new_etag = emulator.admin.edit(offer["id"], {"notificationContacts": ["eve@contoso.com"]})
    drifted = api.offer(offer["id"])
    assert drifted["notificationContacts"] == ["eve@contoso.com"]
    assert drifted["eTag"] == new_etag != offer["eTag"]


def test_reset_forgets_everything(api: Api, emulator: EmbeddedEmulator) -> None:
    api.create(customer_offer())
    emulator.admin.add_fault("status", "product", status=500)
    emulator.admin.reset()
    assert api.get("/private-offer/query").json()["privateOffers"] == []
    assert api.get("/product", "2022-07-01").status_code == 200


def test_admin_controls_are_off_by_default() -> None:
    with (
        EmbeddedEmulator(EmulatorConfig()) as emulator,
        pytest.raises(EmulatorError, match="admin"),
    ):
        emulator.admin.stats()
