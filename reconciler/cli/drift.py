"""``reconciler drift``: plan against the files and say what drifted, and which way.

Exit 2 when an offer changed outside git or git is ahead of live, 0 otherwise, 1 on error.
The baseline defaults to ``HEAD``, so a field edited in the account is told apart from a
file edited but not applied yet.
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli.ci_report import report_drift
from reconciler.cli.common import AppContext, api_options, pass_app
from reconciler.cli.plan import FORMATS, PlanRequest, build_plan, write_file
from reconciler.errors import EXIT_CHANGES, EXIT_OK
from reconciler.plan import drift as drift_mod
from reconciler.plan.baseline import git_sha


@click.command("drift")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--baseline",
    metavar="REF",
    default=None,
    help="Git ref the files are compared with (default HEAD).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the drift report (JSON) here.",
)
@click.option(
    "--markdown-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the markdown report here.",
)
@click.option(
    "--role",
    type=click.Choice(["publisher", "partner"]),
    envvar="RECONCILER_ROLE",
    default=None,
    help="Whose offers to check (default: partner with --account partner, else publisher).",
)
@api_options
@pass_app
def command(
    app: AppContext,
    paths: tuple[Path, ...],
    baseline: str | None,
    fmt: str,
    out: Path | None,
    markdown_out: Path | None,
    role: str | None,
    endpoint: str | None,
    emulator: bool,
    emulator_data: Path | None,
    account: str | None,
) -> int:
    """Report offers changed outside git, pending from git, unmanaged, or in sync."""
    if baseline is None and git_sha(Path.cwd()) is not None:
        baseline = "HEAD"
    req = PlanRequest(
        paths, baseline, role, False, True, endpoint, emulator, emulator_data, account
    )
    report = drift_mod.classify(build_plan(app.settings, req))
    if out is not None:
        write_file(out, drift_mod.render_json(report))
    if markdown_out is not None:
        write_file(markdown_out, drift_mod.render_markdown_report(report))
    if fmt == "json":
        click.echo(drift_mod.render_json(report), nl=False)
    elif fmt == "markdown":
        click.echo(drift_mod.render_markdown_report(report), nl=False)
    else:
        click.echo(drift_mod.render_text(report), nl=False)
    code = EXIT_CHANGES if report.has_drift else EXIT_OK
    report_drift(report, code)
    return code
