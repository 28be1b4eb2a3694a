"""plan -> configure jobs -> outcomes; the journal that makes apply safe to interrupt.

See docs/apply.md for the algorithm.
"""

from reconciler.apply.applier import ApplyOptions, apply_plan
from reconciler.apply.journal import Journal, journal_dir, list_journals
from reconciler.apply.outcome import ApplyResult, ChangeOutcome, OutcomeError, ProgressEvent
from reconciler.apply.session import cancel_open, resume_open, run_apply, settle_open, target_for

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
