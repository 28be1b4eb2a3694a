"""Job timing, ordering, cancel and detail; a restart on the same data keeps everything."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from reconciler.emulator import EmbeddedEmulator, EmulatorConfig
from tests.emulator.conftest import Api, customer_offer, originator_offer


def test_jobs_run_after_their_latency_and_in_submission_order() -> None:
    with EmbeddedEmulator(EmulatorConfig(job_latency=0.3)) as emulator:
        api = Api(emulator)
        first = api.configure(customer_offer(name="First")).json()
        second = api.configure(customer_offer(name="Second")).json()
        assert first["jobStatus"] == "notStarted"
        early = api.get(f"/configure/{first['jobId']}", "2023-07-15")
        assert early.status_code == 409 and early.json()["error"]["code"] == "conflict"
        time.sleep(0.16)
        assert (
            api.get(f"/configure/{first['jobId']}/status", "2022-07-01").json()["jobStatus"]
            == "running"
        )
        done = api.wait(second["jobId"])
        assert done["jobResult"] == "succeeded"
        first_done = api.wait(first["jobId"])
        assert first_done["jobEnd"] <= done["jobEnd"]
        names = [o["name"] for o in api.get("/private-offer/query").json()["privateOffers"]]
        assert names == ["First", "Second"]
        api.close()


def test_a_job_asked_about_late_ended_when_its_time_was_up() -> None:
    """Jobs run lazily here, at the first request after they are due; the times they report
    are the service's (when the job ran), not that request's: a client timing its polls by
    ``jobStart`` to ``jobEnd`` must not learn that jobs take longer than they do."""
    with EmbeddedEmulator(EmulatorConfig(job_latency=0.2)) as emulator:
        api = Api(emulator)
        job = api.configure(customer_offer(name="Late")).json()
        time.sleep(0.6)  # nobody asks until well after the job's 0.2 s
        done = api.wait(job["jobId"])
        api.close()
    start, end = (
        dt.datetime.fromisoformat(done[k].replace("0Z", "+00:00")) for k in ("jobStart", "jobEnd")
    )
    assert (end - start).total_seconds() == pytest.approx(0.2, abs=0.02)


def test_cancel_a_pending_job_but_not_a_completed_one() -> None:
    with EmbeddedEmulator(EmulatorConfig(job_latency=5)) as emulator:
        api = Api(emulator)
        job = api.configure(customer_offer()).json()
        cancelled = api.http.post(
            f"/configure/{job['jobId']}/cancel", params={"$version": "2022-07-01"}
        )
        assert cancelled.status_code == 200
        assert (cancelled.json()["jobStatus"], cancelled.json()["jobResult"]) == (
            "completed",
            "cancelled",
        )
        assert api.get("/private-offer/query").json()["privateOffers"] == []
        again = api.http.post(
            f"/configure/{job['jobId']}/cancel", params={"$version": "2022-07-01"}
        )
        assert again.status_code == 400
        assert again.json() == {
            "error": {
                "code": "badRequest",
                "message": "Cannot cancel job, job has already completed.",
                "details": [],
            }
        }
        api.close()


def test_jobs_of_another_account_are_invisible(api: Api, partner_api: Api) -> None:
    status = api.run(customer_offer())
    assert partner_api.get(f"/configure/{status['jobId']}/status", "2022-07-01").status_code == 404


def test_detail_echoes_resource_names_by_setting() -> None:
    for echo in (True, False):
        with EmbeddedEmulator(EmulatorConfig(detail_resource_name=echo)) as emulator:
            api = Api(emulator)
            status = api.run(customer_offer(resourceName="mine"))
            assert ("resourceName" in api.detail(status["jobId"])[0]) is echo
            api.close()


def test_restart_on_the_same_data_keeps_everything(tmp_path: Path) -> None:
    config = EmulatorConfig(data_dir=tmp_path, job_latency=0.2)
    with EmbeddedEmulator(config) as emulator:
        api = Api(emulator)
        created = api.run(customer_offer(name="Kept"))
        offer = api.create(customer_offer(name="Live", state="live"))
        pending = api.configure(customer_offer(name="Pending")).json()
        api.close()
    with EmbeddedEmulator(EmulatorConfig(data_dir=tmp_path, job_latency=0.2)) as emulator:
        api = Api(emulator)
        assert (
            api.get(f"/configure/{created['jobId']}/status", "2022-07-01").json()["jobResult"]
            == "succeeded"
        )
        assert api.offer(offer["id"]) == offer
        finished = api.wait(pending["jobId"])
        assert finished["jobResult"] == "succeeded"
        names = [o["name"] for o in api.get("/private-offer/query").json()["privateOffers"]]
        assert names == ["Kept", "Live", "Pending"]
        api.close()


def test_tokens_survive_a_restart(tmp_path: Path) -> None:
    import httpx

    form = {
        "grant_type": "client_credentials",
        "client_id": "00000000-0000-0000-0000-0000000000a1",
        "client_secret": "emulator-publisher-secret",
        "scope": "https://graph.microsoft.com/.default",
    }
    with EmbeddedEmulator(EmulatorConfig(data_dir=tmp_path)) as emulator:
        token = httpx.post(emulator.authority("t") + "/oauth2/v2.0/token", data=form).json()[
            "access_token"
        ]
    with EmbeddedEmulator(EmulatorConfig(data_dir=tmp_path)) as emulator:
        response = httpx.get(
            emulator.api_url + "/product",
            params={"$version": "2022-07-01"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200


def test_tls_ca_file_is_written_under_the_data_dir(tmp_path: Path) -> None:
    with EmbeddedEmulator(EmulatorConfig(data_dir=tmp_path, tls=True)) as emulator:
        assert emulator.ca_file == tmp_path / "emulator-ca.pem"
        assert emulator.ca_file.read_text().startswith("-----BEGIN CERTIFICATE-----")
        assert Api(emulator).get("/product", "2022-07-01").status_code == 200


def test_a_large_account_lists_every_offer_once_through_its_pages(
    emulator: EmbeddedEmulator, api: Api
) -> None:
    # How fast 5,000 offers list is the benchmark's business (python -m bench), not a test's.
    for start in range(0, 1200, 600):
        emulator.admin.seed([customer_offer(name=f"Offer {i}") for i in range(start, start + 600)])
    emulator.admin.settings(page_size=500)
    names: list[str] = []
    pages = 0
    response = api.get("/private-offer/query")
    while True:
        body = response.json()
        pages += 1
        names += [offer["name"] for offer in body["privateOffers"]]
        link = body.get("@nextLink")
        if not link:
            break
        response = api.http.get(link)
    assert pages == 3
    assert sorted(names) == sorted(f"Offer {i}" for i in range(1200))


def test_job_detail_honours_version_as_every_read_does(api: Api) -> None:
    job_id = api.run(originator_offer())["jobId"]
    newest = api.get(f"/configure/{job_id}", "2024-09-30").json()["resources"][0]
    assert newest["$schema"].endswith("/private-offer/2024-09-30")
    assert newest["customerContractRenewal"] is False
    older = api.get(f"/configure/{job_id}", "2023-07-15").json()["resources"][0]
    assert older["$schema"].endswith("/private-offer/2023-07-15")
    assert "customerContractRenewal" not in older  # not in the 2023-07-15 schema
    assert older["id"] == newest["id"]
    too_old = api.get(f"/configure/{job_id}", "2021-01-01")
    assert too_old.status_code == 400 and "older than every version" in too_old.text
