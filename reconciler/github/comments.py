"""Reporting to GitHub: the sticky plan comment and its labels.

**Sticky comment.** One plan comment per pull request (and environment), found by a hidden
marker (``<!-- reconciler:plan -->``, from ``settings.github.comment_marker``) *and* by its
author -- the token's identity, ``github-actions[bot]`` by default, because ``GET /user`` is
forbidden to ``GITHUB_TOKEN``. Requiring both means a user who pastes the marker into their
own comment cannot get it overwritten, and our comment is never mistaken for theirs. All
pages of comments are scanned. An identical body is not sent again.

**State in the body.** What later runs need (the commit the plan was made from, its summary
line, earlier runs) travels in the hidden meta line of our own comment
(:mod:`reconciler.github.markers`: only the last one counts, optionally HMAC-signed).

**Apply.** The outcome after merge is :mod:`reconciler.github.apply_comment`'s.

**Size.** Bodies stay under GitHub's 65,536-character limit (counted in UTF-16 code units
to be safe with emoji): the plan markdown is cut at a line outside every code fence and
``<details>`` with an explicit "plan truncated" line linking to the run's plan artifact.

**Secrets.** Bodies go through :func:`reconciler.secrets.redact` before being compared or
sent (the client redacts again on the way out).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.errors import (
    GitHubError,
)
from reconciler.github.client import GitHubClient, GitHubComment
from reconciler.github.context import ActionsContext
from reconciler.github.digests import MAX_DIGESTS, change_digests
from reconciler.github.markers import decode_meta, encode_meta, fit_body
from reconciler.markdown import escape_markdown, inline_code
from reconciler.secrets import redact

DEFAULT_AUTHOR = "github-actions[bot]"
HISTORY_LIMIT = 10
DEFAULT_ARTIFACT = "offers-plan"


def short_sha(sha: str) -> str:
    return sha[:7] if sha else "unknown"


def run_link(ctx: ActionsContext, text: str = "workflow run") -> str:
    return f"[{text}]({ctx.run_url})" if ctx.run_url else text


# -- plan summary (from plan.json) -------------------------------------------------------


@dataclass(frozen=True)
class PlanSummary:
    counts: Mapping[str, int] = field(default_factory=dict)
    has_changes: bool | None = None
    is_blocked: bool | None = None
    checksum: str | None = None
    # change key -> digest: what the merge compares offer by offer (reconciler.github.approved)
    offers: Mapping[str, str] | None = None
    guard_blocked: bool = False  # a safety guard refuses the whole plan (not just some offers)

    @property
    def line(self) -> str:
        # What merging does: the unchanged, unmanaged and skipped offers are not part of it.
        parts = [
            f"{n} removed file{'s' if n != 1 else ''}" if key == "gone" else f"{n} {key}"
            for key, n in self.counts.items()
            if isinstance(n, int) and n and key not in ("skipped", "unchanged", "unmanaged")
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
    return plan_summary(data)


def plan_summary(data: Mapping[str, object]) -> PlanSummary:
    """The summary of a saved plan's data (or of a flat summary object)."""
    raw_counts = data.get("summary")
    counts: dict[str, int] = {}
    if isinstance(raw_counts, dict):
        counts = {str(k): v for k, v in raw_counts.items() if isinstance(v, int)}
    has_changes = data.get("has_changes")
    is_blocked = data.get("is_blocked")
    checksum = data.get("checksum")
    changes = data.get("changes")
    offers = None
    if isinstance(changes, list) and len(changes) <= MAX_DIGESTS:
        offers = change_digests([c for c in changes if isinstance(c, dict)])
    return PlanSummary(
        counts=counts,
        has_changes=has_changes if isinstance(has_changes, bool) else None,
        is_blocked=is_blocked if isinstance(is_blocked, bool) else None,
        checksum=checksum if isinstance(checksum, str) else None,
        offers=offers,
        guard_blocked=_guard_blocked(data.get("safety")),
    )


def _guard_blocked(safety: object) -> bool:
    if not isinstance(safety, dict):
        return False
    return bool(safety.get("violations")) and not safety.get("forced")


def on_merge_text(summary: PlanSummary | None, base_ref: str | None) -> str:
    target = inline_code(base_ref) if base_ref else "the default branch"
    if summary is None:
        return (
            f"**What happens on merge:** the offers workflow on {target} plans again against the "
            "live offers and applies the result."
        )
    if summary.is_blocked and (summary.guard_blocked or not summary.has_changes):
        return (
            f"**What happens on merge:** nothing is applied: the plan is **blocked** (see the "
            f"reasons above). Change the files, or use the override named there, before merging "
            f"into {target}."
        )
    if summary.is_blocked:
        return (
            f"**What happens on merge:** the **blocked** offers are left alone (see the reasons "
            f"above); the other changes ({summary.line}) are applied on {target} exactly as "
            "shown."
        )
    if summary.has_changes is False:
        return f"**What happens on merge:** nothing to apply on {target}: no changes."
    return (
        f"**What happens on merge:** these changes ({summary.line}) are applied when this pull "
        f"request is merged into {target}, exactly as shown: the merge plans again and compares "
        "offer by offer with this plan; a change that differs (the live offer moved since) is "
        "listed and not applied."
    )


# -- sticky plan comment ---------------------------------------------------------------


def find_own_comment(
    gh: GitHubClient, repository: str, number: int, tag: str, author: str
) -> GitHubComment | None:
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


def _history_section(history: list[dict[str, object]]) -> str:
    if not history:
        return ""
    rows = [
        f"- {inline_code(short_sha(str(item.get('sha', ''))))}: "
        f"{escape_markdown(item.get('line', ''))}"
        + (f" ([run]({item['run']}))" if str(item.get("run", "")).startswith("https://") else "")
        for item in history
    ]
    return "<details><summary>Previous runs</summary>\n\n" + "\n".join(rows) + "\n\n</details>\n"


def artifact_note(ctx: ActionsContext, artifact: str, url: str | None, what: str) -> str:
    """The size-limit note: where the full rendering is (the artifact of this run)."""
    link = url or (f"{ctx.run_url}#artifacts" if ctx.run_url else "")
    name = inline_code(artifact)
    where = f"[artifact {name} of this run]({link})" if link else f"artifact {name} of the run"
    return f"> **{what} truncated** (comment size limit); the full {what.lower()} is in the " + (
        f"{where}."
    )


def build_plan_body(
    plan_md: str,
    *,
    ctx: ActionsContext,
    tag: str,
    summary: PlanSummary | None,
    previous: str | None,
    key: bytes | None = None,
    artifact: str = DEFAULT_ARTIFACT,
    artifact_url: str | None = None,
) -> str:
    old_meta = decode_meta(previous or "", key)
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
    meta: dict[str, object] = {
        "sha": sha,
        "line": line,
        "run": ctx.run_url or "",
        "history": history,
    }
    if summary is not None and summary.checksum:
        # The approved plan, for the merge to compare with (reconciler.github.approved).
        meta["checksum"] = summary.checksum
        if summary.offers is not None:
            meta["offers"] = dict(summary.offers)
    where = f"Commit {inline_code(short_sha(sha))} · {run_link(ctx)}"
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
        + encode_meta(meta, key)
        + "\n"
    )
    note = artifact_note(ctx, artifact, artifact_url, "Plan")
    return fit_body(redact(plan_md), footer, note)


def upsert_plan_comment(
    gh: GitHubClient,
    ctx: ActionsContext,
    plan_md: str,
    *,
    tag: str,
    author: str,
    summary: PlanSummary | None = None,
    key: bytes | None = None,
    artifact: str = DEFAULT_ARTIFACT,
    artifact_url: str | None = None,
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
        key=key,
        artifact=artifact,
        artifact_url=artifact_url,
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
    is withdrawn, deleted, republished or recreated), ``<prefix>changes`` when something will
    be applied, and ``<prefix>no-changes`` only when nothing is asked for at all.
    """
    if summary.is_blocked:
        # blocked is never "no changes": the files ask for something that cannot happen
        labels = {f"{prefix}blocked"}
        if summary.has_changes:
            labels.add(f"{prefix}changes")
    else:
        labels = {f"{prefix}changes" if summary.has_changes else f"{prefix}no-changes"}
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
