"""The offer timeline (Mermaid gantt) in the plan comment and the drift issue, as users see it."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from .insight_helpers import (
    admin,
    customer,
    make_project,
    month_end,
    reconciler,
    seed,
    today,
    write,
)

REPO = Path(__file__).resolve().parents[2]


def gantt(markdown: str) -> str:
    match = re.search(r"```mermaid\n(?:%%{init: .*}%%\n)?(gantt\n.*?)```", markdown, re.S)
    assert match, markdown[:2000]
    return match.group(1)


def test_markdown_plan_of_the_examples_has_a_gantt_with_every_changed_offer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path, monkeypatch)
    shutil.rmtree(root / "offers")
    shutil.copytree(REPO / "offers", root / "offers")
    code, out, _ = reconciler(
        capsys, "plan", "--emulator", "--strict", "--format", "json", "--markdown-out", "plan.md"
    )
    assert code == 0, out
    plan = json.loads(out)
    changed = [c for c in plan["changes"]]
    assert len(changed) == 10  # every example of the publisher's side
    chart = gantt((root / "plan.md").read_text())
    # today is a line across the chart (Mermaid's marker), not a row of its own
    assert "todayMarker stroke-width:3px" in chart and "section Today" not in chart
    assert re.search(r"tickInterval \dmonth", chart) and "axisFormat %b %Y" in chart
    sections = re.findall(r"^    section (.+)$", chart, re.M)
    assert all(len(s) <= 26 for s in sections)  # short labels: they never run over the bars
    names = sorted(c["offer_name"] for c in changed)
    assert sorted(s.removesuffix("…") for s in sections) == sorted(
        n[: len(s.removesuffix("…"))] for n, s in zip(names, sorted(sections), strict=True)
    )
    # a fixed term, a term from acceptance, and the accept-by milestone
    assert "term : t" in chart and ", 2027-01-01, 2027-12-31" in chart
    assert "from acceptance : t" in chart
    assert "accept by : milestone, a" in chart and ", 2027-01-31, 0d" in chart
    # the prices of the examples are below list: no warning banner next to the chart
    assert "price warning" not in (root / "plan.md").read_text()


def test_drift_issue_draws_the_drifted_offer_with_its_live_dates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path, monkeypatch)
    text = customer("Northwind: Q3; deal `x`", accept_by=10, end=200)
    ids = seed(root, {"a": text})
    write(root, "northwind.yaml", text)
    # someone extends the offer in Partner Center
    admin(root, "edit", ids["Northwind: Q3; deal `x`"], {"end": month_end(300)})
    code, out, _ = reconciler(capsys, "drift", "--emulator", "--markdown-out", "drift.md")
    assert code == 2, out
    chart = gantt((root / "drift.md").read_text())
    # the name cannot break the chart: separators and backticks are taken out
    assert "    section Northwind Q3 deal x" in chart
    assert "from acceptance : t" in chart and "accept by : milestone" in chart
    # git's term and the live one, told apart
    assert f", {month_end(200)}\n" in chart
    assert f"    live term : crit, l0, {today().isoformat()}, {month_end(300)}" in chart
