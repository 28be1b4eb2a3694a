"""``reconciler github``: post the reports that plan/apply/drift wrote, from a workflow.

The plan, apply and drift commands write markdown (``--markdown-out``) and JSON files; these
subcommands post them: ``comment-plan`` (sticky pull request comment), ``report-apply``
(outcome on the merged pull request) and ``drift-issue`` (one tracking issue). Everything
they need comes from the runner's ``GITHUB_*`` variables and event file.

Reporting is a side channel (``reconciler/github/posting.py``): a report that cannot be
posted goes to the step summary with a warning and exit 0, or exit 1 with ``--strict``.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path

import click

from reconciler.cli.common import AppContext, epilog, pass_app
from reconciler.errors import GitHubError
from reconciler.github.actions import (
    in_actions,
    write_outputs,
    write_step_summary,
)
from reconciler.github.apply_comment import build_apply_body, report_apply
from reconciler.github.client import GitHubClient
from reconciler.github.comments import (
    DEFAULT_ARTIFACT,
    DEFAULT_AUTHOR,
    PlanSummary,
    build_plan_body,
    plan_summary,
    sync_plan_labels,
    upsert_plan_comment,
)
from reconciler.github.context import ActionsContext
from reconciler.github.drift_issue import DRIFT_MARKER, build_drift_body, sync_drift_issue
from reconciler.github.markers import marker_key, marker_tag
from reconciler.github.plan_outputs import NotThisRunsPlan, read_plan_outputs
from reconciler.github.posting import degrade, drift_renderer, post, read_body, warn
from reconciler.markdown import escape_markdown

log = logging.getLogger(__name__)

_body_option = click.option(
    "--body-file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Markdown to post (written by plan/apply/drift --markdown-out).",
)
_strict_option = click.option(
    "--strict",
    is_flag=True,
    help="Exit 1 when the report cannot be posted (default: warn, exit 0).",
)
_dry_run_option = click.option(
    "--dry-run",
    is_flag=True,
    help="Print the exact body that would be posted (stdout) and post nothing; no token needed.",
)
_EXITS = [
    (0, "posted (or printed with --dry-run), or not postable (fork, no token): step summary"),
    (1, "error; or not posted, with --strict"),
]
_author_option = click.option(
    "--author",
    envvar="RECONCILER_GITHUB_AUTHOR",
    default=DEFAULT_AUTHOR,
    show_default=True,
    help="Login that posts with the token; only its comments are updated.",
)


@click.group("github")
def command() -> None:
    """Post plan, apply and drift reports to GitHub (from a GitHub Actions workflow)."""


def _this_runs_plan(
    app: AppContext, body_file: Path, summary_json: Path | None
) -> tuple[str, PlanSummary | None]:
    """The body and summary of this run's plan; a "plan failed" body for anything else."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    temp = os.environ.get("RUNNER_TEMP") if in_actions() else None
    try:
        outputs = read_plan_outputs(
            body_file,
            summary_json,
            checkout=Path(workspace) if workspace else app.settings.root,
            temp=Path(temp) if temp else None,
        )
    except NotThisRunsPlan as exc:
        log.warning("no plan of this run to post: %s", exc.message)
        return (
            "## ❌ Offers plan failed\n\nNo plan of this run was found "
            f"({escape_markdown(exc.message)}). See the workflow run for the errors.\n",
            None,
        )
    summary = plan_summary(outputs.plan) if outputs.plan is not None else None
    return outputs.body, summary


@command.command(
    "comment-plan",
    epilog=epilog(
        _EXITS,
        [
            (
                "in the pull request workflow, after plan",
                "reconciler github comment-plan --body-file plan.md --summary-json plan.json",
            ),
            (
                "see the exact comment locally",
                "reconciler github comment-plan --body-file plan.md --summary-json plan.json "
                "--dry-run",
            ),
        ],
    ),
)
@_body_option
@click.option(
    "--summary-json",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The saved plan (plan --out) or its summary: says what happens on merge "
    "(ignored when the file is missing: the plan failed).",
)
@click.option(
    "--artifact",
    envvar="RECONCILER_PLAN_ARTIFACT",
    default=DEFAULT_ARTIFACT,
    show_default=True,
    help="Name of the artifact holding plan.json and the full plan.md (the size-limit note "
    "links to it).",
)
@click.option(
    "--artifact-url",
    envvar="RECONCILER_PLAN_ARTIFACT_URL",
    default=None,
    help="Direct link to that artifact (actions/upload-artifact's artifact-url output); "
    "default: the run page.",
)
@_author_option
@_strict_option
@_dry_run_option
@pass_app
def comment_plan(
    app: AppContext,
    body_file: Path,
    summary_json: Path | None,
    artifact: str,
    artifact_url: str | None,
    author: str,
    strict: bool,
    dry_run: bool,
) -> int:
    """Create or update the one plan comment on the pull request."""
    ctx = ActionsContext.from_env()
    body, summary = _this_runs_plan(app, body_file, summary_json)
    tag = marker_tag(app.settings.github.comment_marker, app.environment)
    key = marker_key()
    if dry_run:
        text = build_plan_body(
            body,
            ctx=ctx,
            tag=tag,
            summary=summary,
            previous=None,
            key=key,
            artifact=artifact,
            artifact_url=artifact_url,
        )
        click.echo(text, nl=False)
        return 0
    if ctx.is_fork:
        return degrade(
            "pull request from a fork: its token is read-only, so the plan is shown here "
            "instead of in a comment",
            body,
            strict=strict,
            failure=False,
        )
    if ctx.pr_number is None:
        return degrade(
            f"not a pull request event ({ctx.event_name or 'no event'}): no plan comment",
            body,
            strict=strict,
        )
    prefix = app.settings.github.plan_label_prefix

    def act(gh: GitHubClient) -> int:
        result = upsert_plan_comment(
            gh,
            ctx,
            body,
            tag=tag,
            author=author,
            summary=summary,
            key=key,
            artifact=artifact,
            artifact_url=artifact_url,
        )
        click.echo(f"plan comment {result.action} on #{result.number}: {result.url or ''}".rstrip())
        write_outputs({"comment_action": result.action, "comment_url": result.url or ""})
        if summary is not None and prefix and result.number is not None:
            try:
                added, removed = sync_plan_labels(
                    gh, ctx.repository, result.number, summary, prefix
                )
            except GitHubError as exc:  # labels are a convenience: the comment is what counts
                log.warning("plan labels not updated: %s", exc)
            else:
                if added or removed:
                    click.echo(f"labels: +{','.join(added) or '-'} -{','.join(removed) or '-'}")
        return 0

    return post("plan comment", ctx, body, strict, act)


@command.command(
    "report-apply",
    epilog=epilog(
        _EXITS,
        [
            (
                "after apply on the default branch",
                'reconciler github report-apply --body-file apply.md --exit-code "$APPLY_EXIT"',
            ),
            (
                "see the exact comment locally",
                "reconciler github report-apply --body-file apply.md --sha HEAD --dry-run",
            ),
        ],
    ),
)
@_body_option
@click.option("--sha", default=None, help="The merge commit applied (default: GITHUB_SHA).")
@click.option(
    "--exit-code",
    "apply_exit",
    type=int,
    default=0,
    show_default=True,
    help="The exit code of `reconciler apply`: states the outcome.",
)
@_author_option
@_strict_option
@_dry_run_option
@pass_app
def report_apply_command(
    app: AppContext,
    body_file: Path,
    sha: str | None,
    apply_exit: int,
    author: str,
    strict: bool,
    dry_run: bool,
) -> int:
    """Post the apply outcome on the merged pull request, below-the-plan note included.

    The outcome is a comment of its own; the plan comment keeps the approved plan and gets
    a short "Applied" section under it that links to the outcome.
    """
    ctx = ActionsContext.from_env()
    body = read_body(body_file, "No apply report was written; see the workflow run.")
    commit = sha or ctx.sha
    if not commit:
        raise GitHubError("no commit to report on: pass --sha or set GITHUB_SHA")
    if dry_run:
        click.echo(build_apply_body(body, ctx=ctx, sha=commit, exit_code=apply_exit), nl=False)
        return 0
    tag = marker_tag(app.settings.github.comment_marker, app.environment)

    def act(gh: GitHubClient) -> int:
        report = report_apply(
            gh, ctx, body, sha=commit, exit_code=apply_exit, tag=tag, author=author
        )
        if report.number is None:
            warn(f"no pull request found for commit {commit[:12]}: the apply report was not posted")
            write_step_summary(body)
            return 0
        click.echo(
            f"apply outcome posted on #{report.number}: {report.outcome_url or ''}; "
            f"plan comment {report.sticky}"
        )
        write_outputs({"pull_request": report.number, "comment_url": report.outcome_url or ""})
        return 0

    return post("apply report", ctx, body, strict, act)


@command.command(
    "drift-issue",
    epilog=epilog(
        _EXITS,
        [
            (
                "after drift exited 2",
                "reconciler github drift-issue --body-file drift.md --report-json drift.json "
                "--drift",
            ),
            (
                "see the exact issue body locally",
                "reconciler github drift-issue --body-file drift.md --report-json drift.json "
                "--drift --dry-run",
            ),
        ],
    ),
)
@_body_option
@click.option(
    "--report-json",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The drift report (reconciler drift --out): the body is rendered from it with the "
    "date each drifting field was first seen (ignored when missing).",
)
@click.option(
    "--drift/--no-drift",
    required=True,
    help="Whether drift exists (reconciler drift exited 2): open/update, or close the issue.",
)
@_author_option
@_strict_option
@_dry_run_option
@pass_app
def drift_issue(
    app: AppContext,
    body_file: Path,
    report_json: Path | None,
    drift: bool,
    author: str,
    strict: bool,
    dry_run: bool,
) -> int:
    """Open, update, close or reopen the one drift tracking issue."""
    ctx = ActionsContext.from_env()
    body = read_body(body_file, "No drift report was written; see the workflow run.")
    settings = app.settings.github
    tag = marker_tag(DRIFT_MARKER, app.environment)
    title = settings.drift_issue_title + (f" ({app.environment})" if app.environment else "")
    labels = list(settings.drift_labels)
    key = marker_key()
    render, drifting = drift_renderer(report_json)
    if dry_run:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        meta = {"first_seen": stamp, "last_seen": stamp, "consecutive": 1}
        shown = render(dict.fromkeys(drifting or [], stamp)) if render else body
        text = build_drift_body(shown, ctx=ctx, tag=tag, title=title, meta=meta, key=key)
        click.echo(text, nl=False)
        return 0

    def act(gh: GitHubClient) -> int:
        result = sync_drift_issue(
            gh,
            ctx,
            body,
            drift=drift,
            tag=tag,
            labels=labels,
            title=title,
            author=author,
            key=key,
            render=render,
            drifting=drifting,
        )
        where = f" #{result.number}" if result.number else ""
        click.echo(f"drift issue{where}: {result.action}")
        write_outputs({"issue_action": result.action, "issue_number": result.number or ""})
        return 0

    return post("drift issue", ctx, body, strict, act)


# The merge workflow's comparison lives in a module of its own; it is one of these commands.
from reconciler.cli.github_merge import approved_plan  # noqa: E402

command.add_command(approved_plan)
