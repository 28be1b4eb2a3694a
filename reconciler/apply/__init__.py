"""plan -> configure jobs -> outcomes; the journal that makes apply safe to interrupt.

See docs/apply.md for the algorithm.

The names below load on first use (PEP 562): ``plan`` imports one helper of this package
(``created.known_offers``) and would otherwise pay for the whole engine at start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.apply.applier import ApplyOptions, apply_plan
    from reconciler.apply.journal import Journal, journal_dir, list_journals
    from reconciler.apply.outcome import (
        ApplyResult,
        ChangeOutcome,
        OutcomeError,
        ProgressEvent,
    )
    from reconciler.apply.session import (
        cancel_open,
        resume_open,
        run_apply,
        settle_open,
        target_for,
    )

_WHERE = {
    "ApplyOptions": "applier",
    "apply_plan": "applier",
    "Journal": "journal",
    "journal_dir": "journal",
    "list_journals": "journal",
    "ApplyResult": "outcome",
    "ChangeOutcome": "outcome",
    "OutcomeError": "outcome",
    "ProgressEvent": "outcome",
    "cancel_open": "session",
    "resume_open": "session",
    "run_apply": "session",
    "settle_open": "session",
    "target_for": "session",
}

__all__ = [
    "ApplyOptions",
    "ApplyResult",
    "ChangeOutcome",
    "Journal",
    "OutcomeError",
    "ProgressEvent",
    "apply_plan",
    "cancel_open",
    "journal_dir",
    "list_journals",
    "resume_open",
    "run_apply",
    "settle_open",
    "target_for",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"reconciler.apply.{module}"), name)
