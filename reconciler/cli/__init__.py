"""The ``reconciler`` command line: a click group with one module per command."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import click

from reconciler import __version__
from reconciler.cli.common import AppContext, run, setup_logging

# Command name -> module exporting `command`. Modules are imported only when their command
# runs (or --help lists them), so `reconciler validate` does not pay for the emulator's,
# the API client's or msal's imports.
COMMANDS = {
    "validate": "validate",
    "schema": "schema",
    "emulator": "emulator",
    "plan": "plan",
    "apply": "apply",
    "jobs": "jobs",
    "drift": "drift",
    "import": "import_",
    "github": "github",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        if module is None:
            return None
        command: click.Command = importlib.import_module(f"reconciler.cli.{module}").command
        return command


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
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


def main() -> None:
    sys.exit(run(cli))
