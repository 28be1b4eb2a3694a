"""The offers this tool's journals record creating, read by every plan and apply.

A plan tells an offer this tool made (``created`` in a journal's result) from a hand-made
namesake, so ``reconciler plan`` reads the journals' result lines; it needs nothing else
of the apply engine, whose models this module stays clear of (a plan's start-up).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from reconciler.apply import journal_frame
from reconciler.errors import ReconcilerError
from reconciler.settings import Settings
from reconciler.state.lock import kept_journal_dirs


def journal_dir(settings: Settings) -> Path:
    return settings.root / settings.apply.journal_dir / "journal"


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ReconcilerError(f"{path}: cannot read the journal: {exc.strerror}") from None


def created_offers(directories: Sequence[Path]) -> tuple[str, ...]:
    """The ids of the offers this tool's journals record creating, oldest first (journal
    file names start with their UTC time). Only result and resolution lines are parsed."""
    paths = sorted((p for d in directories if d.is_dir() for p in d.glob("*.jsonl")), key=_name)
    found: list[str] = []
    for path in paths:
        try:
            data = read_bytes(path)
        except ReconcilerError:
            continue  # an unreadable journal names no offer; the apply that reads it says why
        for line in journal_frame.lines(data):
            if not line.ok or ('"t": "result"' not in line.text and '"resolved"' not in line.text):
                continue
            created = json.loads(line.text).get("created") or {}
            if isinstance(created, dict):
                found.extend(str(v) for _, v in sorted(created.items()) if v)
    return tuple(found)


def known_offers(settings: Settings) -> tuple[str, ...]:
    """:func:`created_offers` of this checkout's journals and those kept for the next run."""
    return created_offers([journal_dir(settings), *kept_journal_dirs()])


def _name(path: Path) -> str:
    return path.name
