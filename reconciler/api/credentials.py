"""Credentials from the environment, and tokens from them through msal.

The variable names are the ones Azure tooling already uses (azure-identity's
EnvironmentCredential and workload identity, azure/login), so a CI job configured for ``az``
works unchanged. The first complete option wins, in this order:

1. ``AZURE_CLIENT_SECRET``
2. ``AZURE_CLIENT_CERTIFICATE_PATH`` (PEM or PFX; ``AZURE_CLIENT_CERTIFICATE_PASSWORD``)
3. ``AZURE_FEDERATED_TOKEN_FILE`` (read fresh for every token request: the file is rotated)
4. GitHub Actions OIDC: ``ACTIONS_ID_TOKEN_REQUEST_URL`` + ``ACTIONS_ID_TOKEN_REQUEST_TOKEN``,
   present when the job has ``permissions: id-token: write``; no stored secret at all.

Each needs ``AZURE_TENANT_ID`` and ``AZURE_CLIENT_ID``. Federated options give msal a
*callable* client assertion, so a fresh short-lived assertion is fetched only when msal
really goes to the token endpoint (cache hits do not call it).

Every secret value (client secret, certificate password, request token, assertions, access
tokens) is registered with :func:`reconciler.secrets.add_secret` as soon as it is read, and
no repr here shows one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import httpx

from reconciler.errors import CredentialError
from reconciler.secrets import add_secret, redact

if TYPE_CHECKING:  # msal (and requests under it) load when a token is first needed
    import msal

log = logging.getLogger(__name__)

FEDERATED_AUDIENCE = "api://AzureADTokenExchange"

ENV_TENANT = "AZURE_TENANT_ID"
ENV_CLIENT = "AZURE_CLIENT_ID"
ENV_SECRET = "AZURE_CLIENT_SECRET"  # noqa: S105 - a variable name, not a secret
ENV_CERT = "AZURE_CLIENT_CERTIFICATE_PATH"
ENV_CERT_PASSWORD = "AZURE_CLIENT_CERTIFICATE_PASSWORD"  # noqa: S105 - a variable name
ENV_TOKEN_FILE = "AZURE_FEDERATED_TOKEN_FILE"  # noqa: S105 - a variable name
ENV_OIDC_URL = "ACTIONS_ID_TOKEN_REQUEST_URL"
ENV_OIDC_TOKEN = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"  # noqa: S105 - a variable name


@dataclass(frozen=True)
class Credentials:
    """One way to authenticate as an Entra application. Secrets are kept out of the repr."""

    kind: str  # "secret" | "certificate" | "federated-token-file" | "github-oidc"
    tenant_id: str
    client_id: str
    secret: str | None = field(default=None, repr=False)
    certificate_path: Path | None = None
    certificate_password: str | None = field(default=None, repr=False)
    token_file: Path | None = None
    oidc_url: str | None = None
    oidc_request_token: str | None = field(default=None, repr=False)
    source: str = "environment"  # or "emulator demo account <name>"

    def describe(self) -> str:
        what = {
            "secret": "client secret",
            "certificate": f"certificate {self.certificate_path}",
            "federated-token-file": f"federated token file {self.token_file}",
            "github-oidc": "GitHub Actions OIDC token",
        }.get(self.kind, self.kind)
        return f"{what} of client {self.client_id} in tenant {self.tenant_id} ({self.source})"


def credentials_from_env(env: Mapping[str, str]) -> Credentials | None:
    """The credentials the environment configures, None when it configures none at all.

    Raises CredentialError when a configuration is started but incomplete, naming what is missing.
    """

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    tenant, client = get(ENV_TENANT), get(ENV_CLIENT)
    secret, cert, token_file = get(ENV_SECRET), get(ENV_CERT), get(ENV_TOKEN_FILE)
    oidc_url, oidc_token = get(ENV_OIDC_URL), get(ENV_OIDC_TOKEN)
    add_secret(secret)
    add_secret(get(ENV_CERT_PASSWORD))
    add_secret(oidc_token)

    chosen: str | None = None
    if secret:
        chosen = ENV_SECRET
    elif cert:
        chosen = ENV_CERT
    elif token_file:
        chosen = ENV_TOKEN_FILE
    elif oidc_url and oidc_token:
        chosen = ENV_OIDC_URL
    if chosen is None and not (tenant or client):
        return None
    if chosen is None:
        raise CredentialError(
            f"{ENV_TENANT}/{ENV_CLIENT} are set but no credential is: set one of {ENV_SECRET}, "
            f"{ENV_CERT}, {ENV_TOKEN_FILE}, or run in GitHub Actions with "
            "`permissions: id-token: write` (which provides "
            f"{ENV_OIDC_URL} and {ENV_OIDC_TOKEN})"
        )
    missing = [name for name, value in ((ENV_TENANT, tenant), (ENV_CLIENT, client)) if not value]
    if missing:
        raise CredentialError(f"{chosen} is set but {' and '.join(missing)} missing")
    assert tenant and client
    if chosen == ENV_SECRET:
        return Credentials("secret", tenant, client, secret=secret)
    if chosen == ENV_CERT:
        assert cert
        return Credentials(
            "certificate",
            tenant,
            client,
            certificate_path=Path(cert),
            certificate_password=get(ENV_CERT_PASSWORD),
        )
    if chosen == ENV_TOKEN_FILE:
        assert token_file
        return Credentials("federated-token-file", tenant, client, token_file=Path(token_file))
    return Credentials(
        "github-oidc", tenant, client, oidc_url=oidc_url, oidc_request_token=oidc_token
    )


def no_credentials_error() -> CredentialError:
    return CredentialError(
        "no Azure credentials configured: set AZURE_TENANT_ID and AZURE_CLIENT_ID plus one of "
        "AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE; in "
        "GitHub Actions, grant `permissions: id-token: write` to use OIDC without a secret "
        "(see docs/authentication.md). For a local try-out use --emulator."
    )


# ---------------------------------------------------------------------------- assertions


def _read_token_file(path: Path) -> str:
    try:
        token = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise CredentialError(
            f"{ENV_TOKEN_FILE}: cannot read {path}: {exc.strerror or exc}"
        ) from None
    if not token:
        raise CredentialError(f"{ENV_TOKEN_FILE}: {path} is empty")
    add_secret(token)
    return token


def _github_oidc_assertion(http: httpx.Client, url: str, request_token: str) -> str:
    # params= would replace the runner URL's own query (api-version=2.0): merge instead.
    target = httpx.URL(url).copy_merge_params({"audience": FEDERATED_AUDIENCE})
    try:
        response = http.get(target, headers={"Authorization": f"Bearer {request_token}"})
    except httpx.HTTPError as exc:
        raise CredentialError(
            f"GitHub Actions OIDC token request to {target.host} failed: {type(exc).__name__}"
        ) from None
    if response.status_code != 200:
        raise CredentialError(
            f"GitHub Actions OIDC token request failed: HTTP {response.status_code} "
            "(does the job have `permissions: id-token: write`?)"
        )
    try:
        value = response.json()["value"]
    except (ValueError, KeyError, TypeError):
        raise CredentialError("GitHub Actions OIDC token response has no 'value'") from None
    if not isinstance(value, str) or not value:
        raise CredentialError("GitHub Actions OIDC token response has no 'value'")
    add_secret(value)
    return value


def _load_certificate(path: Path, password: str | None) -> dict[str, object]:
    """msal's client_credential dict for a PEM or PFX file, with a SHA-256 thumbprint."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CredentialError(f"{ENV_CERT}: cannot read {path}: {exc.strerror or exc}") from None
    secret = password.encode() if password else None
    try:
        if b"-----BEGIN" in data:
            key = serialization.load_pem_private_key(data, password=secret)
            certs = x509.load_pem_x509_certificates(data)
            cert = certs[0]
        else:
            pfx_key, pfx_cert, _ = pkcs12.load_key_and_certificates(data, secret)
            if pfx_key is None or pfx_cert is None:
                raise CredentialError(
                    f"{ENV_CERT}: {path} must hold a private key and a certificate"
                )
            key, cert = pfx_key, pfx_cert
    except CredentialError:
        raise
    except (ValueError, TypeError) as exc:
        # cryptography's messages name the problem (bad password, no key) without key material.
        reason = str(exc).split("\n", 1)[0]
        raise CredentialError(f"{ENV_CERT}: cannot load {path}: {redact(reason)}") from None
    # Hand msal an unencrypted PEM in memory only: it then computes the SHA-256 thumbprint
    # (x5t#S256) itself, for PEM and PFX alike.
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    return {"private_key": key_pem, "public_certificate": cert_pem}


# ---------------------------------------------------------------------------- token providers


class TokenProvider(Protocol):
    """What the client needs: a bearer token, a way to drop it, and a fetch count."""

    fetched: int

    def token(self) -> str: ...

    def invalidate(self) -> None: ...


class StaticTokenProvider:
    """A fixed token (the emulator's ``emulator:<account>`` test tokens)."""

    def __init__(self, token: str) -> None:
        add_secret(token)
        self._token = token
        self.fetched = 0

    def token(self) -> str:
        return self._token

    def invalidate(self) -> None:
        return None

    def __repr__(self) -> str:
        return "StaticTokenProvider(***)"


class _MsalHttp:
    """The httpx client as msal's ``http_client``, with one fix-up.

    msal's certificate assertions are ``bytes``; requests form-encodes bytes as text, httpx
    turns them into ``"b'...'"``. Decoding them here keeps msal on our own transport.
    """

    def __init__(self, http: httpx.Client) -> None:
        self._http = http

    def post(
        self, url: str, params: Any = None, data: Any = None, headers: Any = None, **kwargs: Any
    ) -> httpx.Response:
        if isinstance(data, dict):
            data = {k: v.decode() if isinstance(v, bytes) else v for k, v in data.items()}
        return self._http.post(url, params=params, data=data, headers=headers, **kwargs)

    def get(
        self, url: str, params: Any = None, headers: Any = None, **kwargs: Any
    ) -> httpx.Response:
        return self._http.get(url, params=params, headers=headers, **kwargs)

    def close(self) -> None:  # the client's owner closes the shared httpx client
        return None


class MsalTokenProvider:
    """Access tokens through one msal ConfidentialClientApplication for the whole run.

    msal caches the token and renews it on its own when less than five minutes are left, so a
    long apply never sends an expired one. If the API still answers 401 (the token was revoked,
    or clocks disagree), the client calls :meth:`invalidate` and asks once more.

    The application is built lazily: msal fetches the authority's OpenID configuration in its
    constructor, and that network call belongs inside the client's retry handling.
    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        authority: str,
        scope: str,
        http: httpx.Client,
        instance_discovery: bool = True,
    ) -> None:
        self.credentials = credentials
        self.authority = authority
        self.scope = scope
        self.fetched = 0
        self._http = http
        self._instance_discovery = instance_discovery
        self._app: msal.ConfidentialClientApplication | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"MsalTokenProvider(kind={self.credentials.kind!r}, "
            f"client_id={self.credentials.client_id!r}, authority={self.authority!r})"
        )

    def _client_credential(self) -> object:
        creds = self.credentials
        if creds.kind == "secret":
            return creds.secret
        if creds.kind == "certificate":
            assert creds.certificate_path is not None
            return _load_certificate(creds.certificate_path, creds.certificate_password)
        assertion: Callable[[], str]
        if creds.kind == "federated-token-file":
            path = creds.token_file
            assert path is not None

            def assertion() -> str:
                return _read_token_file(path)

        elif creds.kind == "github-oidc":
            url, request_token = creds.oidc_url, creds.oidc_request_token
            assert url and request_token
            http = self._http

            def assertion() -> str:
                return _github_oidc_assertion(http, url, request_token)

        else:
            raise CredentialError(f"unknown credential kind {creds.kind!r}")
        return {"client_assertion": assertion}

    def _application(self) -> msal.ConfidentialClientApplication:
        if self._app is None:
            try:
                import msal

                self._app = msal.ConfidentialClientApplication(
                    self.credentials.client_id,
                    client_credential=self._client_credential(),
                    authority=self.authority,
                    http_client=_MsalHttp(self._http),
                    instance_discovery=self._instance_discovery,
                )
            except ValueError as exc:
                raise CredentialError(
                    f"cannot use authority {self.authority}: {redact(str(exc))}"
                ) from None
        return self._app

    def token(self) -> str:
        with self._lock:
            app = self._application()
            try:
                result = app.acquire_token_for_client([self.scope])
            except ValueError as exc:  # msal's own complaints (bad response, bad config)
                raise CredentialError(
                    f"token request for {self.credentials.describe()} failed: {redact(str(exc))}"
                ) from None
            if not isinstance(result, dict) or "access_token" not in result:
                result = result if isinstance(result, dict) else {}
                error = result.get("error", "unknown_error")
                description = str(result.get("error_description") or "").split("\n", 1)[0]
                raise CredentialError(
                    f"could not get a token with the {self.credentials.describe()}: "
                    f"{error}: {redact(description)}"
                )
            token = str(result["access_token"])
            add_secret(token)
            if result.get("token_source") != "cache":
                self.fetched += 1
                log.debug(
                    "new access token from %s (expires in %ss)",
                    self.authority,
                    result.get("expires_in"),
                )
            return token

    def invalidate(self) -> None:
        with self._lock:
            if self._app is not None:
                self._app.remove_tokens_for_client()
