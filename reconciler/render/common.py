"""Wording shared by the renderers: symbols, what each action does, replacement notes."""

from __future__ import annotations

from reconciler.plan.changes import Change
from reconciler.plan.paths import split_path
from reconciler.plan.records import GoneFile

TEXT_WIDTH = 100  # terminal and CI log lines

SYMBOLS = {
    "create": "+",
    "update": "~",
    "publish": "~",
    "partner-complete": "~",
    "republish": "-/+",
    "recreate": "-/+",
    "withdraw": "-",
    "delete": "-",
    "blocked": "!",
}
EMOJI = {
    "create": "➕",
    "update": "✏️",
    "publish": "🚀",
    "partner-complete": "🤝",
    "republish": "🔁",
    "recreate": "♻️",
    "withdraw": "⛔",
    "delete": "🗑️",
    "blocked": "🚫",
}
_DOES = {
    "create": "will be created",
    "update": "will be updated (stays a draft)",
    "publish": "will be published",
    "partner-complete": "will be completed by the selling partner",
    "republish": "will be withdrawn, edited and published again",
    "recreate": "will be replaced (-/+ replace)",
    "withdraw": "will be withdrawn",
    "delete": "will be deleted (a draft)",
}
_WANTED = {
    "create": "create it",
    "update": "update it",
    "publish": "publish it",
    "partner-complete": "complete it",
    "republish": "withdraw, edit and republish it",
    "recreate": "replace it",
    "withdraw": "withdraw it",
    "delete": "delete it",
}


def accepted(change: Change) -> bool:
    """The refusal is because a customer accepted the offer (it is a contract); not an
    offer that expired before it was accepted, nor an upgrade of one not accepted."""
    return "the customer accepted this offer" in (change.blocked_reason or "").lower()


def headline(change: Change) -> str:
    """What happens to the offer, in words: ``will be published (draft -> live)``."""
    if change.action == "blocked":
        if accepted(change):
            return "accepted by the customer: a contract, never changed"
        wanted = _WANTED.get(change.wanted or "", "change it")
        if change.waiting:  # not refused: possible once the other side has done its part
            return f"waiting: cannot {wanted} yet"
        return f"blocked: cannot {wanted}"
    text = _DOES.get(change.action, change.action)
    if change.action == "create" and change.desired_state:
        text += f" ({change.desired_state})"
    elif change.desired_state and change.live_state and change.live_state != change.desired_state:
        text += f" ({change.live_state} -> {change.desired_state})"
    return text


def forcing_fields(change: Change) -> list[str]:
    """The top-level fields whose change forces a replacement (or a republish)."""
    names: list[str] = []
    for fc in change.field_changes:
        top = split_path(fc.path)[0] if fc.path else fc.path
        if top != "state" and top not in names:
            names.append(top)
    return names


def replacement_notes(change: Change) -> list[str]:
    """For recreate/republish: what forces it and what customers see meanwhile."""
    fields = ", ".join(forcing_fields(change)) or "the offer"
    if change.action == "recreate":
        return [
            f"forces replacement: {fields} (live CSP offers cannot be edited)",
            "meanwhile: the new offer is created and goes live first, then the old one is "
            "withdrawn; partners see both for a few minutes, then only the new one "
            "(it gets a new offer id)",
        ]
    if change.action == "republish":
        return [
            f"forces withdraw and republish: {fields} (a live offer cannot be edited in place)",
            "meanwhile: the offer is withdrawn while it changes; its acceptance link does not "
            "work until it is live again (usually minutes)",
        ]
    return []


def why(change: Change) -> str:
    return {"git": "git", "live": "changed outside git", "both": "git + outside git"}.get(
        change.reason or "", "—"
    )


def field_summary(change: Change, limit: int = 4) -> str:
    """``discountPercentage (Contoso Analytics · Standard), notes`` for a table cell."""
    if change.action == "create":
        return "new offer"
    names: list[str] = []
    for fc in change.field_changes:
        parts = split_path(fc.path)
        leaf = parts[-1] if parts else fc.path
        keyed = [p[1:-1] for p in parts if p.startswith("[")]
        if leaf.startswith("["):
            leaf = parts[-2] if len(parts) > 1 else leaf
        where = change.labels.get(keyed[-1], "") if keyed else ""
        text = f"{leaf} ({where})" if where else leaf
        if text not in names:
            names.append(text)
    shown = ", ".join(names[:limit])
    if len(names) > limit:
        shown += f" (+{len(names) - limit} more)"
    return shown or "—"


def gone_notes(gone: GoneFile) -> list[str]:
    """What a removed file means for its live offer, in words (text and markdown share it)."""
    notes: list[str] = []
    if gone.offer_id and gone.state in ("live", "draft"):
        notes.append(
            f"the offer `{gone.offer_id}` stays {gone.state} and is no longer managed; "
            "to withdraw it, keep the file with `state: withdrawn`"
        )
    elif gone.offer_id:
        notes.append(f"the offer `{gone.offer_id}` ({gone.state}) is no longer managed")
    else:
        notes.append("no live offer had this file's name: nothing changes")
    if gone.renamed_to:
        notes.append(
            f"renamed to {gone.renamed_to if gone.name_changed else f'`{gone.renamed_to}`'}: "
            "names are identity, so without a pinned `id:` the new name would be a second "
            "offer for the same deal; pin `id:` (the id above) to rename in place"
        )
    return notes


def readable_path(change: Change, path: str) -> str:
    """``pricing › Contoso Analytics · Standard › discountPercentage`` for a field path."""
    out = []
    for part in split_path(path):
        if part.startswith("["):
            key = part[1:-1]
            out.append(change.labels.get(key) or key)
        else:
            out.append(part)
    return " › ".join(out)


def gone_title(gone: GoneFile) -> str:
    return "offer renamed in" if gone.name_changed else "file removed:"
