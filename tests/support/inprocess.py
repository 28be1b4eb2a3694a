"""`reconciler ARGS` in-process, as a user's shell runs it (exit code mapping included)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import click
import pytest
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


def run_reconciler_with(cwd: Path, env: Mapping[str, str], *args: str) -> tuple[int, str, str]:
    """`reconciler ARGS` in *cwd* with exactly the environment *env*, as a subprocess given
    ``cwd=`` and ``env=`` would see them, without an interpreter's start-up."""
    with pytest.MonkeyPatch.context() as patch:
        for key in os.environ.keys() - env.keys():
            patch.delenv(key)
        for key, value in env.items():
            patch.setenv(key, value)
        patch.chdir(cwd)
        return run_reconciler(*args)
