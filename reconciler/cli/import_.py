"""``reconciler import``: adopt the offers an account already has into offer files.

Thin: parse the selection, open a read-only client (``writes=False``), call
:func:`reconciler.importer.import_offers`, and report. stdout carries the per-file lines
(and with ``--dry-run`` one unified diff per file); warnings, the environment variables
the files need and the summary go to stderr. Exit codes:

    0  every selected offer is in a file (written, updated or unchanged) or skipped
    1  an error, or at least one offer could not be represented faithfully (not written)
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.common import ApiTarget, AppContext, api_options, echo_err, epilog, pass_app
from reconciler.cli.history import read_history
from reconciler.importer import ImportOptions, Selection, import_offers, parse_states
from reconciler.importer.core import ImportResult
from reconciler.secrets import redact


@click.command(
    "import",
    epilog=epilog(
        [(0, "files written (or shown, with --dry-run)"), (1, "error: no match, API failure")],
        [
            ("adopt every live offer of the account", "reconciler import --all --out offers/"),
            (
                "accept a live edit of one offer into its file (see the drift issue)",
                "reconciler import --id <offer id> --dry-run",
            ),
        ],
    ),
)
@click.option("--all", "take_all", is_flag=True, help="Import every offer of the account.")
@click.option("--id", "ids", multiple=True, metavar="ID", help="Import this offer (repeatable).")
@click.option("--name", "name_glob", metavar="GLOB", help="Import offers whose name matches.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Offer folder (default: the `offers` folder of the settings).",
)
@click.option(
    "--state",
    "states",
    metavar="STATES",
    default=None,
    help="Comma-separated states to import: draft,live,withdrawn,deleted or all "
    "[default: draft,live].",
)
@click.option("--dry-run", is_flag=True, help="Show a diff per file; write nothing.")
@api_options
@pass_app
def command(
    app: AppContext,
    take_all: bool,
    ids: tuple[str, ...],
    name_glob: str | None,
    out: Path | None,
    states: str | None,
    dry_run: bool,
    api: ApiTarget,
) -> int:
    """Write live offers into offer files (new files, or existing ones updated in place)."""
    settings = app.settings
    selection = Selection(take_all, ids, name_glob, parse_states(states))
    selection.check()
    options = ImportOptions(out=out or settings.offers_path(), selection=selection, dry_run=dry_run)
    with api.open(settings, writes=False) as client:
        options.history = read_history(api, settings, client.endpoint, api.role(None))
        result = import_offers(client, settings, options)
    report(result)
    return result.exit_code


def _where(path: Path | None) -> str:
    if path is None:
        return "-"
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def report(result: ImportResult) -> None:
    for warning in result.file_warnings:
        echo_err(f"warning: {warning}")
    for outcome in sorted(result.outcomes, key=lambda o: (_where(o.path), o.offer_name)):
        label = f"{outcome.offer_name!r} ({outcome.offer_id}, {outcome.state})"
        if outcome.action in ("unrepresentable", "skipped"):
            what = "not written" if outcome.action == "unrepresentable" else "skipped"
            for problem in outcome.problems:
                echo_err(f"warning: offer {label}: {problem}; {what}")
            continue
        if result.dry_run and outcome.diff:
            click.echo(redact(outcome.diff), nl=False)
        verb = {"created": "write", "updated": "update"}.get(outcome.action)
        shown = f"would {verb}" if result.dry_run and verb else outcome.action
        click.echo(redact(f"{shown:<12} {_where(outcome.path)}  {label}"))
        for warning in outcome.warnings:
            echo_err(f"warning: {_where(outcome.path)}: {warning}")
    for name in result.filtered:
        echo_err(f"note: {name} is left out by --state")
    needed: dict[str, list[str]] = {}
    for outcome in result.outcomes:
        for var in outcome.env_vars:
            needed.setdefault(var, []).append(_where(outcome.path))
    if needed:
        echo_err(
            "SAS signatures are not written to the files; set these environment variables "
            "(the sig= value of each URL) for validate, plan and apply:"
        )
        for var, paths in sorted(needed.items()):
            echo_err(f"  {var}  ({', '.join(sorted(set(paths)))})")
    suffix = " (dry run: nothing written)" if result.dry_run else ""
    echo_err(f"import: {result.summary()}{suffix}")
