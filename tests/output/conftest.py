"""Fixtures for what users see: a git project holding the example offers, and the CLI."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.cli import cli
from reconciler.cli.common import run

REPO = Path(__file__).resolve().parents[2]


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


class Cli:
    """``reconciler ...`` as a user runs it: (exit code, stdout, stderr)."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = run(cli, list(args))
        out = self.capsys.readouterr()
        return code, out.out, out.err


@pytest.fixture
def reconciler(capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(capsys)


@pytest.fixture
def examples_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A git checkout of the example offers (one discount set to 8) and emulator settings."""
    monkeypatch.chdir(tmp_path)
    for name in ("NO_COLOR", "FORCE_COLOR", "RECONCILER_ROLE", "RECONCILER_ENDPOINT", "CI"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "reconciler.toml").write_text('offers = "offers"\n[apply]\npoll-interval = 0.01\n')
    shutil.copytree(REPO / "offers", tmp_path / "offers")
    path = tmp_path / "offers" / "customer-percentage.yaml"
    path.write_text(path.read_text().replace("discountPercentage: 10", "discountPercentage: 8", 1))
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "offers")
    yield tmp_path
