"""``reconciler validate``: check offer files without talking to the API.

Every problem of every file is printed (``file:line:col: field: message [rule]``), errors
and warnings alike; the exit code is 1 when there is at least one error, 0 otherwise.
``--format json`` prints ``{"files", "offers", "problems"}`` for tools.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from reconciler.checks import price_guard
from reconciler.cli.ci_report import annotate_problems
from reconciler.cli.common import AppContext, epilog, pass_app
from reconciler.errors import EXIT_ERROR, EXIT_OK, OfferFilesInvalid, Problem
from reconciler.offers.loader import count_problems, discover_offer_files, load_offer_files
from reconciler.secrets import redact


@click.command(
    "validate",
    epilog=epilog(
        [(0, "every file is valid (warnings allowed)"), (1, "at least one error")],
        [
            ("check the offers folder of the settings", "reconciler validate"),
            ("one file, machine-readable", "reconciler validate offers/deal.yaml --format json"),
        ],
    ),
)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Output for people or for tools.",
)
@click.option(
    "--strict/--no-strict",
    default=None,
    help="Make the Partner Center UI date rules and the price warnings errors "
    "(default: the `strict` and `plan.strict-prices` settings, in that order).",
)
@pass_app
def command(
    app: AppContext, paths: tuple[Path, ...], output_format: str, strict: bool | None
) -> int:
    """Validate offer files offline (default: the `offers` folder of the settings).

    Problems and the summary go to stdout, one `file:line:col: field: message` per problem.
    """
    settings = app.settings
    targets = list(paths) or [settings.offers_path()]
    problems: list[Problem] = []
    try:
        loaded = load_offer_files(targets, settings, strict=strict, warnings=problems)
        offers = len(loaded)
        # The price guard's rules that need no live data (threshold, slips); plan adds list.
        problems += price_guard.file_problems(loaded, settings, strict=bool(strict))
    except OfferFilesInvalid as exc:
        problems = exc.problems
        broken = {p.file for p in problems if p.severity == "error"}
        offers = len(discover_offer_files(targets)) - len(broken)
    files = len(discover_offer_files(targets))
    errors, warnings = count_problems(problems)
    annotate_problems(problems, machine_stdout=output_format == "json")
    if output_format == "json":
        document = {
            "files": files,
            "offers": max(offers, 0),
            "problems": [p.to_dict() for p in problems],
        }
        click.echo(redact(json.dumps(document, indent=2)))
    else:
        for problem in problems:
            tag = problem.rule or "error"
            if problem.severity != "error":
                tag += ", warning"
            click.echo(redact(f"{problem} [{tag}]"))
        summary = f"{files} file(s), {max(offers, 0)} valid offer(s)"
        if errors or warnings:
            summary += f": {errors} error(s), {warnings} warning(s)"
        click.echo(summary)
    click.get_current_context().exit(EXIT_ERROR if errors else EXIT_OK)
    return EXIT_OK
