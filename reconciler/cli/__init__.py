"""The ``reconciler`` command line: a click group with one module per command."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from reconciler import __version__
from reconciler.cli.common import AppContext, run, setup_logging

# (module, exported click command) for every command; one module per command keeps the CLI thin.
COMMAND_MODULES = [
    "validate",
    "schema",
    "emulator",
    "plan",
    "apply",
    "jobs",
    "drift",
    "import_",
    "github",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="reconciler")
@click.option(
    "--config",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Settings file (default: nearest reconciler.toml or pyproject.toml [tool.reconciler]).",
)
@click.option(
    "--environment",
    "-e",
    envvar="RECONCILER_ENVIRONMENT",
    default=None,
    help="Apply the [environments.NAME] overlay of the settings.",
)
@click.option("-v", "--verbose", count=True, help="More logging on stderr (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, environment: str | None, verbose: int) -> None:
    """GitOps for Microsoft commercial marketplace private offers."""
    setup_logging(verbose)
    ctx.obj = AppContext(config=config, environment=environment, verbose=verbose)


for _name in COMMAND_MODULES:
    _module = importlib.import_module(f"reconciler.cli.{_name}")
    cli.add_command(_module.command)


def main() -> None:
    sys.exit(run(cli))
