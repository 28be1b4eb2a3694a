"""GitHub integration: REST reporting (sticky plan comment, apply outcome, drift issue) and the
GitHub Actions runner interface (step summary, step outputs, workflow-command annotations).

The plan/apply commands call the Actions helpers directly when ``GITHUB_ACTIONS=true``; the
REST reporting is driven by ``reconciler github ...`` (reconciler/cli/github.py), which posts
the markdown files those commands write. See docs/github.md.
"""

from __future__ import annotations

from reconciler.github.actions import (
    annotate_error,
    annotate_warning,
    escape_data,
    escape_property,
    in_actions,
    write_outputs,
    write_step_summary,
)

__all__ = [
    "annotate_error",
    "annotate_warning",
    "escape_data",
    "escape_property",
    "in_actions",
    "write_outputs",
    "write_step_summary",
]
