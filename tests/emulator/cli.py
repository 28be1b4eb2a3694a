"""Run ``reconciler ...`` as a user would, against a running emulator, with only its env.

The variables are the stand-alone emulator's env file's (endpoint, authority, demo
credentials of an account, CA): no ``--emulator`` flag, so a test can run the CLI against an
emulator with any setting of docs/api-unknowns.md.
"""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.cli.common import run
from reconciler.emulator import EmbeddedEmulator

DEMO_TENANT = "00000000-0000-0000-0000-00000000e001"


def client_env(emu: EmbeddedEmulator, account: str = "publisher") -> dict[str, str]:
    who = emu.config.account(account)
    assert who is not None
    env = {
        "RECONCILER_ENDPOINT": emu.api_url,
        "AZURE_AUTHORITY_HOST": emu.base_url,
        "AZURE_TENANT_ID": DEMO_TENANT,
        "AZURE_CLIENT_ID": who.client_id,
        "AZURE_CLIENT_SECRET": who.client_secret,
        "RECONCILER_INSECURE_LOOPBACK": "1",
    }
    if emu.ca_file:
        env["SSL_CERT_FILE"] = str(emu.ca_file)
    return env


def reconciler(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """``reconciler ARGS`` in *cwd* with only *env* set; returns (exit code, output)."""
    runner = CliRunner()
    old = Path.cwd()
    os.chdir(cwd)
    cleared = {k: None for k in os.environ if k.startswith(("AZURE_", "RECONCILER_", "GITHUB_"))}
    try:
        with runner.isolation(env={**cleared, **env}) as streams:
            code = run(cli, args)
            output = streams[0].getvalue().decode() + streams[1].getvalue().decode()
    finally:
        os.chdir(old)
    return code, output
