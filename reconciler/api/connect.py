"""Open a client for the real API, another endpoint, or the embedded emulator.

:func:`open_client` is the one place that decides *where* the client talks and *as whom*:

* endpoint: ``endpoint=`` (``--endpoint`` / ``RECONCILER_ENDPOINT``), else
  ``settings.api.endpoint`` (the real API); authority: ``AZURE_AUTHORITY_HOST``, else
  ``settings.api.authority_host``. Both must be https to the real hosts; loopback only with
  ``insecure_loopback`` (``--insecure-loopback`` / ``RECONCILER_INSECURE_LOOPBACK=1``) or the
  embedded emulator; from a settings file only with ``RECONCILER_ALLOW_FILE_ENDPOINT=1``
  (:mod:`reconciler.settings` holds the rules). Every check runs before any connection;
* ``emulator=True`` starts the embedded emulator (TLS, state kept under ``emulator_data``,
  default ``.reconciler/emulator``) and points both the client and msal's authority at it.
  msal validates unknown authority hosts against Microsoft's instance-discovery service, so
  it is built with ``instance_discovery=False`` there (msal then reads the emulator's own
  ``/{tenant}/v2.0/.well-known/openid-configuration``), and TLS is verified against the
  emulator's generated CA;
* credentials: ``AZURE_*`` / GitHub OIDC variables (see :mod:`reconciler.api.credentials`);
  in emulator mode without them, the emulator's demo client of ``account`` (publisher by
  default, or partner).

One ``httpx.Client`` serves both the API calls and msal, so ``transport=`` replaces the
network for everything (tests, or a recording transport).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx

from reconciler.api.client import ProductIngestionClient
from reconciler.api.credentials import (
    Credentials,
    MsalTokenProvider,
    credentials_from_env,
    no_credentials_error,
)
from reconciler.api.wire import api_timeout, build_transport
from reconciler.errors import CredentialError, SettingsError
from reconciler.settings import (
    API_HOSTS,
    AUTHORITY_HOSTS,
    ENV_INSECURE_LOOPBACK,
    Settings,
    check_file_endpoint,
    check_url,
    env_flag,
    is_loopback_host,
)

DEFAULT_EMULATOR_DATA = Path(".reconciler") / "emulator"
# The emulator accepts any tenant; this one makes demo runs recognisable in its logs.
EMULATOR_DEMO_TENANT = "00000000-0000-0000-0000-00000000e001"
# The variable azure-identity reads for a non-public cloud (or an emulator's authority).
ENV_AUTHORITY_HOST = "AZURE_AUTHORITY_HOST"


def build_http_client(settings: Settings, *, transport: httpx.BaseTransport) -> httpx.Client:
    """msal's client on the API's *transport*: token requests share its connections."""
    return httpx.Client(transport=transport, timeout=api_timeout(settings), follow_redirects=False)


def _demo_credentials(account: str, tenant: str) -> Credentials:
    from reconciler.emulator.config import default_accounts

    demo = next((a for a in default_accounts() if a.name == account), None)
    if demo is None:
        known = ", ".join(a.name for a in default_accounts())
        raise CredentialError(f"unknown emulator account {account!r} (known: {known})")
    return Credentials(
        "secret",
        tenant,
        demo.client_id,
        secret=demo.client_secret,
        source=f"emulator demo account {account}",
    )


@contextmanager
def open_client(
    settings: Settings,
    *,
    endpoint: str | None = None,
    emulator: bool = False,
    emulator_data: Path | None = None,
    account: str | None = None,
    writes: bool = False,
    insecure_loopback: bool = False,
    env: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
    **client_options: Any,
) -> Iterator[ProductIngestionClient]:
    """Yield a ready client; stop the emulator (if started) and close connections on exit.

    *client_options* go to :class:`ProductIngestionClient` (``sleep``, ``clock``, ``rand``).
    """
    env = os.environ if env is None else env
    if emulator and endpoint:
        raise SettingsError("--endpoint and --emulator exclude each other: choose one")
    if account and not emulator:
        raise SettingsError("--account selects an emulator demo account; it needs --emulator")
    if not emulator:
        authority = env.get(ENV_AUTHORITY_HOST, "").strip()
        if authority and "://" not in authority:
            # as azure-identity: a bare host name means https
            authority = f"https://{authority}"
        # Only what is really used counts: --endpoint / AZURE_AUTHORITY_HOST override the file.
        check_file_endpoint(
            settings,
            env,
            used={
                k
                for k, given in (("endpoint", endpoint), ("authority_host", authority))
                if not given
            },
        )
        with connect(
            endpoint or settings.api.endpoint,
            settings,
            authority_base=authority or settings.api.authority_host,
            env=env,
            writes=writes,
            loopback=insecure_loopback or env_flag(env, ENV_INSECURE_LOOPBACK),
            # as azure-identity: an authority host that is set is used as is, no discovery
            discovery=not authority,
            transport=transport,
            **client_options,
        ) as client:
            yield client
        return
    from reconciler.emulator.config import EmulatorConfig, default_job_latency
    from reconciler.emulator.server import EmbeddedEmulator

    data_dir = emulator_data or (settings.root / DEFAULT_EMULATOR_DATA)
    config = EmulatorConfig(
        data_dir=data_dir, tls=True, job_latency=default_job_latency(embedded=True)
    )
    with (
        EmbeddedEmulator(config) as emu,
        connect_emulator(
            emu,
            settings,
            account=account,
            env=env,
            writes=writes,
            transport=transport,
            **client_options,
        ) as client,
    ):
        yield client


def connect_emulator(
    emu: Any,
    settings: Settings,
    *,
    account: str | None = None,
    env: Mapping[str, str] | None = None,
    writes: bool = False,
    transport: httpx.BaseTransport | None = None,
    **client_options: Any,
) -> AbstractContextManager[ProductIngestionClient]:
    """A client for a running :class:`~reconciler.emulator.server.EmbeddedEmulator`."""
    return connect(
        emu.api_url,
        settings,
        authority_base=emu.base_url,
        env=os.environ if env is None else env,
        demo_account=account or "publisher",
        verify=str(emu.ca_file) if getattr(emu, "ca_file", None) else True,
        writes=writes,
        loopback=True,
        transport=transport,
        **client_options,
    )


@contextmanager
def connect(
    api_url: str,
    settings: Settings,
    *,
    authority_base: str,
    env: Mapping[str, str],
    demo_account: str | None = None,
    verify: str | bool = True,
    writes: bool = False,
    loopback: bool = False,
    discovery: bool = True,
    transport: httpx.BaseTransport | None = None,
    **client_options: Any,
) -> Iterator[ProductIngestionClient]:
    """A client for *api_url* whose msal authority is ``authority_base/<tenant>``.

    *discovery* False: an authority the user set (``AZURE_AUTHORITY_HOST``) is used as
    given, never validated through Microsoft's instance-discovery service on the internet.

    *demo_account* set means "an emulator": msal skips Microsoft's instance discovery, and
    the demo client of that account is used when the environment configures no credentials.
    Both URLs are checked against the endpoint rules first (*loopback*: an emulator is
    allowed), so a refused URL never sees a connection, let alone a credential.
    """
    check_url(api_url, what="API endpoint", hosts=API_HOSTS, loopback=loopback)
    check_url(authority_base, what="authority host", hosts=AUTHORITY_HOSTS, loopback=loopback)
    creds = credentials_from_env(env)
    if creds is None:
        if demo_account is None:
            raise no_credentials_error()
        creds = _demo_credentials(demo_account, EMULATOR_DEMO_TENANT)
    wire = transport or build_transport(settings, verify=verify, writes=writes)
    with build_http_client(settings, transport=wire) as http:
        tokens = MsalTokenProvider(
            creds,
            authority=f"{authority_base.rstrip('/')}/{creds.tenant_id}",
            scope=settings.api.scope,
            http=http,
            # Microsoft's instance discovery knows no emulator: skip it for a local authority.
            instance_discovery=discovery
            and demo_account is None
            and not is_loopback_host(httpx.URL(authority_base).host),
        )
        client = ProductIngestionClient(
            api_url,
            settings=settings,
            tokens=tokens,
            transport=wire,
            writes=writes,
            **client_options,
        )
        try:
            yield client
        finally:
            client.close()
