"""Reporting to GitHub: the sticky plan comment, the apply outcome and the drift issue.

**Sticky comment.** One plan comment per pull request (and environment), found by a hidden
marker (``<!-- reconciler:plan -->``, from ``settings.github.comment_marker``) *and* by its
author -- the token's identity, ``github-actions[bot]`` by default, because ``GET /user`` is
forbidden to ``GITHUB_TOKEN``. Requiring both means a user who pastes the marker into their
own comment cannot get it overwritten, and our comment is never mistaken for theirs. All
pages of comments are scanned. An identical body is not sent again.

**State in the body.** What later runs need (the commit the plan was made from, its summary
line, earlier runs; for drift: first/last seen and the consecutive-run count) travels in a
hidden ``<!-- reconciler:meta BASE64-JSON -->`` line of our own comment or issue. Base64
because JSON could contain ``-->`` and end the HTML comment early. No other storage needed.

**Size.** Bodies stay under GitHub's 65,536-character limit (counted in UTF-16 code units
to be safe with emoji): the plan markdown is cut at a line outside every code fence and
``<details>`` with an explicit "plan truncated" line pointing at the job summary.

**Secrets.** Bodies go through :func:`reconciler.secrets.redact` before being compared or
sent (the client redacts again on the way out).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reconciler.errors import (
    EXIT_BLOCKED,
    EXIT_ERROR,
    EXIT_JOBS_FAILED,
    EXIT_JOBS_RUNNING,
    EXIT_OK,
    EXIT_STALE,
    GitHubError,
)
from reconciler.github.client import GitHubClient
from reconciler.github.context import ActionsContext
from reconciler.markdown import escape_markdown, inline_code, truncate_markdown
from reconciler.secrets import redact

DEFAULT_AUTHOR = "github-actions[bot]"
COMMENT_LIMIT = 65_536
HISTORY_LIMIT = 10
APPLY_MARKER = "reconciler:apply"
DRIFT_MARKER = "reconciler:drift"
_META = re.compile(r"<!-- reconciler:meta ([A-Za-z0-9+/=]*) -->")
_ENV_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def marker_tag(marker: str, environment: str | None = None) -> str:
    """The hidden HTML comment that identifies our comment (per environment)."""
    inner = marker.strip()
    if inner.startswith("<!--") and inner.endswith("-->"):
        inner = inner[4:-3].strip()
    inner = inner.replace("--", "-").replace(">", "")
    if environment:
        inner += " env=" + _ENV_SAFE.sub("_", environment)
    return f"<!-- {inner} -->"


def encode_meta(meta: Mapping[str, Any]) -> str:
    raw = json.dumps(meta, sort_keys=True, separators=(",", ":")).encode("utf-8")
    return f"<!-- reconciler:meta {base64.b64encode(raw).decode('ascii')} -->"


def decode_meta(body: str) -> dict[str, Any]:
    match = _META.search(body or "")
    if not match:
        return {}
    try:
        data = json.loads(base64.b64decode(match.group(1), validate=True))
    except (binascii.Error, ValueError):
        return {}  # damaged by a manual edit: start afresh rather than fail the report
    return data if isinstance(data, dict) else {}


def _short(sha: str) -> str:
    return sha[:7] if sha else "unknown"


def _run_link(ctx: ActionsContext, text: str = "workflow run") -> str:
    return f"[{text}]({ctx.run_url})" if ctx.run_url else text


def fit_body(content: str, footer: str, note: str, *, limit: int = COMMENT_LIMIT) -> str:
    """``content`` + ``footer`` within *limit*, cutting ``content`` safely when needed."""
    room = limit - utf16_len(footer) - 2
    return truncate_markdown(content, room, note, measure=utf16_len).rstrip("\n") + "\n\n" + footer


# -- plan summary (from plan.json) -------------------------------------------------------


@dataclass(frozen=True)
class PlanSummary:
    counts: Mapping[str, int] = field(default_factory=dict)
    has_changes: bool | None = None
    is_blocked: bool | None = None
    checksum: str | None = None

    @property
    def line(self) -> str:
        parts = [
            f"{n} {key}"
            for key, n in self.counts.items()
            if isinstance(n, int) and n and key not in ("skipped",)
        ]
        return ", ".join(parts) if parts else "no changes"


def read_plan_summary(path: Path) -> PlanSummary:
    """The summary of a saved plan (``reconciler plan --out``) or a flat summary object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GitHubError(f"cannot read the plan summary {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise GitHubError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise GitHubError(f"{path}: expected a JSON object")
    raw_counts = data.get("summary")
    counts: dict[str, int] = {}
    if isinstance(raw_counts, dict):
        counts = {str(k): v for k, v in raw_counts.items() if isinstance(v, int)}
    has_changes = data.get("has_changes")
    is_blocked = data.get("is_blocked")
    checksum = data.get("checksum")
    return PlanSummary(
        counts=counts,
        has_changes=has_changes if isinstance(has_changes, bool) else None,
        is_blocked=is_blocked if isinstance(is_blocked, bool) else None,
        checksum=checksum if isinstance(checksum, str) else None,
    )


def on_merge_text(summary: PlanSummary | None, base_ref: str | None) -> str:
    target = inline_code(base_ref) if base_ref else "the default branch"
    if summary is None:
        return (
            f"**What happens on merge:** the offers workflow on {target} plans again against the "
            "live offers and applies the result."
        )
    if summary.is_blocked:
        return (
            f"**What happens on merge:** nothing is applied: the plan is **blocked** by a safety "
            f"guard (see above). Fix the files or use the named override before merging into "
            f"{target}."
        )
    if summary.has_changes is False:
        return f"**What happens on merge:** nothing to apply on {target}: no changes."
    return (
        f"**What happens on merge:** these changes ({summary.line}) are applied when this pull "
        f"request is merged into {target}, after re-planning against the live offers."
    )


# -- sticky plan comment ---------------------------------------------------------------


def find_own_comment(
    gh: GitHubClient, repository: str, number: int, tag: str, author: str
) -> dict[str, Any] | None:
    """Our comment on issue/PR *number*: carries *tag* and is authored by *author*."""
    for comment in gh.list_issue_comments(repository, number):
        user = comment.get("user") or {}
        login = user.get("login") if isinstance(user, Mapping) else None
        body = comment.get("body") or ""
        if tag in body and isinstance(login, str) and login.lower() == author.lower():
            return comment
    return None


@dataclass(frozen=True)
class CommentResult:
    action: str  # "created" | "updated" | "unchanged"
    comment_id: int | None
    url: str | None
    number: int


def _history_section(history: list[dict[str, Any]]) -> str:
    if not history:
        return ""
    rows = [
        f"- {inline_code(_short(str(item.get('sha', ''))))}: "
        f"{escape_markdown(item.get('line', ''))}"
        + (f" ([run]({item['run']}))" if str(item.get("run", "")).startswith("https://") else "")
        for item in history
    ]
    return "<details><summary>Previous runs</summary>\n\n" + "\n".join(rows) + "\n\n</details>\n"


def build_plan_body(
    plan_md: str,
    *,
    ctx: ActionsContext,
    tag: str,
    summary: PlanSummary | None,
    previous: str | None,
) -> str:
    old_meta = decode_meta(previous or "")
    history = [h for h in old_meta.get("history", []) if isinstance(h, dict)]
    sha = ctx.head_sha
    if old_meta.get("sha") and old_meta.get("sha") != sha:
        entry = {
            "sha": old_meta["sha"],
            "line": old_meta.get("line", ""),
            "run": old_meta.get("run"),
        }
        history = [entry, *history][:HISTORY_LIMIT]
    line = summary.line if summary else ""
    meta = {"sha": sha, "line": line, "run": ctx.run_url or "", "history": history}
    where = f"Commit {inline_code(_short(sha))} · {_run_link(ctx)}"
    if summary and summary.checksum:
        where += f" · plan checksum {inline_code(summary.checksum[:19])}"
    footer = (
        "---\n"
        + on_merge_text(summary, ctx.base_ref)
        + "\n\n"
        + f"<sub>{where}</sub>\n\n"
        + _history_section(history)
        + "\n"
        + tag
        + "\n"
        + encode_meta(meta)
        + "\n"
    )
    note = f"> **Plan truncated**; the full plan is in the job summary of the {_run_link(ctx)}."
    return fit_body(redact(plan_md), footer, note)


def upsert_plan_comment(
    gh: GitHubClient,
    ctx: ActionsContext,
    plan_md: str,
    *,
    tag: str,
    author: str,
    summary: PlanSummary | None = None,
) -> CommentResult:
    number = ctx.pr_number
    if number is None:
        raise GitHubError("the event is not a pull request: no pull request number to comment on")
    existing = find_own_comment(gh, ctx.repository, number, tag, author)
    body = build_plan_body(
        plan_md,
        ctx=ctx,
        tag=tag,
        summary=summary,
        previous=existing.get("body") if existing else None,
    )
    if existing is not None:
        comment_id = int(existing["id"])
        if (existing.get("body") or "") == body:
            return CommentResult("unchanged", comment_id, existing.get("html_url"), number)
        updated = gh.update_issue_comment(ctx.repository, comment_id, body)
        return CommentResult("updated", comment_id, updated.get("html_url"), number)
    created = gh.create_issue_comment(ctx.repository, number, body)
    return CommentResult("created", created.get("id"), created.get("html_url"), number)


# -- outcome labels ------------------------------------------------------------------------

DESTRUCTIVE_ACTIONS = ("withdraw", "delete", "republish", "recreate")


def plan_labels(summary: PlanSummary, prefix: str) -> set[str]:
    """The labels a plan earns, so reviewers and branch rules can react without reading it.

    ``<prefix>blocked`` (a guard or an impossible change), ``<prefix>destructive`` (an offer
    is withdrawn, deleted, republished or recreated), and one of ``<prefix>changes`` /
    ``<prefix>no-changes``.
    """
    labels = {f"{prefix}changes" if summary.has_changes else f"{prefix}no-changes"}
    if summary.is_blocked:
        labels.add(f"{prefix}blocked")
    if any(summary.counts.get(action, 0) for action in DESTRUCTIVE_ACTIONS):
        labels.add(f"{prefix}destructive")
    return labels


def managed_labels(prefix: str) -> set[str]:
    return {f"{prefix}{n}" for n in ("changes", "no-changes", "blocked", "destructive")}


def sync_plan_labels(
    gh: GitHubClient, repository: str, number: int, summary: PlanSummary, prefix: str
) -> tuple[list[str], list[str]]:
    """Add the labels the plan earns and remove the tool's other ones; (added, removed)."""
    wanted = plan_labels(summary, prefix)
    current = {
        str(label.get("name"))
        for label in gh.get_issue(repository, number).get("labels", [])
        if isinstance(label, dict)
    }
    added = sorted(wanted - current)
    removed = sorted((managed_labels(prefix) & current) - wanted)
    if added:
        gh.add_labels(repository, number, added)
    for label in removed:
        gh.remove_label(repository, number, label)
    return added, removed


# -- apply outcome ------------------------------------------------------------------------

OUTCOMES = {
    EXIT_OK: "✅ Applied",
    EXIT_ERROR: "❌ Apply failed with an error",
    EXIT_BLOCKED: "⛔ Blocked by a safety guard; nothing was sent",
    EXIT_STALE: "⚠️ Stale plan; some changes were not sent (re-plan needed)",
    EXIT_JOBS_FAILED: "❌ Applied with failures; some jobs failed",
    EXIT_JOBS_RUNNING: "⏳ Submitted; jobs were still running at the timeout",
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
    outcome = outcome_text(exit_code)
    header = (
        f"## Offers apply: {outcome}\n\n"
        f"Merge commit {inline_code(_short(sha))} · {_run_link(ctx)}\n\n"
    )
    footer = f"{marker_tag(APPLY_MARKER)}\n"
    note = f"> **Report truncated**; the full report is in the job summary of the {_run_link(ctx)}."
    posted = gh.create_issue_comment(
        ctx.repository, number, fit_body(header + redact(apply_md), footer, note)
    )
    outcome_url = posted.get("html_url")

    sticky = find_own_comment(gh, ctx.repository, number, tag, author)
    if sticky is None:
        return ApplyReport(number, outcome_url, "missing")
    meta = decode_meta(sticky.get("body") or "")
    meta["applied"] = {"sha": sha, "exit_code": exit_code, "run": ctx.run_url or ""}
    details = f" · [outcome]({outcome_url})" if isinstance(outcome_url, str) else ""
    reviewed = meta.get("line") or ""
    body = (
        f"## Offers plan: merged and applied\n\n"
        f"**{outcome}** from merge commit {inline_code(_short(sha))} · "
        f"{_run_link(ctx)}{details}\n\n"
        + (f"The reviewed plan: {escape_markdown(reviewed)}.\n\n" if reviewed else "")
        + "This pull request is merged; the plan that was shown here is no longer current.\n\n"
        + _history_section([h for h in meta.get("history", []) if isinstance(h, dict)])
        + f"\n{tag}\n{encode_meta(meta)}\n"
    )
    if (sticky.get("body") or "") == body:
        return ApplyReport(number, outcome_url, "unchanged")
    gh.update_issue_comment(ctx.repository, int(sticky["id"]), body)
    return ApplyReport(number, outcome_url, "updated")


# -- drift issue ---------------------------------------------------------------------------


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
    closed: dict[str, Any] | None = None
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
    report_md: str, *, ctx: ActionsContext, tag: str, title: str, meta: Mapping[str, Any]
) -> str:
    header = (
        f"## ⚠️ {escape_markdown(title)}\n\n"
        "The live private offers differ from the offer files on the default branch. "
        "This issue is updated by every drift run and closed automatically when the drift is "
        "gone.\n\n"
        "| First seen | Last seen | Consecutive runs |\n|---|---|---|\n"
        f"| {escape_markdown(meta['first_seen'])} | {escape_markdown(meta['last_seen'])} "
        f"| {escape_markdown(meta['consecutive'])} |\n\n"
        f"Latest: commit {inline_code(_short(ctx.sha))} · {_run_link(ctx)}\n\n"
        "### Latest report\n\n"
    )
    footer = f"{tag}\n{encode_meta(meta)}\n"
    note = f"> **Report truncated**; the full report is in the job summary of the {_run_link(ctx)}."
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
) -> DriftResult:
    issue = find_drift_issue(gh, ctx.repository, tag=tag, labels=labels, author=author)
    stamp = _now_text(now())
    is_open = issue is not None and issue.get("state") == "open"
    if not drift:
        if issue is None or not is_open:
            return DriftResult("none", issue.get("number") if issue else None, None)
        number = int(issue["number"])
        meta = decode_meta(issue.get("body") or "")
        seen = ""
        if meta.get("first_seen"):
            seen = (
                f" It was seen from {escape_markdown(meta['first_seen'])} to "
                f"{escape_markdown(meta.get('last_seen', '?'))} "
                f"({escape_markdown(meta.get('consecutive', '?'))} consecutive runs)."
            )
        gh.create_issue_comment(
            ctx.repository,
            number,
            f"✅ Drift resolved: no drift in the {_run_link(ctx)} at {stamp} "
            f"(commit {inline_code(_short(ctx.sha))}).{seen} Closing.",
        )
        closed = gh.update_issue(ctx.repository, number, state="closed", state_reason="completed")
        return DriftResult("closed", number, closed.get("html_url"))

    if is_open and issue is not None:
        old = decode_meta(issue.get("body") or "")
        consecutive = old.get("consecutive")
        meta = {
            "first_seen": old.get("first_seen") or stamp,
            "last_seen": stamp,
            "consecutive": (consecutive if isinstance(consecutive, int) else 0) + 1,
        }
        number = int(issue["number"])
        body = build_drift_body(report_md, ctx=ctx, tag=tag, title=title, meta=meta)
        updated = gh.update_issue(ctx.repository, number, body=body)
        return DriftResult("updated", number, updated.get("html_url"))

    meta = {"first_seen": stamp, "last_seen": stamp, "consecutive": 1}
    body = build_drift_body(report_md, ctx=ctx, tag=tag, title=title, meta=meta)
    if issue is not None:  # closed earlier: the drift is back
        number = int(issue["number"])
        reopened = gh.update_issue(ctx.repository, number, state="open", body=body)
        gh.create_issue_comment(
            ctx.repository, number, f"⚠️ Drift detected again in the {_run_link(ctx)} at {stamp}."
        )
        return DriftResult("reopened", number, reopened.get("html_url"))
    created = gh.create_issue(ctx.repository, title=title, body=body, labels=labels)
    return DriftResult("opened", created.get("number"), created.get("html_url"))
