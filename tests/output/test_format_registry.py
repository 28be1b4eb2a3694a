"""Each command offers exactly the formats its renderer table holds."""

from __future__ import annotations

import json
from pathlib import Path

import click

from reconciler.checks.drift import classify
from reconciler.cli import cli
from reconciler.plan.plan import Plan
from reconciler.render.registry import DRIFT_RENDERERS, PLAN_RENDERERS

# A plan saved by `reconciler plan --out`: one create, one republish, one blocked change.
FIXTURE = Path(__file__).parents[1] / "plan" / "data" / "plan-offers-plan-1.json"


def _choices(command: str) -> tuple[str, ...]:
    cmd = cli.get_command(click.Context(cli), command)
    assert cmd is not None
    option = next(p for p in cmd.params if p.name == "fmt")
    assert isinstance(option.type, click.Choice)
    return tuple(option.type.choices)


def test_plan_and_drift_declare_their_formats_from_their_own_tables() -> None:
    assert _choices("plan") == PLAN_RENDERERS.formats
    assert _choices("drift") == DRIFT_RENDERERS.formats


def test_every_drift_format_renders_the_drift_report_not_the_plan() -> None:
    report = classify(Plan.from_json(FIXTURE.read_text(encoding="utf-8")))
    text = DRIFT_RENDERERS.render("text", report)
    markdown = DRIFT_RENDERERS.render("markdown", report)
    data = json.loads(DRIFT_RENDERERS.render("json", report))
    assert text.rstrip().splitlines()[-1].startswith("Drift: ")
    assert markdown.startswith("## Offers drift: ")
    assert data["schema"] == "offers-drift/1" and data["has_drift"] is True
