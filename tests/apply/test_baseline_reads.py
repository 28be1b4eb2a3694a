"""``plan --baseline REF`` reads the offer files at REF whatever their names or bytes, and
with a fixed number of git processes however many files there are."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from reconciler.emulator.server import EmbeddedEmulator
from reconciler.errors import EXIT_BLOCKED, EXIT_CHANGES, EXIT_OK
from tests.apply.cli_support import EMU, git, run, setup_project

SPACED = "offers/customer absolute.yaml"
LATIN = "offers/customer-percentage.yaml"


def _field_origins(plan: dict[str, object], file: str) -> dict[str, str]:
    changes = plan["changes"]
    assert isinstance(changes, list)
    (change,) = [c for c in changes if c["file"] == file]
    return {f["path"]: f["origin"] for f in change["field_changes"]}


@pytest.fixture
def edited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator) -> Path:
    """Two live offers; at main one file has a space in its name and the other is Latin-1;
    since main both have a new ``preparedBy``."""
    setup_project(tmp_path, monkeypatch, emu)
    Path("offers/customer-absolute.yaml").rename(SPACED)
    code, out, err = run("apply", SPACED, LATIN, "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    (tmp_path / ".gitignore").write_text("emu/\n.reconciler/\n*.json\n")
    utf8 = Path(LATIN).read_bytes()
    Path(LATIN).write_bytes(b"# r\xe9sum\xe9 (Latin-1)\n" + utf8)
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "offers")
    Path(LATIN).write_bytes(utf8)
    for name in (SPACED, LATIN):
        path = Path(name)
        path.write_text(path.read_text().replace("preparedBy: amy@", "preparedBy: bob@"))
    return tmp_path


def test_a_baseline_file_with_a_space_is_read_and_one_not_in_utf8_stays_unknown(
    edited: Path,
) -> None:
    args = ["plan", SPACED, LATIN, "--baseline", "main", "--allow-republish"]
    code, out, err = run(*args, "--detailed-exitcode", "--out", "plan.json", *EMU)
    assert code == EXIT_BLOCKED, out + err  # the absolute one is protected
    assert "Traceback" not in out + err
    plan = json.loads(Path("plan.json").read_text())
    assert _field_origins(plan, SPACED)["preparedBy"] == "git"  # read at main
    assert _field_origins(plan, LATIN)["preparedBy"] == "unknown"  # no baseline to compare


def test_the_baseline_is_read_by_a_fixed_number_of_git_processes(
    edited: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 40 more offer files at main (copies under other names), none changed since.
    text = Path(SPACED).read_text()
    for i in range(40):
        Path(f"offers/copy-{i:02}.yaml").write_text(text.replace("fixed price", f"copy {i}"))
    git(edited, "add", ".")
    git(edited, "commit", "-q", "-m", "more offers")
    # A git that logs each start, first on PATH.
    shim = tmp_path / "bin"
    shim.mkdir()
    log = tmp_path / "git.log"
    real = next(
        Path(d) / "git"
        for d in os.environ["PATH"].split(os.pathsep)
        if (Path(d) / "git").is_file() and d != str(shim)
    )
    (shim / "git").write_text(f'#!/bin/sh\necho "$1" >> {log}\nexec {real} "$@"\n')
    (shim / "git").chmod(stat.S_IRWXU)
    monkeypatch.setenv("PATH", f"{shim}{os.pathsep}{os.environ['PATH']}")
    code, out, err = run("plan", "--baseline", "HEAD", "--allow-republish", *EMU)
    assert code in (EXIT_OK, EXIT_CHANGES), out + err
    started = log.read_text().split()
    # Every file is read at HEAD (42 of them): one process reads them all.
    assert started.count("cat-file") <= 3 and "show" not in started, started
    assert len(started) < 20, started
