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


def test_validate_and_github_start_without_loading_what_they_do_not_use(tmp_path: Path) -> None:
    body = tmp_path / "plan.md"
    body.write_text("## Offers plan\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from reconciler.cli.common import run\n"
        "from reconciler.cli import cli\n"
        "def loaded(*names):\n"
        "    return [m for m in names if sys.modules.get(m) is not None]\n"
        # posting a report needs neither the plan and offer models nor httpx's own CLI (rich)
        f"rc = run(cli, ['github', 'comment-plan', '--dry-run', '--body-file', {str(body)!r}])\n"
        "print(rc, loaded('reconciler.plan', 'reconciler.offers', 'httpx._main', 'rich'))\n"
        "rc = run(cli, ['validate', 'offers'])\n"
        "heavy = loaded('msal', 'uvicorn', 'reconciler.emulator', 'reconciler.api',"
        " 'reconciler.plan', 'reconciler.render')\n"
        "print(rc, heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    lines = out.strip().splitlines()
    assert "0 []" in lines[:-1], out  # github comment-plan, before its body on stdout
    assert lines[-1] == "0 []"  # validate, after its summary


def test_python_dash_m_runs_the_same_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "reconciler", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert "reconciler, version" in result.stdout
