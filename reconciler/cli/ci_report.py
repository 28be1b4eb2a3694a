"""What validate, plan and drift tell GitHub Actions when they run as a workflow step.

Outside Actions (``GITHUB_ACTIONS`` unset) every function here does nothing, so commands
call them unconditionally. Inside, the runner gets:

* one ``::error file=…,line=…::`` annotation per validation error or blocked change, so the
  problem shows on the pull request's diff at the offending line;
* the markdown rendering in the step summary;
* counts, the checksum and the exit code in ``GITHUB_OUTPUT`` for later steps.

Annotations go to stderr when stdout carries machine output (``--format json``): the runner
reads workflow commands from both streams.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING

from reconciler.errors import Problem
from reconciler.github.actions import (
    annotate_error,
    annotate_warning,
    in_actions,
    write_outputs,
    write_step_summary,
)

if TYPE_CHECKING:
    # `validate` uses only the annotations: it does not load the plan and report models.
    from reconciler.checks.drift import DriftReport
    from reconciler.checks.price_guard import PriceGuardReport
    from reconciler.plan.plan import Plan


def annotate_problems(problems: Iterable[Problem], *, machine_stdout: bool = False) -> None:
    if not in_actions():
        return
    stream = sys.stderr if machine_stdout else sys.stdout
    for p in problems:
        annotate = annotate_error if p.severity == "error" else annotate_warning
        title = f"offer file: {p.rule}" if p.rule else "offer file"
        text = f"{p.path}: {p.message}" if p.path else p.message
        annotate(p.file, p.line or None, text, title, col=p.col or None, stream=stream)


def report_plan(plan: Plan, exit_code: int, *, machine_stdout: bool = False) -> None:
    if not in_actions():
        return
    stream = sys.stderr if machine_stdout else sys.stdout
    for change in plan.blocked_changes:
        reason = change.blocked_reason or "blocked"
        if change.override:
            reason += f" (override: {change.override})"
        annotate_error(
            change.file,
            change.line,
            f"{change.offer_name}: {reason}",
            "plan blocked",
            stream=stream,
        )
    from reconciler.render import render_markdown

    write_step_summary(render_markdown(plan))
    counts = plan.summary()
    write_outputs(
        {
            **counts,
            "changes": int(plan.has_changes),
            "blocked": int(plan.is_blocked),
            "checksum": plan.checksum,
            "exit-code": exit_code,
        }
    )


def report_price_warnings(report: PriceGuardReport, *, machine_stdout: bool = False) -> None:
    """One ``::warning`` (``::error`` when they block) per price warning, at its line."""
    if not in_actions():
        return
    stream = sys.stderr if machine_stdout else sys.stdout
    annotate = annotate_error if report.blocked else annotate_warning
    for w in report.warnings:
        title = f"price guard: {w.rule.value}"
        annotate(w.file, w.line or None, w.message, title, col=w.col or None, stream=stream)


def report_drift(report: DriftReport, exit_code: int) -> None:
    if not in_actions():
        return
    from reconciler.render.drift import render_markdown_report

    write_step_summary(render_markdown_report(report))
    write_outputs({**report.counts(), "drift": int(report.has_drift), "exit-code": exit_code})
