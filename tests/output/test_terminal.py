"""apply at a terminal, as Terraform users expect it: `yes` approves, Ctrl-C says what runs on."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply.outcome import ProgressEvent
from reconciler.errors import EXIT_CHANGES, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK

from .conftest import Cli

APPLY = ("apply", "--emulator", "offers/customer-percentage.yaml", "offers/customer-renewal.yaml")


def at_a_terminal(monkeypatch: pytest.MonkeyPatch, typed: str) -> None:
    """stdin is a terminal where the user types *typed*."""
    monkeypatch.setattr("reconciler.cli.apply.can_ask", lambda: True)
    monkeypatch.setattr(sys, "stdin", io.StringIO(typed))


def pending(reconciler: Cli) -> int:
    code, _, _ = reconciler("plan", "--emulator", "--detailed-exitcode", *APPLY[2:])
    return code


@pytest.mark.parametrize("typed", ["y\n", "Y\n", "\n", "no\n"])
def test_only_yes_approves(
    examples_project: Path, reconciler: Cli, monkeypatch: pytest.MonkeyPatch, typed: str
) -> None:
    at_a_terminal(monkeypatch, typed)
    code, out, err = reconciler(*APPLY)
    assert code == EXIT_ERROR, err
    assert "Only 'yes' will be accepted to approve." in err
    assert "apply cancelled (only 'yes' approves): nothing was sent" in err
    assert "Plan: 2 to create" in out
    assert pending(reconciler) == EXIT_CHANGES  # nothing was sent


def test_yes_applies_and_the_one_offer_fallback_is_one_info_line(
    examples_project: Path, reconciler: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    at_a_terminal(monkeypatch, "yes\n")
    code, _, err = reconciler(*APPLY)
    assert code == EXIT_OK, err
    assert "Enter a value" in err
    # The emulator answers a request of several offers as the documented samples suggest
    # (one offer each): that is expected, said once, and never sounds like a failure.
    # (A terminal echoes the typed `yes` and its newline; this stdin does not.)
    shown = err.replace("Enter a value: ", "Enter a value: yes\n")
    lines = [line for line in shown.splitlines() if "one offer per request" in line]
    assert lines == ["info: the service takes one offer per request; sending them one by one"]
    assert "refused" not in err
    assert pending(reconciler) == EXIT_OK


def test_ctrl_c_while_jobs_run_names_jobs_resume(
    examples_project: Path, reconciler: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconciler.cli import apply as apply_cli

    real = apply_cli.run_apply

    def interrupted_after_submit(*args: Any, progress: Any, **kwargs: Any) -> Any:
        def press_ctrl_c(event: ProgressEvent) -> None:
            progress(event)
            if event.kind == "submitted":
                raise KeyboardInterrupt

        return real(*args, progress=press_ctrl_c, **kwargs)

    monkeypatch.setattr(apply_cli, "run_apply", interrupted_after_submit)
    code, _, err = reconciler(*APPLY, "--auto-approve")
    assert code == EXIT_INTERRUPTED
    assert "go on running on the service" in err
    assert "`reconciler jobs resume` follows them" in err
    assert "aborted" not in err.lower()

    monkeypatch.setattr(apply_cli, "run_apply", real)
    code, out, err = reconciler("jobs", "resume", "--emulator")
    assert code == EXIT_OK, err
    assert "succeeded" in out


@pytest.mark.parametrize(("columns", "width"), [("72", 72), ("132", 132), (None, 100)])
def test_text_fits_the_terminal_width(
    examples_project: Path,
    reconciler: Cli,
    monkeypatch: pytest.MonkeyPatch,
    columns: str | None,
    width: int,
) -> None:
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)  # no terminal: a CI log's 100 columns
    else:
        monkeypatch.setenv("COLUMNS", columns)
    code, out, err = reconciler("plan", "--emulator")
    assert code == 0, err
    longest = max(len(line) for line in out.splitlines())
    assert longest <= width
    if columns == "132":
        assert longest > 100  # a wide terminal gets long lines unwrapped
