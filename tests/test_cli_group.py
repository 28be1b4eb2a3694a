"""The command group: every command is listed, loaded on demand, and errors map to exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import COMMANDS, cli
from reconciler.errors import EXIT_CHANGES, EXIT_OK, EXIT_USAGE
from tests.support.inprocess import run_reconciler

ROOT = Path(__file__).resolve().parents[1]


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert f"  {name} " in result.output


def test_an_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["deploy"])
    assert result.exit_code == EXIT_USAGE
    assert "No such command 'deploy'" in result.output


def test_a_mistyped_option_exits_neither_0_nor_2() -> None:
    # 2 is "changes found", which the plan and drift workflows read as success.
    rc = subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", "--no-such-option"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert rc.returncode not in (EXIT_OK, EXIT_CHANGES)
    assert rc.returncode == EXIT_USAGE
    assert "No such option '--no-such-option'" in rc.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["jobs", "no-such-subcommand"],
        ["plan", "--format", "yaml"],
        ["--no-such-global-option", "plan"],
        ["apply", "--timeout", "-1"],
    ],
)
def test_every_usage_error_exits_the_usage_code(args: list[str]) -> None:
    rc, _, err = run_reconciler(*args)
    assert rc == EXIT_USAGE, err
    assert "Usage: " in err and "Try " in err


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
