"""End to end over real HTTP(S): msal against the emulator's token service, the client against
its API, faults injected through its admin API."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from reconciler.api.client import ProductIngestionClient
from reconciler.api.connect import connect_emulator, open_client
from reconciler.errors import AmbiguousSubmission, ApiServerError
from reconciler.settings import ApiSettings, ApplySettings, Settings
from tests.api.conftest import PUBLISHER_CLIENT, TENANT, Emulator, KeyPair, RunnerTokenServer

OFFER_SCHEMA = "https://schema.mp.microsoft.com/schema/private-offer/2024-09-30"


def draft(name: str) -> dict[str, Any]:
    return {
        "$schema": OFFER_SCHEMA,
        "name": name,
        "privateOfferType": "customerPromotion",
        "state": "draft",
        "variableStartDate": True,
    }


def fast_settings(**api: Any) -> Settings:
    options = {
        "retries": 4,
        "backoff_seconds": 0.01,
        "retry_max_seconds": 10,
        "lost_response_wait": 1.0,
        **api,
    }
    return Settings(api=ApiSettings(**options), apply=ApplySettings(poll_interval=0.05, timeout=20))


@contextmanager
def client_for(
    emulator: Emulator, env: dict[str, str] | None = None, *, writes: bool = False, **api: Any
) -> Iterator[ProductIngestionClient]:
    with connect_emulator(
        emulator.emu, fast_settings(**api), env=env or {}, writes=writes
    ) as client:
        yield client


def creds(**extra: str) -> dict[str, str]:
    return {"AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": PUBLISHER_CLIENT, **extra}


def assert_no_leak(texts: list[str], secrets: list[str]) -> None:
    for text in texts:
        for secret in secrets:
            assert secret not in text


# ---------------------------------------------------------------------------- credentials


def test_client_secret(
    emulator: Emulator, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    env = creds(AZURE_CLIENT_SECRET="emulator-publisher-secret")
    caplog.set_level(logging.DEBUG)
    with client_for(emulator, env) as client:
        assert list(client.list_offers()) == []
        token = client.transport._tokens.token() if client.transport._tokens else ""
        assert client.stats.tokens_fetched == 1
        logging.getLogger("test").info(
            "client %r tokens %r error %s", client, client.transport._tokens, "x"
        )
    out = capsys.readouterr()
    assert_no_leak(
        [caplog.text, out.out, out.err, repr(client)], ["emulator-publisher-secret", token]
    )


def test_wrong_secret_is_a_credential_error_without_the_secret(emulator: Emulator) -> None:
    from reconciler.errors import CredentialError

    env = creds(AZURE_CLIENT_SECRET="not-the-right-secret")
    with client_for(emulator, env) as client, pytest.raises(CredentialError) as info:
        client.get_offer("00000000-0000-0000-0000-000000000000")
    assert "AADSTS7000215" in str(info.value)
    assert "not-the-right-secret" not in str(info.value)


@pytest.mark.parametrize("form", ["pem", "pem-encrypted", "pfx"])
def test_certificate(
    emulator: Emulator,
    key_pair: KeyPair,
    tmp_path: Path,
    form: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    password = "cert-password-42"
    path = tmp_path / ("cert.pfx" if form == "pfx" else "cert.pem")
    if form == "pfx":
        path.write_bytes(key_pair.pfx(password))
    else:
        path.write_bytes(key_pair.pem(password if form == "pem-encrypted" else None))
    env = creds(AZURE_CLIENT_CERTIFICATE_PATH=str(path))
    if form != "pem":
        env["AZURE_CLIENT_CERTIFICATE_PASSWORD"] = password
    caplog.set_level(logging.DEBUG)
    with client_for(emulator, env) as client:
        assert list(client.list_offers()) == []
        assert client.stats.tokens_fetched == 1
    assert password not in caplog.text


def test_certificate_with_wrong_password(
    emulator: Emulator, key_pair: KeyPair, tmp_path: Path
) -> None:
    from reconciler.errors import CredentialError

    path = tmp_path / "cert.pfx"
    path.write_bytes(key_pair.pfx("right-password"))
    env = creds(
        AZURE_CLIENT_CERTIFICATE_PATH=str(path), AZURE_CLIENT_CERTIFICATE_PASSWORD="wrong-password"
    )
    with client_for(emulator, env) as client, pytest.raises(CredentialError, match=r"cert\.pfx"):
        list(client.list_offers())


def test_federated_token_file(
    emulator: Emulator, token_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with client_for(emulator, creds(AZURE_FEDERATED_TOKEN_FILE=str(token_file))) as client:
        assert list(client.list_offers()) == []
        assert client.stats.tokens_fetched == 1
    assert token_file.read_text() not in caplog.text


def test_github_actions_oidc(
    emulator: Emulator,
    runner_token_server: RunnerTokenServer,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    env = creds(
        ACTIONS_ID_TOKEN_REQUEST_URL=runner_token_server.url,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN=runner_token_server.request_token,
    )
    caplog.set_level(logging.DEBUG)
    with client_for(emulator, env) as client:
        assert list(client.list_offers()) == []
        access_token = client.transport._tokens.token() if client.transport._tokens else ""
    [request] = runner_token_server.requests
    # The runner URL's own query survives; the audience is added to it.
    assert request["path"].startswith("/idtoken?")
    assert "api-version=2.0" in request["path"]
    assert "audience=api%3A%2F%2FAzureADTokenExchange" in request["path"]
    out = capsys.readouterr()
    assert_no_leak(
        [caplog.text, out.out, out.err],
        [runner_token_server.request_token, runner_token_server.token, access_token],
    )


# ---------------------------------------------------------------------------- token lifetime


@pytest.mark.emulator(token_lifetime=2)
def test_token_expiring_mid_run_is_renewed(emulator: Emulator) -> None:
    env = creds(AZURE_CLIENT_SECRET="emulator-publisher-secret")
    with client_for(emulator, env) as client:
        assert client.transport._tokens is not None
        tokens = client.transport._tokens
        # Pin the first token, as a cache that trusts a longer lifetime would, so the API
        # itself sees it expire: the client must renew on the 401 and carry on.
        first = tokens.token()
        pinned = {"token": first}

        class Pinned:
            fetched = 0

            def token(self) -> str:
                return pinned["token"]

            def invalidate(self) -> None:
                tokens.invalidate()
                pinned["token"] = tokens.token()

        client.transport._tokens = Pinned()
        list(client.list_offers())
        time.sleep(2.1)
        list(client.list_offers())
        assert client.stats.token_refreshes == 1
        assert pinned["token"] != first


# ---------------------------------------------------------------------------- throttling and 5xx


def test_429_with_retry_after_is_waited_out(emulator: Emulator) -> None:
    emulator.fault(kind="status", status=429, retry_after=0.3, count=2, path="private-offer/query")
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    settings = fast_settings()
    with connect_emulator(emulator.emu, settings, env={}, sleep=sleep) as client:
        started = time.monotonic()
        assert list(client.list_offers()) == []
        assert time.monotonic() - started >= 0.6
    assert waits == [0.3, 0.3]
    assert emulator.stats()["GET private-offer/query"] == 3


def test_5xx_storm_is_survived_within_bounds(emulator: Emulator) -> None:
    emulator.fault(kind="status", status=503, count=3, path="private-offer/*")
    with client_for(emulator) as client:
        assert list(client.list_offers()) == []
        assert client.stats.retries == 3


def test_endless_5xx_storm_is_reported(emulator: Emulator) -> None:
    emulator.fault(kind="status", status=500, path="private-offer/*", message="Backend on fire.")
    with client_for(emulator, retries=3) as client, pytest.raises(ApiServerError) as info:
        list(client.list_offers())
    assert "Backend on fire." in str(info.value) and "gave up after 4 attempts" in str(info.value)
    assert emulator.stats()["GET private-offer/query"] == 4


# ---------------------------------------------------------------------------- lost responses


def names(client: ProductIngestionClient) -> list[str]:
    return sorted(str(o["name"]) for o in client.list_offers())


def test_dropped_after_accept_is_raised_and_never_resent(emulator: Emulator) -> None:
    emulator.fault(kind="drop_after_accept", method="POST", path="configure", count=1)
    with client_for(emulator, writes=True) as client:
        with pytest.raises(AmbiguousSubmission) as info:
            client.configure([draft("Contoso renewal")])
        assert info.value.accepted is None  # apply decides it from its journal
        assert names(client) == ["Contoso renewal"]  # it did take effect: once
    assert emulator.stats()["POST configure"] == 1


def test_dropped_before_processing_is_raised_not_sent_again(emulator: Emulator) -> None:
    emulator.fault(kind="drop", method="POST", path="configure", count=1)
    with client_for(emulator, writes=True, lost_response_wait=0.3) as client:
        with pytest.raises(AmbiguousSubmission) as info:
            client.configure([draft("Fabrikam deal")])
        assert info.value.accepted is None
        assert names(client) == []  # it never arrived; apply decides when it may go again
    assert emulator.stats()["POST configure"] == 1


# ---------------------------------------------------------------------------- paging


@pytest.mark.slow
@pytest.mark.emulator(multi_offer_requests="allowed")
def test_paging_returns_every_offer_of_a_1000_offer_account(emulator: Emulator) -> None:
    with client_for(emulator, writes=True, page_size=100) as client:
        jobs = [
            client.configure([draft(f"Offer {batch:02d}-{i:03d}") for i in range(100)]).job_id
            for batch in range(10)
        ]
        results = client.wait_for_jobs(jobs)
        assert all(status.succeeded for status in results.values())
        offers = list(client.list_offers())
    assert len(offers) == 1000
    assert len({o["id"] for o in offers}) == 1000
    assert client.stats.by_endpoint["GET private-offer/query"] == 10


# ---------------------------------------------------------------------------- open_client


def test_open_client_with_embedded_emulator_is_persistent(tmp_path: Path) -> None:
    settings = fast_settings()
    with open_client(
        settings, emulator=True, emulator_data=tmp_path / "emu", writes=True, env={}
    ) as client:
        assert client.endpoint.startswith("https://127.0.0.1:")
        job = client.configure([draft("Persisted")])
        assert client.wait_for_jobs([job.job_id])[job.job_id].succeeded
    with open_client(
        settings, emulator=True, emulator_data=tmp_path / "emu", env={}, account="publisher"
    ) as client:
        assert names(client) == ["Persisted"]


def test_open_client_partner_account(tmp_path: Path) -> None:
    with open_client(
        fast_settings(), emulator=True, emulator_data=tmp_path, env={}, account="partner"
    ) as client:
        assert list(client.list_offers()) == []


def test_unreachable_endpoint_is_reported_not_raised_as_httpx() -> None:
    from reconciler.errors import ApiUnreachable

    env = creds(AZURE_CLIENT_SECRET="some-client-secret")
    settings = fast_settings(authority_host="https://127.0.0.1:9", retries=1)
    with (
        open_client(
            settings,
            endpoint="https://127.0.0.1:9/rp/product-ingestion",
            env=env,
            insecure_loopback=True,
        ) as client,
        pytest.raises(ApiUnreachable, match="ConnectError"),
    ):
        client.get_offer("x")
