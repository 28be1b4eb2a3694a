"""The renderers each command offers: a command declares its formats from one table.

A command's ``--format`` choices are the names in its table, so a format is accepted
exactly where a renderer for it exists: ``drift --format <name>`` can never fall back to
another command's renderer, and a new format is one entry here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from reconciler.checks.drift import DriftReport
from reconciler.plan.plan import Plan
from reconciler.render import drift
from reconciler.render.common import TEXT_WIDTH
from reconciler.render.json_ import render_json
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_text

T = TypeVar("T")

# --markdown-out and --format markdown write the whole plan (the artifact, the step summary);
# only `reconciler github comment-plan` cuts it to a comment's size.
FULL_BUDGET = 1_000_000


@dataclass(frozen=True)
class Style:
    """What the terminal decides and every renderer may use."""

    colour: bool = False
    width: int = TEXT_WIDTH  # the text's columns: the terminal's, else a CI log's 100


Renderer = Callable[[T, Style], str]


@dataclass(frozen=True)
class Renderers(Generic[T]):
    """One command's formats: name -> renderer of what the command produces."""

    subject: str
    table: Mapping[str, Renderer[T]]
    default: str = "text"

    @property
    def formats(self) -> tuple[str, ...]:
        return tuple(self.table)

    def render(self, fmt: str, subject: T, style: Style | None = None) -> str:
        if fmt not in self.table:
            raise ValueError(f"{self.subject}: no {fmt!r} rendering")
        return self.table[fmt](subject, style or Style())


PLAN_RENDERERS: Renderers[Plan] = Renderers(
    "plan",
    {
        "text": lambda plan, style: render_text(plan, colour=style.colour, width=style.width),
        "markdown": lambda plan, _style: render_markdown(plan, budget=FULL_BUDGET),
        "json": lambda plan, _style: render_json(plan),
    },
)

DRIFT_RENDERERS: Renderers[DriftReport] = Renderers(
    "drift report",
    {
        "text": lambda report, _style: drift.render_text(report),
        "markdown": lambda report, _style: drift.render_markdown_report(report),
        "json": lambda report, _style: drift.render_json(report),
    },
)
