"""Approved plan = applied plan: what a merge may apply, offer by offer.

A pull request's plan comment carries, in its hidden meta line, the plan it showed: the
head commit it was made for, its checksum, and one digest per offer change (the change as
saved in ``plan.json``: action, field changes, request bodies, the live eTag it was
computed from). At merge, a plan job with the read-only identity plans again against the
live offers and compares, offer by offer (:func:`compare`):

* a change equal to the approved one goes into the plan the apply job applies;
* any other change -- a live edit since, a drift revert, a change the reviewer saw in
  another form, an offer no plan showed -- is *unseen*: listed with how to approve it,
  never applied silently;
* an approved change the fresh plan no longer has (applied meanwhile, or live now as the
  file says) is listed too.

Only the comment of the merged pull request's own head commit counts (a plan made for an
older push is not the approved one), and only our own comment (author and marker, signed
with ``RECONCILER_MARKER_KEY`` when set).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from reconciler.github.apply_comment import pick_pull_request
from reconciler.github.client import GitHubClient
from reconciler.github.comments import find_own_comment
from reconciler.github.digests import change_digests, change_key
from reconciler.github.markers import decode_meta
from reconciler.markdown import escape_markdown, inline_code, md_inline
from reconciler.plan.changes import Change
from reconciler.plan.plan import Plan
from reconciler.secrets import redact

HOW_TO_APPROVE = (
    "to apply an unseen change, open a pull request that shows it (a plan comment is the "
    "approval), or run the apply workflow by hand (`workflow_dispatch`) with `apply_unseen`: "
    "the `offers` environment's reviewers then approve that run after reading its plan job"
)


@dataclass(frozen=True)
class Approved:
    """What the merged pull request's plan comment says was approved (or why nothing)."""

    number: int | None
    digests: dict[str, str] | None = None  # None: nothing approved to compare with
    checksum: str | None = None
    missing: str | None = None  # why there is no approved plan


@dataclass
class Comparison:
    approved: Approved
    applied: Plan
    same: list[Change] = field(default_factory=list)
    unseen: list[tuple[Change, str]] = field(default_factory=list)
    no_longer: list[str] = field(default_factory=list)  # approved change keys not planned now
    include_unseen: bool = False

    @property
    def has_changes(self) -> bool:
        return self.applied.has_changes


def compare(fresh: Plan, approved: Approved, *, include_unseen: bool = False) -> Comparison:
    """The plan to apply: the fresh plan's changes that equal the approved ones."""
    data = fresh.to_data()["changes"]
    now = change_digests(data)
    keep: list[Change] = []
    unseen: list[tuple[Change, str]] = []
    drift = list(fresh.drift)
    digests = approved.digests
    whole = (
        digests is None and approved.checksum is not None and approved.checksum == fresh.checksum
    )
    for change, saved in zip(fresh.changes, data, strict=True):
        key = change_key(saved)
        if include_unseen or whole or (digests is not None and digests.get(key) == now[key]):
            keep.append(change)
        elif change.reason == "live":
            # Only an edit made outside git, and not approved: not this pull request's.
            drift.append(change)
        elif digests is not None and key in digests:
            unseen.append(
                (
                    change,
                    "differs from the approved plan (the live offer or the "
                    "plan changed since the review)",
                )
            )
        else:
            unseen.append((change, approved.missing or "no approved plan showed this change"))
    no_longer = sorted(set(digests or {}) - set(now))
    applied = Plan(
        meta=fresh.meta,
        changes=keep,
        unchanged=fresh.unchanged,
        unmanaged=fresh.unmanaged,
        skipped=fresh.skipped,
        safety=fresh.safety,
        gone=fresh.gone,
        extras=fresh.extras,
        drift=drift,
    )
    return Comparison(approved, applied, keep, unseen, no_longer, include_unseen)


def _offer(change: Change) -> str:
    return (
        f"**{escape_markdown(redact(change.offer_name))}** "
        f"({inline_code(redact(f'{change.file}:{change.line}'))}) — "
        f"{escape_markdown(change.action)}"
    )


def render_comparison(cmp: Comparison, *, sha: str) -> str:
    """The comparison, for the merged pull request and the plan job's summary."""
    pr = f"#{cmp.approved.number}" if cmp.approved.number else "no pull request"
    lines = [
        f"## Offers merge plan: approved plan ({pr}) and the plan now",
        "",
        f"Merge commit {inline_code(sha[:12])}. Only what a reviewer approved is applied, "
        "exactly in the form approved; the `offers` environment's apply job applies this plan "
        f"(checksum {inline_code(cmp.applied.checksum)}).",
        "",
    ]
    if cmp.include_unseen:
        lines += [
            "> [!WARNING]",
            "> Run by hand with `apply_unseen`: every change of the plan now is applied once "
            "the `offers` environment's reviewers approve this run.",
            "",
        ]
    elif cmp.approved.missing:
        lines += [f"> [!NOTE]\n> {md_inline(cmp.approved.missing)}", ""]
    lines.append(f"### Applied: as approved ({len(cmp.same)})")
    lines.append("")
    lines += [f"- ✅ {_offer(c)}" for c in cmp.same] or ["Nothing."]
    lines.append("")
    if cmp.unseen:
        lines += [f"### Not applied: not approved in this form ({len(cmp.unseen)})", ""]
        lines += [f"- ⛔ {_offer(c)}: {md_inline(why)}" for c, why in cmp.unseen]
        lines += ["", md_inline(HOW_TO_APPROVE[0].upper() + HOW_TO_APPROVE[1:]) + ".", ""]
    if cmp.no_longer:
        lines += [f"### Approved, no longer needed ({len(cmp.no_longer)})", ""]
        lines += [
            f"- {escape_markdown(redact(key.split('|', 1)[-1]))} "
            f"({inline_code(redact(key.split('|', 1)[0]))}): the live offer already matches, "
            "or the plan no longer has this change"
            for key in cmp.no_longer
        ]
        lines.append("")
    if cmp.applied.drift:
        lines += [
            f"### Not part of this pull request: changed outside git ({len(cmp.applied.drift)})",
            "",
        ]
        lines += [f"- {_offer(c)}: stays as it is live" for c in cmp.applied.drift]
        lines += [
            "",
            "To restore git's values, approve them in a pull request (the label "
            "`offers:include-drift` takes them into its plan).",
            "",
        ]
    return "\n".join(lines)


def find_approved(
    gh: GitHubClient, repository: str, sha: str, *, tag: str, author: str, key: bytes | None
) -> Approved:
    """The plan the merged pull request's reviewers saw: its plan comment's meta line."""
    pr = pick_pull_request(gh.pulls_for_commit(repository, sha), sha)
    if pr is None or not isinstance(pr.get("number"), int):
        return Approved(None, missing="no pull request merged this commit: no plan was approved")
    number = int(pr["number"])
    comment = find_own_comment(gh, repository, number, tag, author)
    if comment is None:
        return Approved(number, missing=f"#{number} has no plan comment: no plan was approved")
    meta = decode_meta(str(comment.get("body") or ""), key)
    head = (pr.get("head") or {}).get("sha") if isinstance(pr.get("head"), Mapping) else None
    if not meta.get("sha") or (head and meta.get("sha") != head):
        return Approved(
            number,
            missing=f"the plan comment of #{number} is for commit "
            f"{str(meta.get('sha') or '?')[:12]}, but the pull request merged "
            f"{str(head or '?')[:12]}: the plan of the merged commit was never shown",
        )
    offers = meta.get("offers")
    checksum = meta.get("checksum")
    digests = {str(k): str(v) for k, v in offers.items()} if isinstance(offers, Mapping) else None
    return Approved(number, digests, checksum if isinstance(checksum, str) else None)
