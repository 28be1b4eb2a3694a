"""`reconciler ARGS` in-process, as a user's shell runs it (exit code mapping included)."""

from __future__ import annotations

import click
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.cli.common import run as run_cli


def run_reconciler(*args: str) -> tuple[int, str, str]:
    """`reconciler ARGS` in the current folder: (exit code, stdout, stderr)."""
    holder: dict[str, int] = {}

    # The command's own exit-code mapping (run_cli) inside click's runner, which captures output.
    @click.command()
    def wrapper() -> None:
        holder["rc"] = run_cli(cli, list(args))

    result = CliRunner().invoke(wrapper, [])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return holder.get("rc", -1), result.stdout, result.stderr
