"""Recovery advice never duplicates: `jobs discard` and `lock release` ask the service and
refuse while the interrupted run's jobs are queued or running (unless --force), and say to
wait or run `jobs resume`; once the jobs have ended they go ahead."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reconciler.emulator.server import EmbeddedEmulator
from reconciler.errors import EXIT_ERROR, EXIT_JOBS_RUNNING, EXIT_OK
from tests.apply.cli_support import EMU, posts, run, setup_project
from tests.apply.conftest import client, fast_settings


@pytest.mark.emulator(job_latency=30.0)
def test_discard_and_lock_release_refuse_while_jobs_are_queued(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator
) -> None:
    setup_project(tmp_path, monkeypatch, emu)
    code, out, err = run("apply", "--auto-approve", "--timeout", "0.2", *EMU)
    assert code == EXIT_JOBS_RUNNING, out + err
    # The open journal waits in the state directory for the next apply of any checkout.
    code, out, err = run("jobs", "list", "--format", "json")
    ((ident, path),) = [(j["id"], j["path"]) for j in json.loads(out)]
    journal = Path(path)
    sent = posts(emu)

    code, out, err = run("jobs", "discard", ident, *EMU)
    assert code == EXIT_ERROR, out + err
    assert "refusing to discard" in err and "jobs resume" in err
    assert re.search(r"job [0-9a-f-]+ is (notStarted|running)", err), err
    assert journal.exists()

    code, out, err = run("lock", "status", *EMU)
    (lock_id,) = re.findall(r"lock ([0-9a-f]{12}):", out)
    assert "left with jobs open" in out
    code, out, err = run("lock", "release", lock_id, *EMU)
    assert code == EXIT_ERROR, out + err
    assert "refusing to release" in err and "jobs resume" in err
    assert "left with jobs open" in run("lock", "status", *EMU)[1]

    # The corrupt-journal advice leads to the same check, not to a second copy of every offer.
    lines = journal.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace('"t": "intent"', '"t": "intent", "x": 1')  # checksum fails
    journal.write_text("".join(lines), encoding="utf-8")
    code, out, err = run("apply", "--auto-approve", *EMU)
    assert code == EXIT_ERROR and f"jobs discard {ident}" in err and "wait" in err
    code, out, err = run("jobs", "discard", ident, *EMU)
    assert code == EXIT_ERROR and "refusing to discard" in err
    assert posts(emu) == sent  # nothing was sent by any of it

    # Once the jobs have ended (cancelled here), discarding is allowed.
    with client(emu, fast_settings(tmp_path)) as api:
        for job_id in re.findall(r"job ([0-9a-f-]+) is", err):
            api.cancel_job(job_id)
    code, out, err = run("jobs", "discard", ident, *EMU)
    assert code == EXIT_OK, out + err
    (lock_id,) = re.findall(r"lock ([0-9a-f]{12}):", run("lock", "status", *EMU)[1])
    code, out, err = run("lock", "release", lock_id, *EMU)
    assert code == EXIT_OK, out + err
