"""Reporting an apply to GitHub: the outcome comment on the merged pull request, and a short
"Applied" section below the approved plan in the sticky plan comment, linking to it.

The plan comment keeps the plan that was approved (:mod:`reconciler.github.comments`); only
the section between its ``reconciler:applied`` markers is replaced on a later apply. Bodies
go through :func:`reconciler.secrets.redact` and stay under GitHub's size limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from reconciler.errors import (
    EXIT_BLOCKED,
    EXIT_ERROR,
    EXIT_JOBS_FAILED,
    EXIT_JOBS_RUNNING,
    EXIT_OK,
    EXIT_PARTLY,
    EXIT_STALE,
)
from reconciler.github.client import GitHubClient
from reconciler.github.comments import find_own_comment, run_link, short_sha
from reconciler.github.context import ActionsContext
from reconciler.github.markers import fit_body, marker_tag
from reconciler.markdown import inline_code
from reconciler.secrets import redact

APPLY_MARKER = "reconciler:apply"
_APPLIED = re.compile(r"\n*<!-- reconciler:applied -->.*?<!-- reconciler:applied-end -->\n*", re.S)

OUTCOMES = {
    EXIT_OK: "✅ Applied",
    EXIT_ERROR: "❌ Apply failed with an error",
    EXIT_BLOCKED: "⛔ Blocked by a safety guard; nothing was sent",
    EXIT_STALE: "⚠️ Stale plan; some changes were not sent (re-plan needed)",
    EXIT_JOBS_FAILED: "❌ Applied with failures; some jobs failed",
    EXIT_JOBS_RUNNING: "⏳ Submitted; jobs were still running at the timeout",
    EXIT_PARTLY: "🟠 Partly applied; the offers listed as blocked or waiting were left alone",
}


def outcome_text(exit_code: int) -> str:
    return OUTCOMES.get(exit_code, f"❓ Apply ended with exit code {exit_code}")


def pick_pull_request(pulls: list[dict[str, Any]], sha: str) -> dict[str, Any] | None:
    """The pull request that *sha* merged: its merge commit first, then any merged one."""
    for pr in pulls:
        if pr.get("merge_commit_sha") == sha:
            return pr
    for pr in pulls:
        if pr.get("merged_at"):
            return pr
    return pulls[0] if pulls else None


@dataclass(frozen=True)
class ApplyReport:
    number: int | None
    outcome_url: str | None
    sticky: str  # "updated" | "unchanged" | "missing" | "none"


def build_apply_body(apply_md: str, *, ctx: ActionsContext, sha: str, exit_code: int) -> str:
    """The outcome comment: a heading with the outcome, the report, our apply tag."""
    header = (
        f"## Offers apply: {outcome_text(exit_code)}\n\n"
        f"Merge commit {inline_code(short_sha(sha))} · {run_link(ctx)}\n\n"
    )
    footer = f"{marker_tag(APPLY_MARKER)}\n"
    note = f"> **Report truncated**; the full report is in the job summary of the {run_link(ctx)}."
    return fit_body(header + redact(apply_md), footer, note)


def applied_section(sha: str, exit_code: int, ctx: ActionsContext, outcome_url: str | None) -> str:
    """The short section added below the approved plan once it is applied."""
    link = f" · [apply report]({outcome_url})" if outcome_url else ""
    return (
        "<!-- reconciler:applied -->\n"
        f"### Applied after merge: {outcome_text(exit_code)}\n\n"
        f"From merge commit {inline_code(short_sha(sha))} · {run_link(ctx)}{link}. "
        "The plan above is the one that was approved.\n"
        "<!-- reconciler:applied-end -->\n"
    )


def with_applied_section(body: str, section: str, tag: str) -> str:
    """*body* (our plan comment) with *section* just above its tag; the plan stays as it was."""
    body = _APPLIED.sub("\n\n", body)
    at = body.rfind(tag)
    if at < 0:
        return body.rstrip("\n") + "\n\n" + section
    return body[:at].rstrip("\n") + "\n\n" + section + "\n" + body[at:]


def report_apply(
    gh: GitHubClient,
    ctx: ActionsContext,
    apply_md: str,
    *,
    sha: str,
    exit_code: int,
    tag: str,
    author: str,
) -> ApplyReport:
    pr = pick_pull_request(gh.pulls_for_commit(ctx.repository, sha), sha)
    if pr is None or not isinstance(pr.get("number"), int):
        return ApplyReport(None, None, "none")
    number = int(pr["number"])
    posted = gh.create_issue_comment(
        ctx.repository, number, build_apply_body(apply_md, ctx=ctx, sha=sha, exit_code=exit_code)
    )
    outcome_url = posted.get("html_url")
    sticky = find_own_comment(gh, ctx.repository, number, tag, author)
    if sticky is None:
        return ApplyReport(number, outcome_url, "missing")
    old = sticky.get("body") or ""
    url = outcome_url if isinstance(outcome_url, str) else None
    section = applied_section(sha, exit_code, ctx, url)
    body = with_applied_section(old, section, tag)
    if len(body) > 65_000:  # no room below the plan: the outcome comment says it all
        return ApplyReport(number, outcome_url, "unchanged")
    if old == body:
        return ApplyReport(number, outcome_url, "unchanged")
    gh.update_issue_comment(ctx.repository, int(sticky["id"]), body)
    return ApplyReport(number, outcome_url, "updated")
