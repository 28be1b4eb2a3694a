"""The `local` backend carries open jobs between checkouts on one machine: checkout A's
apply exits 6 with jobs still running; checkout B's apply follows them before planning, and
every offer is live exactly once."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from reconciler.emulator.server import EmbeddedEmulator
from reconciler.errors import EXIT_JOBS_RUNNING, EXIT_OK
from tests.apply.cli_support import FAST, posts, run, setup_project
from tests.apply.conftest import EXAMPLES, client, fast_settings

EXAMPLE_OFFERS = 10


# A multi-offer request refused with a 400 (not failed in its job): A leaves one job per
# offer open, which is what B must follow.
@pytest.mark.emulator(job_latency=1.5, multi_offer_requests="refused")
def test_checkout_b_follows_the_jobs_checkout_a_left_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator
) -> None:
    # One service for both checkouts: the same emulator, keyed by the same data folder.
    shared = ["--emulator", "--emulator-data", str(tmp_path / "emu")]
    one = tmp_path / "a"
    one.mkdir()
    setup_project(one, monkeypatch, emu)
    code, out, err = run("apply", "--auto-approve", "--timeout", "0.2", *shared)
    assert code == EXIT_JOBS_RUNNING, out + err
    sent = posts(emu)

    two = tmp_path / "b"
    shutil.copytree(EXAMPLES, two / "offers", ignore=shutil.ignore_patterns("partner"))
    (two / "reconciler.toml").write_text(FAST)
    monkeypatch.chdir(two)
    code, out, err = run("apply", "--auto-approve", *shared)
    assert code == EXIT_OK, out + err
    assert "left jobs open" in err
    assert posts(emu) == sent  # B followed A's jobs: nothing sent twice
    with client(emu, fast_settings(two)) as api:
        names = Counter(str(o["name"]) for o in api.list_offers() if o["state"] == "live")
    assert len(names) == EXAMPLE_OFFERS and set(names.values()) == {1}, names
    code, out, err = run("plan", "--detailed-exitcode", *shared)
    assert code == EXIT_OK, out + err

    monkeypatch.chdir(one)  # A's next run has nothing left to follow or send
    code, out, err = run("jobs", "list", "--format", "json")
    assert code == EXIT_OK and json.loads(out) == []
    code, out, err = run("apply", "--auto-approve", *shared)
    assert code == EXIT_OK, out + err
    assert posts(emu) == sent
