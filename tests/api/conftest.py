"""Fixtures for the end-to-end API tests: a TLS emulator, key material, a fake OIDC runner."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12

from tests.support.certs import self_signed

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
TENANT = "11111111-2222-3333-4444-555555555555"
PUBLISHER_CLIENT = "00000000-0000-0000-0000-0000000000a1"


@dataclass
class KeyPair:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    def pem(self, password: str | None = None) -> bytes:
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password.encode())
            if password
            else serialization.NoEncryption()
        )
        key = self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        )
        return key + self.cert.public_bytes(serialization.Encoding.PEM)

    def pfx(self, password: str) -> bytes:
        return pkcs12.serialize_key_and_certificates(
            b"reconciler",
            self.key,
            self.cert,
            None,
            serialization.BestAvailableEncryption(password.encode()),
        )


@pytest.fixture(scope="session")
def key_pair() -> KeyPair:
    key, cert = self_signed("reconciler test")
    return KeyPair(key, cert)


def github_jwt(key_pair: KeyPair, subject: str = "repo:contoso/offers:pull_request") -> str:
    now = int(time.time())
    claims = {
        "iss": GITHUB_ISSUER,
        "sub": subject,
        "aud": "api://AzureADTokenExchange",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
    }
    return jwt.encode(claims, key_pair.key, algorithm="RS256")


@dataclass
class RunnerTokenServer:
    """A stand-in for the Actions runner's ID-token URL (a real HTTP server on loopback)."""

    token: str
    request_token: str = "runner-request-token-0123456789"
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def serve(self) -> Iterator[RunnerTokenServer]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(
                    {"path": self.path, "auth": self.headers.get("Authorization")}
                )
                if self.headers.get("Authorization") != f"Bearer {owner.request_token}":
                    self.send_response(401)
                    self.end_headers()
                    return
                body = json.dumps({"value": owner.token}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.url = f"http://127.0.0.1:{server.server_port}/idtoken?api-version=2.0"
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()


@pytest.fixture
def runner_token_server(key_pair: KeyPair) -> Iterator[RunnerTokenServer]:
    yield from RunnerTokenServer(token=github_jwt(key_pair)).serve()


@pytest.fixture
def token_file(tmp_path: Path, key_pair: KeyPair) -> Path:
    path = tmp_path / "federated-token"
    path.write_text(github_jwt(key_pair, "system:serviceaccount:ci:reconciler"))
    return path


# ---------------------------------------------------------------------------- the emulator


class Emulator:
    """A running TLS emulator plus its admin API (faults, stats) over real HTTP."""

    def __init__(self, emu: Any) -> None:
        import ssl

        import httpx

        self.emu = emu
        context = ssl.create_default_context(cafile=str(emu.ca_file))
        self.admin_http = httpx.Client(
            base_url=emu.base_url + "/_emulator",
            verify=context,
            headers={"Authorization": f"Bearer {emu.config.admin_token}"},
        )

    def fault(self, **fault: Any) -> None:
        response = self.admin_http.post("/faults", json=fault)
        assert response.status_code == 201, response.text

    def stats(self) -> dict[str, int]:
        return dict(self.admin_http.get("/stats").json()["requests"])

    def set(self, **settings: Any) -> None:
        response = self.admin_http.post("/settings", json=settings)
        assert response.status_code == 200, response.text


@pytest.fixture
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """A fresh in-memory TLS emulator; tune it with @pytest.mark.emulator(token_lifetime=...)."""
    from reconciler.emulator.config import EmulatorConfig
    from reconciler.emulator.server import EmbeddedEmulator

    marker = request.node.get_closest_marker("emulator")
    options = dict(marker.kwargs) if marker else {}
    config = EmulatorConfig(tls=True, admin=True, **options)
    with EmbeddedEmulator(config) as emu:
        wrapper = Emulator(emu)
        try:
            yield wrapper
        finally:
            wrapper.admin_http.close()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "emulator(**config): EmulatorConfig fields for the emulator fixture"
    )
