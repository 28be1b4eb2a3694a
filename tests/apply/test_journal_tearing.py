"""A journal that survives torn writes: a torn last record (a run killed mid-write) is cut
off by the next apply, which says so and converges; a disk that fills mid-run, or a
read-only journal folder, is a clear error naming the journal, and nothing is sent twice."""

from __future__ import annotations

import errno
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from reconciler.apply import journal as journal_module
from reconciler.apply.journal import read_state
from reconciler.apply.journal_frame import check
from reconciler.emulator.server import EmbeddedEmulator
from reconciler.errors import EXIT_ERROR, EXIT_JOBS_RUNNING, EXIT_OK
from tests.apply.cli_support import EMU, posts, run, setup_project
from tests.apply.conftest import client, fast_settings


def active_names(emu: EmbeddedEmulator) -> Counter[str]:
    with client(emu, fast_settings(Path.cwd())) as c:
        return Counter(
            str(o["name"]) for o in c.list_offers() if o.get("state") in ("live", "draft")
        )


def converged(emu: EmbeddedEmulator) -> None:
    """Every example offer live exactly once, nothing left to plan, the journals whole."""
    names = active_names(emu)
    assert names and set(names.values()) == {1}, names
    code, out, err = run("plan", "--detailed-exitcode", *EMU)
    assert code == EXIT_OK, out + err
    for path in (Path.cwd() / ".reconciler" / "journal").glob("*.jsonl"):
        text = path.read_text(encoding="utf-8")
        assert text.endswith("\n") and all(check(line) for line in text.splitlines())
        assert read_state(path).closed


@pytest.mark.emulator(job_latency=0.6)
def test_a_torn_last_record_is_cut_off_and_the_next_apply_converges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator
) -> None:
    setup_project(tmp_path, monkeypatch, emu)
    code, out, err = run("apply", "--auto-approve", "--timeout", "0.2", *EMU)
    assert code == EXIT_JOBS_RUNNING, out + err
    code, out, err = run("jobs", "list", "--format", "json")
    (journal,) = [Path(j["path"]) for j in json.loads(out)]  # kept for the next apply
    whole = journal.read_bytes()
    with journal.open("ab") as handle:  # a run killed in the middle of its next record
        handle.write(b'{"at": "2026-12-07T10:00:00.000+00:00", "job_id": "3f2')
    emu.admin.settings(job_latency=0.05)
    code, out, err = run("apply", "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    assert "torn" in err and journal.name in err and "Traceback" not in err
    here = tmp_path / ".reconciler" / "journal" / journal.name  # taken into the checkout
    assert here.read_bytes().startswith(whole)
    converged(emu)


@pytest.mark.emulator(job_latency=0.05)
def test_a_disk_that_fills_mid_run_is_named_and_the_next_apply_sends_nothing_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator
) -> None:
    setup_project(tmp_path, monkeypatch, emu)
    real = journal_module._write

    def full_disk(fd: int, data: bytes) -> int:
        # The disk fills while the job id of an accepted request is being written: half
        # the record reaches the file, then ENOSPC.
        if b'"t": "submitted"' in data:
            real(fd, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, data)

    with monkeypatch.context() as patch:
        patch.setattr(journal_module, "_write", full_disk)
        code, out, err = run("apply", "--auto-approve", *EMU)
    assert code == EXIT_ERROR, out + err
    assert "disk is full" in err and ".reconciler/journal/" in err
    assert "bug" not in err and "Traceback" not in err
    code, out, err = run("apply", "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    converged(emu)


@pytest.mark.emulator(job_latency=0.05)
def test_a_read_only_journal_folder_is_named_before_anything_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator
) -> None:
    setup_project(tmp_path, monkeypatch, emu)
    real = os.open

    def read_only(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if "/.reconciler/journal/" in str(path) and flags & (os.O_WRONLY | os.O_RDWR):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real(path, flags, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(os, "open", read_only)
        code, out, err = run("apply", "--auto-approve", *EMU)
    assert code == EXIT_ERROR, out + err
    assert "read-only" in err and ".reconciler/journal/" in err
    assert "bug" not in err and "Traceback" not in err
    assert not active_names(emu) and posts(emu) == 0
