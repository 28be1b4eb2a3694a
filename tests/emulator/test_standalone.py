"""The stand-alone emulator and its env file: the CLI works with no --emulator flag."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.cli.common import run
from reconciler.emulator.envfile import ENV_ADMIN_TOKEN, ENV_EMULATOR_URL, read_env_file

EXAMPLES = Path(__file__).resolve().parents[2] / "offers"
CLIENT_VARS = (
    "RECONCILER_ENDPOINT",
    "AZURE_AUTHORITY_HOST",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "SSL_CERT_FILE",
)


class Served:
    def __init__(self, env_file: Path, process: subprocess.Popen[str]) -> None:
        self.env_file = env_file
        self.process = process
        self.env = read_env_file(env_file)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("standalone")
    env_file = root / "emulator.env"
    catalogue = root / "extra.json"
    catalogue.write_text(
        json.dumps(
            {
                "products": [
                    {
                        "id": "product/11111111-2222-3333-4444-555555555555",
                        "alias": "My own SaaS",
                        "plans": [{"planId": "gold"}],
                    }
                ]
            }
        )
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "RECONCILER_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "emulator", "--tls", "--port", "0", "--admin",
         "--data", str(root / "data"), "--env-file", str(env_file),
         "--catalogue", str(catalogue), "--set", "clock_rate=1000"],  # 30 s jobs in 30 ms
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**clean, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not env_file.exists() or "ADMIN_TOKEN" not in env_file.read_text():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the emulator did not write its env file"
        time.sleep(0.05)
    try:
        yield Served(env_file, process)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)


def _invoke(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """Run ``reconciler ARGS`` as a user would (exit codes included) with only *env* set."""
    runner = CliRunner()
    old = Path.cwd()
    os.chdir(cwd)
    # Only the env file's variables: no --emulator, no other credentials.
    cleared = {k: None for k in os.environ if k.startswith(("AZURE_", "RECONCILER_"))}
    try:
        with runner.isolation(env={**cleared, **env}) as streams:
            code = run(cli, args)
            output = streams[0].getvalue().decode() + streams[1].getvalue().decode()
    finally:
        os.chdir(old)
    return code, output


def test_env_file_holds_every_variable_a_client_needs(served: Served) -> None:
    env = served.env
    assert set(CLIENT_VARS) <= set(env)
    assert env["RECONCILER_ENDPOINT"].startswith("https://127.0.0.1:")
    assert env["AZURE_AUTHORITY_HOST"] == env[ENV_EMULATOR_URL]
    assert Path(env["SSL_CERT_FILE"]).is_absolute() and Path(env["SSL_CERT_FILE"]).exists()
    assert len(env[ENV_ADMIN_TOKEN]) >= 32
    assert served.env_file.stat().st_mode & 0o077 == 0  # it holds a secret


def test_plan_apply_plan_with_only_the_env_file(served: Served, tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "offers")
    began = time.monotonic()
    code, out = _invoke(["plan", "offers", "--detailed-exitcode"], served.env, tmp_path)
    assert code == 2, out
    code, out = _invoke(["apply", "offers", "--auto-approve"], served.env, tmp_path)
    assert code == 0, out
    code, out = _invoke(["plan", "offers", "--detailed-exitcode"], served.env, tmp_path)
    assert code == 0, out
    # No instance discovery on the internet, no hang: the whole round is local.
    assert time.monotonic() - began < 45


def test_controls_need_the_token_and_refuse_other_origins(served: Served) -> None:
    base = served.env[ENV_EMULATOR_URL]
    ca = served.env["SSL_CERT_FILE"]
    token = served.env[ENV_ADMIN_TOKEN]
    with httpx.Client(verify=ssl.create_default_context(cafile=ca)) as http:
        assert http.get(base + "/_emulator/stats").status_code == 401
        wrong = {"Authorization": "Bearer not-the-token"}
        assert http.get(base + "/_emulator/stats", headers=wrong).status_code == 401
        good = {"Authorization": f"Bearer {token}"}
        assert http.get(base + "/_emulator/stats", headers=good).status_code == 200
        page = {**good, "Origin": "https://example.org"}
        assert http.post(base + "/_emulator/reset", headers=page).status_code == 403
        products = http.get(base + "/_emulator/catalogue", headers=good).json()["products"]
    assert "product/11111111-2222-3333-4444-555555555555" in {p["id"] for p in products}


def test_controls_on_the_command_line(served: Served, tmp_path: Path) -> None:
    env_file = str(served.env_file)
    code, out = _invoke(
        ["emulator", "latency", "--job", "0", "--request", "0", "--env-file", env_file],
        {},
        tmp_path,
    )
    assert code == 0 and "request latency 0.0 s" in out, out
    catalogue = tmp_path / "more.json"
    catalogue.write_text(json.dumps({"products": [{"id": "bad", "plans": []}]}))
    code, out = _invoke(
        ["emulator", "catalogue", str(catalogue), "--env-file", env_file], {}, tmp_path
    )
    assert code == 1 and "products[0].id" in out and "Traceback" not in out, out
    code, out = _invoke(
        ["emulator", "accept", "private-offer/00000000-0000-0000-0000-000000000000",
         "--env-file", env_file], {}, tmp_path)  # fmt: skip
    assert code == 1 and "does not exist" in out, out


def test_admin_controls_are_off_unless_asked(tmp_path: Path) -> None:
    from reconciler.emulator import EmbeddedEmulator, EmulatorConfig

    with EmbeddedEmulator(EmulatorConfig()) as emu:
        assert httpx.post(emu.base_url + "/_emulator/reset").status_code == 404


def test_an_unreachable_authority_fails_fast_and_clearly(served: Served, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]  # nothing listens once the socket is closed
    env = {**served.env, "AZURE_AUTHORITY_HOST": f"https://127.0.0.1:{closed}"}
    shutil.copytree(EXAMPLES, tmp_path / "offers")
    began = time.monotonic()
    code, out = _invoke(["plan", "offers"], env, tmp_path)
    assert code != 0
    assert f"127.0.0.1:{closed}" in out and "AZURE_AUTHORITY_HOST" in out, out
    assert "Traceback" not in out
    assert time.monotonic() - began < 10


@pytest.mark.parametrize(
    ("setting", "message"),
    [("nope=1", "unknown emulator setting 'nope'"), ("withdrawn_state=gone", "draft, withdrawn")],
)
def test_a_bad_setting_is_refused_before_serving(
    tmp_path: Path, setting: str, message: str
) -> None:
    code, out = _invoke(["emulator", "--port", "0", "--set", setting], {}, tmp_path)
    assert code == 64 and message in out, out


def test_an_authority_host_without_scheme_means_https(served: Served, tmp_path: Path) -> None:
    # azure-identity reads AZURE_AUTHORITY_HOST=login.microsoftonline.us as https://...
    bare = served.env["AZURE_AUTHORITY_HOST"].removeprefix("https://")
    shutil.copytree(EXAMPLES, tmp_path / "offers")
    code, out = _invoke(["plan", "offers"], {**served.env, "AZURE_AUTHORITY_HOST": bare}, tmp_path)
    assert code == 0, out
