"""The command line as a newcomer meets it: help with exit codes and examples, colours."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import EXIT_USAGE
from reconciler.github.comments import PlanSummary, plan_labels

from .conftest import Cli


@pytest.mark.parametrize(
    ("command", "codes"),
    [
        (["plan"], ["0 ", "1 ", "2 ", "3 "]),
        (["drift"], ["0 ", "1 ", "2 "]),
        (["validate"], ["0 ", "1 "]),
        (["github", "comment-plan"], ["0 ", "1 "]),
        (["github", "report-apply"], ["0 ", "1 "]),
        (["github", "drift-issue"], ["0 ", "1 "]),
        (["apply"], ["0 ", "1 ", "3 ", "4 ", "5 ", "6 ", "7 "]),
        (["jobs"], ["0 ", "1 ", "5 ", "6 "]),
        (["import"], ["0 ", "1 "]),
        (["schema"], ["0 ", "1 "]),
        (["lock"], ["0 ", "1 "]),
        (["emulator"], ["0 ", "1 "]),
        (["doctor"], ["0 ", "1 "]),
    ],
)
def test_help_lists_exit_codes_and_two_examples(
    reconciler: Cli, command: list[str], codes: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = reconciler(*command, "--help")
    assert code == 0
    assert [line for line in out.splitlines() if len(line) > 80] == []  # an 80-column terminal
    assert "Exit codes:" in out and "Examples:" in out
    section = out.split("Exit codes:")[1].split("Examples:")[0]
    for prefix in [*codes, "64 usage error"]:
        assert f"\n    {prefix}" in section
    assert out.split("Examples:")[1].count("$ reconciler ") == 2


def test_account_is_a_choice(reconciler: Cli) -> None:
    code, _, err = reconciler("plan", "--emulator", "--account", "nobody")
    assert code == EXIT_USAGE and "'nobody' is not one of 'publisher', 'partner'" in err


def test_colour_follows_no_color_and_force_color(
    examples_project: Path, reconciler: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ("plan", "--emulator", "offers/customer-renewal.yaml")
    _, out, _ = reconciler(*args)
    assert "\x1b[" not in out  # not a terminal: plain
    monkeypatch.setenv("FORCE_COLOR", "1")
    _, out, _ = reconciler(*args)
    assert "\x1b[" in out
    _, out, _ = reconciler("--no-color", *args)
    assert "\x1b[" not in out
    monkeypatch.setenv("NO_COLOR", "1")
    _, out, _ = reconciler(*args)
    assert "\x1b[" not in out


def test_a_blocked_plan_is_labelled_blocked_never_no_changes() -> None:
    blocked = PlanSummary(counts={"blocked": 1}, has_changes=False, is_blocked=True)
    assert plan_labels(blocked, "offers:") == {"offers:blocked"}
    mixed = PlanSummary(counts={"update": 1, "blocked": 1}, has_changes=True, is_blocked=True)
    assert plan_labels(mixed, "offers:") == {"offers:blocked", "offers:changes"}
    nothing = PlanSummary(counts={}, has_changes=False, is_blocked=False)
    assert plan_labels(nothing, "offers:") == {"offers:no-changes"}


def test_validate_prints_its_result_on_stdout(examples_project: Path, reconciler: Cli) -> None:
    code, out, err = reconciler("validate")
    assert code == 0 and "11 file(s), 11 valid offer(s)" in out and "valid" not in err


@pytest.mark.parametrize(
    "text",
    [
        'offers = "deals"\n[plan]\nallow-republish = true\n',
        '[tool.reconciler]\noffers = "deals"\n[tool.reconciler.plan]\nallow-republish = true\n',
    ],
)
def test_reconciler_toml_takes_the_bare_and_the_pyproject_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reconciler: Cli, text: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reconciler.toml").write_text(text)
    (tmp_path / "deals").mkdir()
    code, out, err = reconciler("validate")
    assert code == 0, err
    assert "0 file(s), 0 valid offer(s)" in out


def test_reconciler_toml_refuses_both_forms_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reconciler: Cli
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "reconciler.toml").write_text('offers = "a"\n[tool.reconciler]\noffers = "b"\n')
    code, _, err = reconciler("validate")
    assert code == 1 and "either bare keys or one [tool.reconciler] table" in err
    assert "Traceback" not in err
