"""The Entra-like token service, driven by msal over HTTPS, and the API's bearer check."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import msal
import pytest
from cryptography.hazmat.primitives import serialization

from reconciler.emulator import PUBLISHER, EmbeddedEmulator, EmulatorConfig
from reconciler.emulator.config import GITHUB_ISSUER, Account
from tests.support.certs import self_signed

SCOPE = ["https://graph.microsoft.com/.default"]


def verify(emulator: EmbeddedEmulator) -> ssl.SSLContext | bool:
    return ssl.create_default_context(cafile=str(emulator.ca_file)) if emulator.ca_file else True


def key_and_cert() -> tuple[str, str]:
    key, cert = self_signed("reconciler-test")
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


KEY, CERT = key_and_cert()
OTHER_KEY, OTHER_CERT = key_and_cert()


@pytest.fixture(scope="module")
def tls_emulator() -> Iterator[EmbeddedEmulator]:
    registered = Account(
        name="certified",
        client_id="00000000-0000-0000-0000-0000000000c3",
        client_secret="unused-secret-value",
        certificates=(CERT,),
        federated=((GITHUB_ISSUER, "repo:contoso/offers:ref:refs/heads/main"),),
    )
    config = EmulatorConfig(tls=True, accounts=(*EmulatorConfig().accounts, registered))
    with EmbeddedEmulator(config) as running:
        yield running


class FormSafeClient(httpx.Client):
    """msal passes its certificate assertion as bytes, which httpx would send as "b'...'"."""

    def post(self, url: Any, *, data: Any = None, **kwargs: Any) -> httpx.Response:  # type: ignore[override]
        if isinstance(data, dict):
            data = {k: v.decode() if isinstance(v, bytes) else v for k, v in data.items()}
        return super().post(url, data=data, **kwargs)


def app_for(
    emulator: EmbeddedEmulator, client_id: str, credential: Any
) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        client_id,
        client_credential=credential,
        authority=emulator.authority("contoso"),
        http_client=FormSafeClient(verify=verify(emulator)),
        instance_discovery=False,
    )


def call_api(emulator: EmbeddedEmulator, token: str) -> httpx.Response:
    return httpx.get(
        emulator.api_url + "/private-offer/query",
        params={"$version": "2023-07-15"},
        headers={"Authorization": f"Bearer {token}"},
        verify=verify(emulator),
    )


def test_msal_gets_a_token_with_a_client_secret_over_tls(tls_emulator: EmbeddedEmulator) -> None:
    assert tls_emulator.base_url.startswith("https://")
    app = app_for(tls_emulator, PUBLISHER.client_id, PUBLISHER.client_secret)
    result = app.acquire_token_for_client(SCOPE)
    assert "access_token" in result, result
    claims = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert claims["acct"] == "publisher" and claims["aud"] == "https://graph.microsoft.com"
    assert call_api(tls_emulator, result["access_token"]).status_code == 200


def test_wrong_secret_is_refused_in_entra_shape(tls_emulator: EmbeddedEmulator) -> None:
    result = app_for(tls_emulator, PUBLISHER.client_id, "wrong-secret").acquire_token_for_client(
        SCOPE
    )
    assert result["error"] == "invalid_client"
    assert result["error_description"].startswith("AADSTS7000215:")
    assert 7000215 in result["error_codes"]


def test_unknown_client_and_wrong_scope(tls_emulator: EmbeddedEmulator) -> None:
    unknown = app_for(tls_emulator, "11111111-2222-3333-4444-555555555555", "s3cret-value")
    assert unknown.acquire_token_for_client(SCOPE)["error"] == "unauthorized_client"
    app = app_for(tls_emulator, PUBLISHER.client_id, PUBLISHER.client_secret)
    assert app.acquire_token_for_client(["api://other/.default"])["error"] == "invalid_scope"


def test_msal_certificate_credential_against_a_registered_certificate(
    tls_emulator: EmbeddedEmulator,
) -> None:
    client = "00000000-0000-0000-0000-0000000000c3"
    good = app_for(tls_emulator, client, {"private_key": KEY, "public_certificate": CERT})
    result = good.acquire_token_for_client(SCOPE)
    assert "access_token" in result, result
    assert (
        jwt.decode(result["access_token"], options={"verify_signature": False})["acct"]
        == "certified"
    )
    bad = app_for(
        tls_emulator, client, {"private_key": OTHER_KEY, "public_certificate": OTHER_CERT}
    )
    refused = bad.acquire_token_for_client(SCOPE)
    assert refused["error"] == "invalid_client" and 700027 in refused["error_codes"]


def test_msal_certificate_credential_without_a_registered_certificate(
    tls_emulator: EmbeddedEmulator,
) -> None:
    app = app_for(
        tls_emulator, PUBLISHER.client_id, {"private_key": KEY, "public_certificate": CERT}
    )
    result = app.acquire_token_for_client(SCOPE)
    assert "access_token" in result, result


def test_federated_assertion_from_a_trusted_issuer(tls_emulator: EmbeddedEmulator) -> None:
    client = "00000000-0000-0000-0000-0000000000c3"

    def assertion(subject: str, *, audience: str = "api://AzureADTokenExchange",
                  issuer: str = GITHUB_ISSUER, lifetime: int = 300) -> str:  # fmt: skip
        now = int(time.time())
        claims = {"iss": issuer, "sub": subject, "aud": audience, "iat": now, "exp": now + lifetime}
        return jwt.encode(claims, OTHER_KEY, algorithm="RS256")

    def token(value: str) -> dict[str, Any]:
        app = app_for(tls_emulator, client, {"client_assertion": lambda: value})
        result: dict[str, Any] = app.acquire_token_for_client(SCOPE)
        return result

    main = "repo:contoso/offers:ref:refs/heads/main"
    assert "access_token" in token(assertion(main))
    assert 70021 in token(assertion("repo:contoso/offers:pull_request"))["error_codes"]
    assert 700212 in token(assertion(main, audience="api://other"))["error_codes"]
    assert 700211 in token(assertion(main, issuer="https://evil.example"))["error_codes"]
    assert 700024 in token(assertion(main, lifetime=-60))["error_codes"]


def test_tokens_expire() -> None:
    with EmbeddedEmulator(EmulatorConfig(token_lifetime=2, static_tokens=False)) as emulator:
        form = {
            "grant_type": "client_credentials",
            "client_id": PUBLISHER.client_id,
            "client_secret": PUBLISHER.client_secret,
            "scope": SCOPE[0],
        }
        issued = httpx.post(emulator.authority("contoso") + "/oauth2/v2.0/token", data=form).json()
        # exp has whole-second resolution: a 2 s lifetime is valid for at least 1 s after issue.
        assert issued["expires_in"] == 2
        assert call_api(emulator, issued["access_token"]).status_code == 200
        assert call_api(emulator, "emulator:publisher").status_code == 401  # static tokens off
        time.sleep(2.2)
        expired = call_api(emulator, issued["access_token"])
        assert expired.status_code == 401
        assert "expired" in expired.json()["error"]["message"]


def test_openid_configuration_points_at_the_emulator(tls_emulator: EmbeddedEmulator) -> None:
    doc = httpx.get(
        tls_emulator.authority("contoso") + "/v2.0/.well-known/openid-configuration",
        verify=verify(tls_emulator),
    ).json()
    assert doc["token_endpoint"] == tls_emulator.authority("contoso") + "/oauth2/v2.0/token"
    assert doc["issuer"] == tls_emulator.authority("contoso") + "/v2.0"
    assert doc["authorization_endpoint"].startswith(tls_emulator.base_url)


def test_secrets_are_not_in_account_repr() -> None:
    assert PUBLISHER.client_secret not in repr(PUBLISHER)
    assert PUBLISHER.client_secret not in repr(EmulatorConfig())


def test_plain_httpx_garbles_msals_certificate_assertion(tls_emulator: EmbeddedEmulator) -> None:
    # msal posts the assertion as bytes; httpx sends bytes form values as "b'...'". The
    # emulator refuses that, as Entra would: clients must decode (see FormSafeClient).
    app = msal.ConfidentialClientApplication(
        PUBLISHER.client_id,
        client_credential={"private_key": KEY, "public_certificate": CERT},
        authority=tls_emulator.authority("contoso"),
        http_client=httpx.Client(verify=verify(tls_emulator)),
        instance_discovery=False,
    )
    result = app.acquire_token_for_client(SCOPE)
    assert result["error"] == "invalid_client" and 50027 in result["error_codes"]


def test_the_documented_v1_token_request_is_answered() -> None:
    with EmbeddedEmulator(EmulatorConfig(static_tokens=False)) as emulator:
        url = emulator.authority("contoso") + "/oauth2/token"
        form = {  # as the documentation writes it, trailing slash included
            "grant_type": "client_credentials",
            "client_id": PUBLISHER.client_id,
            "client_secret": PUBLISHER.client_secret,
            "resource": "https://graph.microsoft.com/",
        }
        issued = httpx.post(url, data=form)
        assert issued.status_code == 200, issued.text
        assert issued.json()["resource"] == "https://graph.microsoft.com/"
        assert call_api(emulator, issued.json()["access_token"]).status_code == 200
        other = httpx.post(url, data={**form, "resource": "https://management.azure.com/"})
        assert other.status_code == 400 and other.json()["error"] == "invalid_resource"
        wrong = httpx.post(url, data={**form, "client_secret": "not-it"})
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
