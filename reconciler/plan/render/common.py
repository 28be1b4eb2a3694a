"""Formatting shared by the renderers: values, symbols, action labels."""

from __future__ import annotations

import json
from typing import Any

from reconciler.plan.changes import Change, FieldChange

SYMBOLS = {
    "create": "+",
    "update": "~",
    "publish": "~",
    "partner-complete": "~",
    "republish": "±",
    "recreate": "±",
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
MAX_VALUE = 400


def value_text(value: Any, limit: int = MAX_VALUE) -> str:
    """A compact, single-line JSON rendering of a field value (long ones shortened)."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def field_lines(fc: FieldChange, *, origin: bool = True, paired: bool = False) -> list[str]:
    """Diff lines for one field change: ``~ path: old -> new``, ``+ path: new``, ``- path: old``.

    *paired* writes a changed value as a ``-`` line and a ``+`` line instead, which is what
    GitHub colours in a ```diff block (it leaves ``~`` lines plain).
    """
    tag = f"  ({fc.origin})" if origin and fc.origin not in ("git", "unknown") else ""
    if fc.op == "add":
        return [f"+ {fc.path}: {value_text(fc.new)}{tag}"]
    if fc.op == "remove":
        return [f"- {fc.path}: {value_text(fc.old)}{tag}"]
    if paired:
        return [f"- {fc.path}: {value_text(fc.old)}", f"+ {fc.path}: {value_text(fc.new)}{tag}"]
    return [f"~ {fc.path}: {value_text(fc.old)} -> {value_text(fc.new)}{tag}"]


def headline(change: Change) -> str:
    """``create -> draft``, ``publish draft -> live``, ``blocked (republish)``."""
    if change.action == "blocked":
        return f"blocked ({change.wanted})" if change.wanted else "blocked"
    states = ""
    if change.desired_state and change.live_state != change.desired_state:
        states = f" {change.live_state or 'new'} -> {change.desired_state}"
    return f"{change.action}{states}"


def why(change: Change) -> str:
    return {"git": "git", "live": "changed outside git", "both": "git + outside git"}.get(
        change.reason or "", "—"
    )
