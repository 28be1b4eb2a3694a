"""What every command shares: the app context, common options, and error reporting.

Commands return an ``int`` exit code; :func:`run` maps every :class:`ReconcilerError`
to its own exit code with a one-line message (plus one line per validation problem)
and never shows a traceback unless ``RECONCILER_DEBUG=1``.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import textwrap
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import click

from reconciler.errors import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    OfferFilesInvalid,
    ReconcilerError,
)
from reconciler.secrets import install_log_redaction, redact
from reconciler.settings import Settings, load_settings

F = TypeVar("F", bound=Callable[..., object])


@dataclass
class AppContext:
    config: Path | None
    environment: str | None
    verbose: int
    _settings: Settings | None = None
    no_color: bool = False

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(config=self.config, environment=self.environment)
        return self._settings


pass_app = click.make_pass_decorator(AppContext)


def use_colour(stream: object = None) -> bool:
    """Colour for *stream* (stdout): never with --no-color or NO_COLOR, always with
    FORCE_COLOR (CI logs that render ANSI), else only on a terminal (https://no-color.org)."""
    ctx = click.get_current_context(silent=True)
    app = ctx.find_object(AppContext) if ctx is not None else None
    if (app is not None and app.no_color) or os.environ.get("NO_COLOR"):
        return False
    force = os.environ.get("FORCE_COLOR", "")
    if force and force.lower() not in ("0", "false", "no"):
        return True
    target = stream if stream is not None else sys.stdout
    return bool(getattr(target, "isatty", lambda: False)())


HELP_WIDTH = 78  # click lays --help out within 80 columns; the epilog is written as laid out
LOG_WIDTH = 100  # no terminal (a CI log, a pipe): lines a log viewer shows unwrapped


def text_width(stream: Any = None) -> int:
    """Columns for text output: ``COLUMNS`` when set (shells and CI set it), else the
    terminal's own width, else :data:`LOG_WIDTH`."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    target = stream if stream is not None else sys.stdout
    try:
        if target.isatty():
            return os.get_terminal_size(target.fileno()).columns
    except (AttributeError, OSError, ValueError):
        pass
    return LOG_WIDTH


def epilog(exit_codes: list[tuple[int, str]], examples: list[tuple[str, str]]) -> str:
    """The end of a command's --help: its exit codes and examples, laid out as written."""
    lines = ["\b", "Exit codes:"]
    codes = [
        *exit_codes,
        (EXIT_USAGE, "usage error: an unknown option or a bad value (never 0 or 2)"),
    ]
    for code, meaning in codes:
        head = f"  {str(code).ljust(2)} "  # codes 0-9 and 64 in one column
        lines += textwrap.wrap(
            meaning, HELP_WIDTH, initial_indent=head, subsequent_indent=" " * len(head)
        )
    lines += ["", "\b", "Examples:"]
    for comment, example in examples:
        lines += textwrap.wrap(comment, HELP_WIDTH, initial_indent="  # ", subsequent_indent="  # ")
        # A long command goes on with a shell continuation, so it still pastes as one.
        shell = textwrap.wrap(
            example,
            HELP_WIDTH - 2,
            initial_indent="  $ ",
            subsequent_indent="      ",
            break_long_words=False,
            break_on_hyphens=False,
        )
        lines += [line + " \\" for line in shell[:-1]] + shell[-1:]
    return "\n".join(lines)


def echo_err(message: str) -> None:
    click.echo(redact(message), err=True)


JOBS_GO_ON = (
    "interrupted: the jobs already submitted go on running on the service, Ctrl-C does not "
    "stop them; `reconciler jobs resume` follows them to their outcome without sending "
    "anything twice (`reconciler jobs cancel` stops them)"
)


@contextmanager
def jobs_go_on_when_interrupted() -> Iterator[None]:
    """Ctrl-C while jobs run: say that they run on and what follows them, then exit 130.

    Without it the user reads click's bare "Aborted!" and may believe nothing happened.
    """
    try:
        yield
    except KeyboardInterrupt:
        echo_err("\n" + JOBS_GO_ON)
        raise click.exceptions.Exit(EXIT_INTERRUPTED) from None


def report_error(exc: ReconcilerError) -> int:
    if isinstance(exc, OfferFilesInvalid):
        from reconciler.cli.ci_report import annotate_problems

        for problem in exc.problems:
            echo_err(str(problem))
        annotate_problems(exc.problems, machine_stdout=True)
    echo_err(f"error: {exc}")
    return exc.exit_code


@dataclass(frozen=True)
class ApiTarget:
    """Which Product Ingestion API a command talks to, from the shared API options."""

    endpoint: str | None = None
    emulator: bool = False
    emulator_data: Path | None = None
    account: str | None = None
    insecure_loopback: bool = False

    def open(self, settings: Settings, *, writes: bool = False) -> Any:
        """A context manager yielding the client (read-only unless *writes*)."""
        from reconciler.api.connect import open_client

        return open_client(
            settings,
            endpoint=self.endpoint,
            emulator=self.emulator,
            emulator_data=self.emulator_data,
            account=self.account,
            writes=writes,
            insecure_loopback=self.insecure_loopback,
        )

    def role(self, explicit: str | None) -> str:
        """The role to plan as: explicit, else partner for the emulator's partner account."""
        if explicit:
            return explicit
        return "partner" if self.account == "partner" else "publisher"

    def journal_target(self, settings: Settings, endpoint: str) -> str:
        """What apply journals are keyed by; the embedded emulator by its data folder,
        because its port changes on every start."""
        from reconciler.api.connect import DEFAULT_EMULATOR_DATA
        from reconciler.apply.session import target_for

        if not self.emulator:
            return target_for(endpoint)
        return target_for(
            endpoint, emulator_data=self.emulator_data or settings.root / DEFAULT_EMULATOR_DATA
        )


def api_options(func: F) -> F:
    """--endpoint / --emulator / --emulator-data / --account / --insecure-loopback, passed on
    as ``api: ApiTarget``."""

    @functools.wraps(func)
    def wrapper(
        *args: object,
        endpoint: str | None,
        emulator: bool,
        emulator_data: Path | None,
        account: str | None,
        insecure_loopback: bool,
        **kwargs: object,
    ) -> object:
        api = ApiTarget(endpoint, emulator, emulator_data, account, insecure_loopback)
        return func(*args, api=api, **kwargs)

    decorated: Any = wrapper
    decorated = click.option(
        "--insecure-loopback",
        is_flag=True,
        envvar="RECONCILER_INSECURE_LOOPBACK",
        help="Allow a loopback --endpoint (an emulator started apart); "
        "other hosts than the real API's are always refused.",
    )(decorated)
    decorated = click.option(
        "--account",
        envvar="RECONCILER_ACCOUNT",
        default=None,
        type=click.Choice(["publisher", "partner"]),
        help="Emulator demo account to act as: publisher (default) or partner.",
    )(decorated)
    decorated = click.option(
        "--emulator-data",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="RECONCILER_EMULATOR_DATA",
        default=None,
        help="Where the embedded emulator keeps its state (default .reconciler/emulator).",
    )(decorated)
    decorated = click.option(
        "--emulator",
        is_flag=True,
        envvar="RECONCILER_EMULATOR",
        help="Start the embedded Product Ingestion API emulator and talk to it.",
    )(decorated)
    decorated = click.option(
        "--endpoint",
        envvar="RECONCILER_ENDPOINT",
        default=None,
        help="Product Ingestion API base URL (default: the real API).",
    )(decorated)
    return cast(F, decorated)


role_option = click.option(
    "--role",
    type=click.Choice(["publisher", "partner"]),
    envvar="RECONCILER_ROLE",
    default=None,
    help="Whose offers: publisher (customer, CSP, originator files) or partner "
    "(selling-partner files). Default: partner with --account partner, else publisher.",
)


def setup_logging(verbose: int) -> None:
    level = logging.WARNING
    if verbose == 1:
        level = logging.INFO
    elif verbose >= 2:
        level = logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    install_log_redaction()


def run(group: click.Group, args: list[str] | None = None) -> int:
    """Invoke *group* and turn every outcome into an exit code.

    In GitHub Actions every byte printed goes through the workflow-command guard, so no
    file name or offer value can issue a command (annotations have their own writer).
    """
    if os.environ.get("GITHUB_ACTIONS", "").lower() == "true":
        from reconciler.github.actions import guard_streams

        with guard_streams():
            return _run(group, args)
    return _run(group, args)


def _run(group: click.Group, args: list[str] | None) -> int:
    try:
        result = group.main(args=args, standalone_mode=False)
    except click.exceptions.Abort:
        echo_err("aborted")
        return EXIT_INTERRUPTED
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except ReconcilerError as exc:
        return report_error(exc)
    except KeyboardInterrupt:
        echo_err("interrupted")
        return EXIT_INTERRUPTED
    except Exception as exc:  # the last line of defence: a bug, reported without a traceback
        if os.environ.get("RECONCILER_DEBUG"):
            traceback.print_exc()
        echo_err(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug in the reconciler; run again with RECONCILER_DEBUG=1 for details."
        )
        return EXIT_ERROR
    return result if isinstance(result, int) else 0
