"""Where the token goes: https to the real hosts only, loopback only when the run opts in.

Every refused case runs the command a user runs (``reconciler plan`` / ``drift`` / ``import``
/ ``jobs resume``) with credentials configured and a local listening socket standing where
the token would go; the socket must see no connection at all. The control cases (the same
socket, the run opting in) see one, so the listener can tell.
"""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.cli import cli
from reconciler.cli.common import run
from tests.reliability.support import EXAMPLES

CREDS = {
    "AZURE_TENANT_ID": "tenant",
    "AZURE_CLIENT_ID": "client",
    "AZURE_CLIENT_SECRET": "CANARY-endpoint-secret-9d1",
}
ENV_NAMES = (
    "RECONCILER_ENDPOINT",
    "RECONCILER_INSECURE_LOOPBACK",
    "RECONCILER_ALLOW_FILE_ENDPOINT",
    "RECONCILER_EMULATOR",
    "AZURE_AUTHORITY_HOST",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_FEDERATED_TOKEN_FILE",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "GITHUB_ACTIONS",
)


class Listener:
    """A loopback TCP socket that counts the connections it is offered and drops them."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in CREDS.items():
        monkeypatch.setenv(name, value)
    shutil.copytree(EXAMPLES, tmp_path / "offers", ignore=shutil.ignore_patterns("partner"))
    # No retries: the control cases end at the first dropped connection.
    (tmp_path / "reconciler.toml").write_text("[api]\nretries = 0\nconnect-timeout = 2\n")
    return tmp_path


def cli_run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = run(cli, list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


COMMANDS = [
    ("plan", "offers"),
    ("drift", "offers"),
    ("import", "--all", "--out", "imported"),
    ("jobs", "resume"),
    ("apply", "offers", "--auto-approve"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_http_endpoint_in_the_environment_is_refused_without_a_connection(
    project: Path,
    listener: Listener,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: tuple[str, ...],
) -> None:
    url = f"http://127.0.0.1:{listener.port}/rp/product-ingestion"
    monkeypatch.setenv("RECONCILER_ENDPOINT", url)
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", f"https://127.0.0.1:{listener.port}")
    # Even the loopback opt-in does not make cleartext acceptable.
    monkeypatch.setenv("RECONCILER_INSECURE_LOOPBACK", "1")
    code, output = cli_run(capsys, *command)
    assert code == 1, output
    assert f"API endpoint {url!r} is not https" in output
    assert "Traceback" not in output
    assert CREDS["AZURE_CLIENT_SECRET"] not in output
    assert listener.connections == 0


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            'endpoint = "http://127.0.0.1:{port}/rp/product-ingestion"',
            "api.endpoint is set in a file",
        ),
        ('authority-host = "http://127.0.0.1:{port}"', "api.authority-host is set in a file"),
        ('endpoint = "https://127.0.0.1:{port}/rp"', "api.endpoint is set in a file"),
    ],
    ids=["http-endpoint", "http-authority", "https-loopback-endpoint"],
)
def test_endpoint_or_authority_in_reconciler_toml_is_refused_without_a_connection(
    project: Path,
    listener: Listener,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    toml: str,
    message: str,
) -> None:
    monkeypatch.setenv("RECONCILER_INSECURE_LOOPBACK", "1")
    monkeypatch.setenv("AZURE_AUTHORITY_HOST" if "endpoint" in toml else "RECONCILER_ENDPOINT",
                       f"https://127.0.0.1:{listener.port}/rp")  # fmt: skip
    (project / "reconciler.toml").write_text(
        "[api]\nretries = 0\n" + toml.format(port=listener.port) + "\n"
    )
    code, output = cli_run(capsys, "plan", "offers")
    assert code == 1, output
    assert message in output and "RECONCILER_ALLOW_FILE_ENDPOINT=1" in output
    assert "reconciler.toml" in output
    assert listener.connections == 0
    # A cleartext URL stays refused even when the workflow lets the file decide.
    monkeypatch.setenv("RECONCILER_ALLOW_FILE_ENDPOINT", "1")
    code, output = cli_run(capsys, "plan", "offers")
    if "http://" in toml:
        assert code == 1 and "is not https" in output, output
        assert listener.connections == 0
    else:
        assert listener.connections >= 1, output  # opted in twice: it really connects


def test_pyproject_and_environment_overlays_are_guarded_too(
    project: Path, listener: Listener, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "reconciler.toml").unlink()
    (project / "pyproject.toml").write_text(
        "[tool.reconciler.environments.prod.api]\n"
        f'endpoint = "https://127.0.0.1:{listener.port}/rp"\n'
    )
    code, output = cli_run(capsys, "--environment", "prod", "plan", "offers")
    assert code == 1, output
    assert "pyproject.toml: api.endpoint is set in a file" in output
    assert listener.connections == 0


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/rp/product-ingestion",
        "https://graph.microsoft.com.evil.example/rp",
        "https://user:pw@graph.microsoft.com/rp/product-ingestion",
        "ftp://graph.microsoft.com/rp",
    ],
)
def test_only_the_real_api_host_is_allowed(
    project: Path, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    code, output = cli_run(capsys, "plan", "offers", "--endpoint", url)
    assert code == 1, output
    assert "API endpoint" in output and "Traceback" not in output


def test_loopback_needs_an_explicit_opt_in(
    project: Path,
    listener: Listener,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", f"https://127.0.0.1:{listener.port}")
    endpoint = f"https://localhost:{listener.port}/rp/product-ingestion"
    code, output = cli_run(capsys, "plan", "offers", "--endpoint", endpoint)
    assert code == 1, output
    assert "is a loopback address" in output and "--insecure-loopback" in output
    assert listener.connections == 0
    # The control: opting in reaches the listener (which drops the connection: exit 1).
    code, output = cli_run(capsys, "plan", "offers", "--endpoint", endpoint, "--insecure-loopback")
    assert code == 1
    assert listener.connections >= 1, output
