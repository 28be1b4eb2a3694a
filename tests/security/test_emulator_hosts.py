"""The emulator answers only to the loopback names it serves (DNS rebinding), over real HTTP.

A web page can point a name it controls (``rebind.example``) at 127.0.0.1; the browser then
sends ``Host: rebind.example`` and treats the answers as the page's own. Every route -- the
API, the token service and the controls -- refuses such a request, and the controls'
``Origin`` check compares against the served names, never the request's own Host.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from reconciler.emulator import EmbeddedEmulator, EmulatorConfig
from tests.support.inprocess import run_reconciler

LIST = "/private-offer/query?$version=2023-07-15"


@pytest.fixture(scope="module")
def emu() -> Iterator[EmbeddedEmulator]:
    with EmbeddedEmulator(EmulatorConfig(admin=True)) as running:
        yield running


def _token(emu: EmbeddedEmulator) -> str:
    form = {
        "grant_type": "client_credentials",
        "client_id": "00000000-0000-0000-0000-0000000000a1",
        "client_secret": "emulator-publisher-secret",
        "scope": "https://graph.microsoft.com/.default",
    }
    answer = httpx.post(emu.authority("tenant") + "/oauth2/v2.0/token", data=form)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def test_a_rebound_host_is_refused_by_the_api_the_token_service_and_the_controls(
    emu: EmbeddedEmulator,
) -> None:
    api = {"Authorization": f"Bearer {_token(emu)}"}
    admin = {"Authorization": f"Bearer {emu.config.admin_token}"}
    form = {"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}
    with httpx.Client() as client:
        assert client.get(emu.api_url + LIST, headers=api).status_code == 200
        assert client.get(emu.base_url + "/_emulator/stats", headers=admin).status_code == 200
        rebound = {"Host": "rebind.example"}
        calls = [
            client.get(emu.api_url + LIST, headers={**api, **rebound}),
            client.post(emu.api_url + "/configure?$version=2023-07-15", headers={**api, **rebound}),
            client.post(emu.authority("t") + "/oauth2/v2.0/token", data=form, headers=rebound),
            client.get(emu.authority("t") + "/v2.0/.well-known/openid-configuration",
                       headers=rebound),
            client.get(emu.base_url + "/_emulator/stats", headers={**admin, **rebound}),
            client.post(emu.base_url + "/_emulator/reset", headers={**admin, **rebound}),
        ]  # fmt: skip
        for answer in calls:
            assert answer.status_code == 403, (answer.request.url, answer.text)
            assert "loopback" in answer.json()["error"]["message"]
        # A page of rebind.example talking to the controls through 127.0.0.1 itself.
        port = httpx.URL(emu.base_url).port
        for origin in (f"http://rebind.example:{port}", "http://localhost:1", "null"):
            answer = client.post(
                emu.base_url + "/_emulator/reset", headers={**admin, "Origin": origin}
            )
            assert answer.status_code == 403, origin
        same = client.get(
            emu.base_url + "/_emulator/stats",
            headers={**admin, "Origin": f"http://localhost:{port}"},
        )
        assert same.status_code == 200


def test_a_host_beyond_loopback_needs_allow_remote() -> None:
    code, out, err = run_reconciler("emulator", "--host", "0.0.0.0", "--port", "0")
    assert code == 64, out + err
    assert "--allow-remote" in err and "beyond this machine" in err


def test_the_api_accepts_only_the_tokens_it_issued(emu: EmbeddedEmulator) -> None:
    with httpx.Client() as client:
        for token in ("emulator:publisher", "emulator:partner", "not-a-token"):
            answer = client.get(emu.api_url + LIST, headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 401, token
        issued = {"Authorization": f"Bearer {_token(emu)}"}
        assert client.get(emu.api_url + LIST, headers=issued).status_code == 200
