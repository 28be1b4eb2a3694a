"""Posting a report as a side channel: what happens when it cannot be posted.

A failed comment must never fail a plan: when the report cannot be posted (a fork's
read-only token, no token, not a pull request, GitHub down or refusing), it goes to the step
summary with a warning and the command exits 0; with ``--strict`` the same conditions exit
1 (except forks, which can never be commented on and are not an error).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from reconciler.errors import GitHubError
from reconciler.github.actions import annotate_warning, in_actions, write_step_summary
from reconciler.github.client import GitHubClient
from reconciler.github.context import ActionsContext
from reconciler.secrets import redact


def read_body(path: Path, missing: str) -> str:
    """The markdown to post; a placeholder when the producing step wrote nothing (it failed)."""
    if not path.exists():
        return missing
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise GitHubError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise GitHubError(f"{path}: cannot read: {exc.strerror}") from exc


def drift_renderer(
    path: Path | None,
) -> tuple[Callable[[Mapping[str, str]], str] | None, list[str] | None]:
    """(render(first_seen) -> body, drifting field keys) from a drift JSON, if there is one."""
    if path is None or not path.exists():
        return None, None
    from reconciler.checks.drift import drift_keys, report_from_data
    from reconciler.render.drift import render_markdown_report

    try:
        report = report_from_data(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise GitHubError(f"{path}: cannot read the drift report: {exc}") from exc

    def render(first_seen: Mapping[str, str]) -> str:
        return render_markdown_report(report, first_seen=first_seen)

    return render, drift_keys(report)


def warn(message: str) -> None:
    """A warning on the run's page in Actions; on standard error elsewhere."""
    if in_actions():
        annotate_warning(None, None, message, title="reconciler github")
    else:
        sys.stderr.write(redact(f"warning: {message}") + "\n")


def degrade(reason: str, body: str, *, strict: bool, failure: bool = True) -> int:
    """Report *reason*, keep the report in the step summary, and pick the exit code."""
    warn(reason)
    write_step_summary(f"> **Note:** {reason}\n\n{body}")
    if strict and failure:
        raise GitHubError(reason)
    return 0


def post(
    what: str, ctx: ActionsContext, body: str, strict: bool, action: Callable[[GitHubClient], int]
) -> int:
    """Run *action* with a client for the repository, or degrade when it cannot be posted."""
    if not ctx.token:
        return degrade(f"no GITHUB_TOKEN: the {what} was not posted", body, strict=strict)
    if not ctx.repository:
        return degrade(f"no GITHUB_REPOSITORY: the {what} was not posted", body, strict=strict)
    try:
        with GitHubClient(ctx.api_url, ctx.token) as gh:
            return action(gh)
    except GitHubError as exc:
        return degrade(f"the {what} could not be posted: {exc}", body, strict=strict)
