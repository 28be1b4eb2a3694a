"""Serving the emulator: in-process for tests and ``--emulator`` runs, or as a command.

:class:`EmbeddedEmulator` binds a socket on 127.0.0.1 (port 0 = a free port), runs uvicorn
on it in a daemon thread and waits until it accepts connections, so ``base_url`` is known
and usable as soon as ``start()`` returns (well under a second). ``stop()`` asks uvicorn to
exit, joins the thread and closes the store; with a ``data_dir`` everything persists, so a
new emulator on the same directory continues where the last one stopped.

With ``tls=True`` a local CA (trustme) issues a certificate for 127.0.0.1/localhost; the
CA's PEM is written to ``ca_file`` (under ``data_dir``, or a temp dir) for clients:
``httpx.Client(verify=emulator.ca_file)``, which msal accepts as ``http_client``. Under a
``data_dir`` the CA (and its key, 0600) is kept and used again at the next start, so
clients keep trusting an emulator that restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import socket
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType

import trustme
import uvicorn

from reconciler.emulator.admin import EmulatorAdmin
from reconciler.emulator.app import API_PREFIX, EmulatorApp, create_app
from reconciler.emulator.config import EmulatorConfig
from reconciler.errors import EmulatorError

CA_FILE = "emulator-ca.pem"
CA_KEY_FILE = "emulator-ca.key"


def _load_or_make_ca(cert_file: Path, key_file: Path) -> trustme.CA:
    """The CA kept in the data folder, or a new one written there (its key 0600).

    Kept across restarts: a client started against this emulator (its ``SSL_CERT_FILE``
    read once) must still trust it after the emulator restarts on the same data, or every
    status poll of a running apply fails on TLS."""
    if cert_file.is_file() and key_file.is_file():
        try:
            return trustme.CA.from_pem(cert_file.read_bytes(), key_file.read_bytes())
        except (OSError, ValueError):
            pass  # unreadable: a new CA replaces it (clients then need the new file)
    ca = trustme.CA(organization_name="offer-reconciler emulator")
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(ca.private_key_pem.bytes())
    ca.cert_pem.write_to_path(str(cert_file))
    return ca


class TlsFiles:
    """A CA and a loopback server certificate, written where uvicorn and clients read them."""

    def __init__(self, directory: Path | None) -> None:
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if directory is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="reconciler-emulator-")
            directory = Path(self._tmp.name)
        directory.mkdir(parents=True, exist_ok=True)
        self.ca_file = directory / CA_FILE
        ca = _load_or_make_ca(self.ca_file, directory / CA_KEY_FILE)
        cert = ca.issue_cert("127.0.0.1", "localhost")
        # The server key lives only in a private temp dir, never next to the data.
        self._keys = tempfile.TemporaryDirectory(prefix="reconciler-emulator-tls-")
        self.cert_file = Path(self._keys.name) / "server.pem"
        self.key_file = Path(self._keys.name) / "server.key"
        cert.cert_chain_pems[0].write_to_path(str(self.cert_file))
        for extra in cert.cert_chain_pems[1:]:
            extra.write_to_path(str(self.cert_file), append=True)
        cert.private_key_pem.write_to_path(str(self.key_file))
        self.key_file.chmod(0o600)

    def cleanup(self) -> None:
        self._keys.cleanup()
        if self._tmp is not None:
            self._tmp.cleanup()


class _PromptServer(uvicorn.Server):
    """uvicorn's server, stopping as soon as asked.

    uvicorn polls ``should_exit`` every 0.1 s and its shutdown sleeps another 0.1 s for
    connections to finish; an embedded emulator has its connections aborted by ``stop()``,
    and the test suite starts and stops a couple of hundred of them.
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._wake: asyncio.Event | None = None

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    async def main_loop(self) -> None:
        self._wake = asyncio.Event()
        counter = 0
        should_exit = await self.on_tick(counter)
        while not should_exit:
            counter = (counter + 1) % 864000
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.1)
            should_exit = await self.on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (self.config.timeout_graceful_shutdown or 0)
        state = self.server_state
        while (state.connections or state.tasks) and not self.force_exit:
            if loop.time() > deadline:
                break
            await asyncio.sleep(0.005)
        for task in list(state.tasks):
            task.cancel()


class EmbeddedEmulator:
    """The emulator on a real loopback port, as a context manager."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.app: EmulatorApp | None = None
        self._server: _PromptServer | None = None
        self._thread: threading.Thread | None = None
        self._tls: TlsFiles | None = None
        self._admin: EmulatorAdmin | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.base_url = ""
        self.ca_file: Path | None = None

    @property
    def api_url(self) -> str:
        return self.base_url + API_PREFIX

    def authority(self, tenant: str = "emulator") -> str:
        return f"{self.base_url}/{tenant}"

    @property
    def admin(self) -> EmulatorAdmin:
        if self._admin is None:
            if not self.base_url:
                raise EmulatorError("the emulator is not running")
            self._admin = EmulatorAdmin(
                self.base_url,
                token=self.config.admin_token,
                ca_file=str(self.ca_file) if self.ca_file else None,
            )
        return self._admin

    def start(self) -> EmbeddedEmulator:
        config = self.config
        if config.admin and not config.admin_token:
            config.admin_token = secrets.token_urlsafe(32)
        try:
            # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets that say so, and
            # without it every answer (headers, then body) waits ~40 ms for a delayed ACK.
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((config.host, config.port))
        except OSError as exc:
            raise EmulatorError(
                f"cannot listen on {config.host}:{config.port}: {exc.strerror}"
            ) from None
        try:
            self.app = create_app(config)
        except Exception as exc:  # e.g. an unreadable or corrupt data directory
            sock.close()
            raise EmulatorError(f"cannot open the emulator's data: {exc}") from exc
        ssl: dict[str, str] = {}
        if config.tls:
            self._tls = TlsFiles(config.data_dir)
            self.ca_file = self._tls.ca_file
            ssl = {"ssl_certfile": str(self._tls.cert_file), "ssl_keyfile": str(self._tls.key_file)}
        uv_config = uvicorn.Config(
            self.app,
            log_level="warning",
            lifespan="off",
            http="h11",
            access_log=False,
            timeout_graceful_shutdown=1,
            **ssl,  # type: ignore[arg-type]
        )
        self._server = _PromptServer(uv_config)
        self.app.server = self._server
        port = sock.getsockname()[1]
        scheme = "https" if config.tls else "http"
        self.base_url = f"{scheme}://{config.host}:{port}"
        self._thread = threading.Thread(
            target=asyncio.run,
            args=(self._serve(self._server, sock),),
            name="emulator",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise EmulatorError("the emulator did not start")
            time.sleep(0.005)
        return self

    async def _serve(self, server: uvicorn.Server, sock: socket.socket) -> None:
        self._loop = asyncio.get_running_loop()
        await server.serve(sockets=[sock])

    def _abort_connections(self) -> None:
        # Idle keep-alive connections (notably TLS ones waiting for the client's close_notify)
        # would hold uvicorn's graceful shutdown; an emulator that stops does not need it.
        if self._server is not None:
            for protocol in list(self._server.server_state.connections):
                transport = getattr(protocol, "transport", None)
                if transport is not None:
                    transport.abort()

    def stop(self) -> None:
        if self._admin is not None:
            self._admin.close()
            self._admin = None
        if self._server is not None:
            self._server.should_exit = True
            if self._loop is not None and not self._loop.is_closed():
                with contextlib.suppress(RuntimeError):
                    self._loop.call_soon_threadsafe(self._abort_connections)
                    self._loop.call_soon_threadsafe(self._server.wake)
        if self._thread is not None:
            self._thread.join(timeout=10)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout=5)
        if self.app is not None:
            with contextlib.suppress(Exception):
                self.app.close()
        if self._tls is not None:
            self._tls.cleanup()
        self._server = None
        self._thread = None
        self.app = None
        self._tls = None

    def __enter__(self) -> EmbeddedEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
