"""``reconciler github approved-plan``: at merge, the plan to apply is the approved one.

Run by the merge workflow's plan job (read-only identity, no environment) after
``reconciler plan --out fresh.json``: it reads the plan the merged pull request's reviewers
approved (the plan comment's meta line, :mod:`reconciler.github.approved`), compares it
offer by offer with the fresh plan, writes the plan the apply job applies (``--out``: only
the changes approved in exactly that form), and posts the comparison on the pull request
and in the job summary. Step outputs: ``checksum`` (of the plan to apply: the apply job
verifies it), ``changes`` (whether anything is to apply), ``unseen`` (how many changes were
left out).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconciler.cli.common import AppContext, epilog, pass_app
from reconciler.errors import GitHubError, PlanFileError, ReconcilerError
from reconciler.github.actions import write_outputs, write_step_summary
from reconciler.github.client import GitHubClient
from reconciler.github.comments import DEFAULT_AUTHOR, find_own_comment
from reconciler.github.context import ActionsContext
from reconciler.github.markers import marker_key, marker_tag
from reconciler.github.posting import warn
from reconciler.state.files import atomic_write

if TYPE_CHECKING:
    from reconciler.github.approved import Approved
    from reconciler.plan.plan import Plan

# The comparison and the plan model (pydantic, the offer models) are imported when this
# command runs: the other `reconciler github` commands, which post reports, skip them.

MERGE_MARKER = "<!-- reconciler:merge-plan -->"


def _read_plan(path: Path) -> Plan:
    from reconciler.plan.plan import Plan

    try:
        return Plan.from_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot read the plan: {exc.strerror}") from None
    except PlanFileError as exc:
        raise PlanFileError(f"{path}: {exc.message}") from None


def _approved(ctx: ActionsContext, sha: str, tag: str, author: str) -> Approved:
    """The approved plan, or why there is none (then nothing is applied: the safe side)."""
    from reconciler.github.approved import Approved, find_approved

    if not ctx.token or not ctx.repository:
        return Approved(None, missing="no GITHUB_TOKEN: the approved plan could not be read")
    try:
        with GitHubClient(ctx.api_url, ctx.token) as gh:
            return find_approved(gh, ctx.repository, sha, tag=tag, author=author, key=marker_key())
    except GitHubError as exc:
        return Approved(None, missing=f"the approved plan could not be read: {exc.message}")


def _post(ctx: ActionsContext, number: int, body: str, author: str) -> None:
    """One comparison comment per pull request (a re-run edits it)."""
    if not ctx.token or not ctx.repository:
        return
    text = f"{body}\n{MERGE_MARKER}\n"
    try:
        with GitHubClient(ctx.api_url, ctx.token) as gh:
            found = find_own_comment(gh, ctx.repository, number, MERGE_MARKER, author)
            if found is None:
                gh.create_issue_comment(ctx.repository, number, text)
            elif found.get("body") != text:
                gh.update_issue_comment(ctx.repository, int(found["id"]), text)
    except GitHubError as exc:  # the job summary has it all the same
        warn(f"the comparison was not posted on #{number}: {exc.message}")


@click.command(
    "approved-plan",
    epilog=epilog(
        [(0, "the plan to apply is written (it may be empty)"), (1, "error: no plan written")],
        [
            (
                "in the merge workflow's plan job",
                'reconciler plan --out fresh.json --baseline "$BEFORE" && '
                "reconciler github approved-plan --fresh fresh.json --out plan.json",
            )
        ],
    ),
)
@click.option(
    "--fresh",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The plan made now (reconciler plan --out).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the plan to apply here: the approved changes only.",
)
@click.option(
    "--markdown-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the comparison (markdown) here.",
)
@click.option("--sha", default=None, help="The merge commit (default: GITHUB_SHA).")
@click.option(
    "--apply-unseen",
    is_flag=True,
    help="Take every change of the fresh plan (a run by hand whose apply job the `offers` "
    "environment's reviewers approve after reading this comparison).",
)
@click.option(
    "--author",
    envvar="RECONCILER_GITHUB_AUTHOR",
    default=DEFAULT_AUTHOR,
    show_default=True,
    help="Login whose plan comment counts as the approved plan.",
)
@pass_app
def approved_plan(
    app: AppContext,
    fresh: Path,
    out: Path,
    markdown_out: Path | None,
    sha: str | None,
    apply_unseen: bool,
    author: str,
) -> int:
    """Compare the fresh plan with the approved one; write the plan the apply job applies."""
    from reconciler.github.approved import Approved, compare, render_comparison

    plan = _read_plan(fresh)
    ctx = ActionsContext.from_env()
    commit = sha or ctx.sha
    if apply_unseen:
        approved = Approved(None, missing="run by hand with apply_unseen")
    else:
        if not commit:
            raise ReconcilerError("no merge commit: pass --sha or set GITHUB_SHA")
        tag = marker_tag(app.settings.github.comment_marker, app.environment)
        approved = _approved(ctx, commit, tag, author)
    result = compare(plan, approved, include_unseen=apply_unseen)
    body = render_comparison(result, sha=commit or "")
    for path in (out, markdown_out):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, result.applied.to_json())
    if markdown_out is not None:
        atomic_write(markdown_out, body + "\n")
    click.echo(body)
    write_step_summary(body)
    write_outputs(
        {
            "checksum": result.applied.checksum,
            "changes": result.has_changes,
            "unseen": len(result.unseen),
        }
    )
    if approved.number is not None:
        _post(ctx, approved.number, body, author)
    return 0
