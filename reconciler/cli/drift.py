"""``reconciler drift``: plan against the files and say what drifted, and which way.

Exit 2 when an offer changed outside git or git is ahead of live, 0 otherwise, 1 on error.
The baseline defaults to ``HEAD``, so a field edited in the account is told apart from a
file edited but not applied yet.
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.checks import drift as drift_mod
from reconciler.cli.ci_report import report_drift
from reconciler.cli.common import ApiTarget, AppContext, api_options, epilog, pass_app, role_option
from reconciler.cli.history import read_history
from reconciler.cli.plan import build_plan, write_file
from reconciler.errors import EXIT_CHANGES, EXIT_OK
from reconciler.plan.baseline import git_sha
from reconciler.plan.pipeline import PlanInputs
from reconciler.render import drift as drift_text
from reconciler.render.insights import PlanInsights
from reconciler.render.registry import DRIFT_RENDERERS


@click.command(
    "drift",
    epilog=epilog(
        [
            (0, "no drift: the account matches the files"),
            (1, "error: invalid offer files, settings, credentials, API or network failure"),
            (2, "drift: an offer changed outside git, or git is ahead of the account"),
        ],
        [
            ("what changed outside git since the last commit", "reconciler drift --emulator"),
            (
                "on a schedule: a JSON report and the issue body",
                "reconciler drift --out drift.json --markdown-out drift.md",
            ),
        ],
    ),
)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--baseline",
    metavar="REF",
    default=None,
    help="Git ref the files are compared with (default HEAD).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(DRIFT_RENDERERS.formats),
    default="text",
    show_default=True,
    help="What stdout gets: text for people, markdown for an issue, json for tools.",
)
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
@role_option
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
    api: ApiTarget,
) -> int:
    """Report offers changed outside git, pending from git, unmanaged, or in sync.

    For each drifting field the value in git and the live value are shown side by side,
    with the two ways out: import the live value, or apply git again.
    """
    if baseline is None and git_sha(Path.cwd()) is not None:
        baseline = "HEAD"
    # Drift reports; the safety guards are for apply, so they never hide drift here.
    inputs = PlanInputs(paths, api.role(role), baseline, force=True)
    extra = PlanInsights(app.settings, with_watch=True)
    plan = build_plan(app.settings, inputs, api, extra)
    # What the last applies did: an approved change they did not make is not drift.
    history = read_history(api, app.settings, plan.meta.endpoint, plan.meta.role)
    report = drift_mod.classify(plan, history)
    report.watch = extra.watch_report
    if out is not None:
        write_file(out, drift_text.render_json(report))
    if markdown_out is not None:
        write_file(markdown_out, drift_text.render_markdown_report(report))
    click.echo(DRIFT_RENDERERS.render(fmt, report), nl=False)
    code = EXIT_CHANGES if report.has_drift else EXIT_OK
    report_drift(report, code)
    return code
