"""The one drift tracking issue: opened, updated, closed when the drift is gone, reopened.

Found by our tag and our login (like the plan comment). The issue's meta line keeps when
the drift was first and last seen, how many runs in a row saw it, and when each drifting
field was first seen, so the body can say since when git and the account disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reconciler.github.client import GitHubClient
from reconciler.github.comments import run_link, short_sha
from reconciler.github.context import ActionsContext
from reconciler.github.markers import decode_meta, encode_meta, fit_body
from reconciler.markdown import escape_markdown, inline_code
from reconciler.secrets import redact

DRIFT_MARKER = "reconciler:drift"


@dataclass(frozen=True)
class DriftResult:
    action: str  # "opened" | "updated" | "reopened" | "closed" | "none"
    number: int | None
    url: str | None


def _now_text(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def find_drift_issue(
    gh: GitHubClient, repository: str, *, tag: str, labels: list[str], author: str
) -> dict[str, Any] | None:
    """Our tracking issue: an open one first, else the most recently updated closed one."""
    closed: dict[str, object] | None = None
    for issue in gh.list_issues(repository, labels=labels, state="all"):
        user = issue.get("user") or {}
        login = user.get("login") if isinstance(user, Mapping) else None
        if tag not in (issue.get("body") or ""):
            continue
        if not (isinstance(login, str) and login.lower() == author.lower()):
            continue
        if issue.get("state") == "open":
            return issue
        if closed is None:
            closed = issue
    return closed


def build_drift_body(
    report_md: str,
    *,
    ctx: ActionsContext,
    tag: str,
    title: str,
    meta: Mapping[str, object],
    key: bytes | None = None,
) -> str:
    header = (
        f"## ⚠️ {escape_markdown(title)}\n\n"
        "The live private offers differ from the offer files on the default branch. "
        "This issue is updated by every drift run and closed automatically when the drift is "
        "gone.\n\n"
        "| First seen | Last seen | Consecutive runs |\n|---|---|---|\n"
        f"| {escape_markdown(meta['first_seen'])} | {escape_markdown(meta['last_seen'])} "
        f"| {escape_markdown(meta['consecutive'])} |\n\n"
        f"Latest: commit {inline_code(short_sha(ctx.sha))} · {run_link(ctx)}\n\n"
        "### Latest report\n\n"
    )
    footer = f"{tag}\n{encode_meta(meta, key)}\n"
    note = f"> **Report truncated**; the full report is in the job summary of the {run_link(ctx)}."
    return fit_body(header + redact(report_md), footer, note)


def sync_drift_issue(
    gh: GitHubClient,
    ctx: ActionsContext,
    report_md: str,
    *,
    drift: bool,
    tag: str,
    labels: list[str],
    title: str,
    author: str,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    key: bytes | None = None,
    render: Callable[[Mapping[str, str]], str] | None = None,
    drifting: list[str] | None = None,
) -> DriftResult:
    """Open, update, close or reopen the issue.

    With *render* and *drifting* (the keys of the fields drifting now), each field's first
    sighting is kept in the issue's meta and the body is ``render(first_seen)``.
    """
    issue = find_drift_issue(gh, ctx.repository, tag=tag, labels=labels, author=author)
    stamp = _now_text(now())
    old_meta = decode_meta(issue.get("body") or "", key) if issue is not None else {}
    raw_seen = old_meta.get("seen")
    old_seen: dict[str, object] = raw_seen if isinstance(raw_seen, dict) else {}
    seen = {k: str(old_seen.get(k) or stamp) for k in (drifting or [])}
    if render is not None:
        report_md = render(seen)
    is_open = issue is not None and issue.get("state") == "open"
    if not drift:
        if issue is None or not is_open:
            return DriftResult("none", issue.get("number") if issue else None, None)
        number = int(issue["number"])
        meta = decode_meta(issue.get("body") or "", key)
        seen_text = ""
        if meta.get("first_seen"):
            seen_text = (
                f" It was seen from {escape_markdown(meta['first_seen'])} to "
                f"{escape_markdown(meta.get('last_seen', '?'))} "
                f"({escape_markdown(meta.get('consecutive', '?'))} consecutive runs)."
            )
        gh.create_issue_comment(
            ctx.repository,
            number,
            f"✅ Drift resolved: no drift in the {run_link(ctx)} at {stamp} "
            f"(commit {inline_code(short_sha(ctx.sha))}).{seen_text} Closing.",
        )
        closed = gh.update_issue(ctx.repository, number, state="closed", state_reason="completed")
        return DriftResult("closed", number, closed.get("html_url"))

    if is_open and issue is not None:
        consecutive = old_meta.get("consecutive")
        meta = {
            "first_seen": old_meta.get("first_seen") or stamp,
            "last_seen": stamp,
            "consecutive": (consecutive if isinstance(consecutive, int) else 0) + 1,
            "seen": seen,
        }
        number = int(issue["number"])
        body = build_drift_body(report_md, ctx=ctx, tag=tag, title=title, meta=meta, key=key)
        updated = gh.update_issue(ctx.repository, number, body=body)
        return DriftResult("updated", number, updated.get("html_url"))

    meta = {"first_seen": stamp, "last_seen": stamp, "consecutive": 1, "seen": seen}
    body = build_drift_body(report_md, ctx=ctx, tag=tag, title=title, meta=meta, key=key)
    if issue is not None:  # closed earlier: the drift is back
        number = int(issue["number"])
        reopened = gh.update_issue(ctx.repository, number, state="open", body=body)
        gh.create_issue_comment(
            ctx.repository, number, f"⚠️ Drift detected again in the {run_link(ctx)} at {stamp}."
        )
        return DriftResult("reopened", number, reopened.get("html_url"))
    created = gh.create_issue(ctx.repository, title=title, body=body, labels=labels)
    return DriftResult("opened", created.get("number"), created.get("html_url"))
