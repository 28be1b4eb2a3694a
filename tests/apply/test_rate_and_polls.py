"""Apply within the rate budget, through `reconciler apply` against the emulator: a storm
of 429s with Retry-After is waited out (the advertised time) without a duplicate, and the
jobs are polled about once each instead of once per interval each."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.emulator.server import EmbeddedEmulator
from reconciler.errors import EXIT_OK
from tests.apply.cli_support import EMU, FAST, run, setup_project
from tests.apply.conftest import client, fast_settings

ONE_PER_REQUEST = """
max-resources-per-request = 1
max-concurrent-requests = 8
"""


def configure(root: Path, **apply: float) -> None:
    extra = "".join(f"{key} = {value}\n" for key, value in apply.items())
    text = FAST + ONE_PER_REQUEST + extra
    (root / "reconciler.toml").write_text(text)


def live_names(emu: EmbeddedEmulator) -> list[str]:
    with client(emu, fast_settings(Path.cwd())) as c:
        return [str(o["name"]) for o in c.list_offers() if o.get("state") != "deleted"]


def test_a_429_storm_is_waited_out_and_every_offer_is_created_once(
    emu: EmbeddedEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    setup_project(tmp_path, monkeypatch, emu)
    configure(tmp_path)
    # Throttled submissions and throttled status polls.
    emu.admin.add_fault("status", "configure", method="POST", status=429, retry_after=0.2, count=5)
    emu.admin.add_fault("status", "configure/*/status", status=429, retry_after=0.2, count=5)
    code, out, err = run("apply", "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    # The advertised wait, not the 0.01 s backoff of these settings.
    assert "retrying in 0.2 s" in err
    stats = emu.admin.stats()
    names = live_names(emu)
    assert len(names) == len(set(names)) > 5  # every offer once, no duplicate
    jobs = stats["POST configure"] - 5
    assert jobs >= len(names)
    assert stats["GET configure/{id}/status"] >= jobs + 5
    # Refused requests created nothing; a second apply finds nothing to do.
    code, out, _ = run("plan", "--detailed-exitcode", *EMU)
    assert code == EXIT_OK, out


@pytest.mark.emulator(job_latency=0.4)
def test_jobs_are_polled_about_once_each_not_once_per_interval(
    emu: EmbeddedEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup_project(tmp_path, monkeypatch, emu)
    interval, latency = 0.05, 0.4
    configure(tmp_path)
    text = (
        (tmp_path / "reconciler.toml")
        .read_text()
        .replace("poll-interval = 0.02", f"poll-interval = {interval}")
    )
    (tmp_path / "reconciler.toml").write_text(text)
    code, out, err = run("apply", "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    stats = emu.admin.stats()
    jobs, polls = stats["POST configure"], stats["GET configure/{id}/status"]
    assert jobs > 5
    # Polling every open job once per interval until it is done costs latency / interval
    # polls per job (8 here); the schedule polls each job when it should be done, after a
    # few probes (one per quarter interval until the first job is seen done).
    naive = jobs * latency / interval
    assert jobs <= polls <= jobs + 4 * latency / interval + 1 < naive
