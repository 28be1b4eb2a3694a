"""The command group: every command is listed, loaded on demand, and errors map to exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import COMMANDS, cli

ROOT = Path(__file__).resolve().parents[1]


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert f"  {name} " in result.output


def test_an_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["deploy"])
    assert result.exit_code == 2
    assert "No such command 'deploy'" in result.output


def test_validate_starts_without_loading_the_api_layers() -> None:
    code = (
        "import sys\n"
        "from reconciler.cli.common import run\n"
        "from reconciler.cli import cli\n"
        "rc = run(cli, ['validate', 'offers'])\n"
        "heavy = [m for m in ('msal', 'uvicorn', 'reconciler.emulator', 'reconciler.api')"
        " if m in sys.modules]\n"
        "print(rc, heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert out.strip().splitlines()[-1] == "0 []"  # the validate summary comes first


def test_python_dash_m_runs_the_same_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "reconciler, version" in result.stdout
