"""The ``reconciler`` command line: a click group with one module per command."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from reconciler import __version__
from reconciler.cli.common import AppContext, run, setup_logging
from reconciler.errors import EXIT_USAGE

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
    "lock": "lock",
    "drift": "drift",
    "doctor": "doctor",
    "import": "import_",
    "report": "report",
    "github": "github",
}


class UsageError(click.UsageError):
    """click's usage error, exiting EXIT_USAGE: click's own 2 means "changes found" to
    `plan --detailed-exitcode` and `drift`, and a workflow would read a typo as success."""

    exit_code = EXIT_USAGE


@contextmanager
def usage_exit_code() -> Iterator[None]:
    try:
        yield
    except UsageError:
        raise
    except click.UsageError as exc:
        # format_message() keeps what the subclass adds (the option's name, its choices).
        raise UsageError(exc.format_message(), exc.ctx) from None


class LazyGroup(click.Group):
    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: object,
    ) -> click.Context:
        with usage_exit_code():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> object:
        # Subcommands parse their options here, so their usage errors pass through too.
        with usage_exit_code():
            return super().invoke(ctx)

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
    epilog="\b\nExamples:\n  $ reconciler validate\n  $ reconciler plan --emulator\n"
    "  $ reconciler apply --emulator\n\nRun `reconciler COMMAND --help` for a command's exit "
    "codes and examples.",
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
@click.option(
    "--no-color",
    "--no-colour",
    "no_color",
    is_flag=True,
    help="No colours (also NO_COLOR=1; FORCE_COLOR=1 forces them without a terminal).",
)
@click.pass_context
def cli(
    ctx: click.Context, config: Path | None, environment: str | None, verbose: int, no_color: bool
) -> None:
    """GitOps for Microsoft commercial marketplace private offers.

    Offer files (YAML under offers/) are the truth: `plan` shows what would change against
    the live account, `apply` makes it so, `drift` reports what changed outside git.
    Results go to stdout, diagnostics and progress to stderr.
    """
    setup_logging(verbose)
    ctx.obj = AppContext(config=config, environment=environment, verbose=verbose)
    ctx.obj.no_color = no_color


def main() -> None:
    sys.exit(run(cli))
