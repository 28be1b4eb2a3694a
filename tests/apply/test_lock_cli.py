"""The apply lock as users meet it: two checkouts applying at once against one stand-alone
emulator process create every offer once; a held lock makes apply exit 7 naming its holder;
`reconciler lock status|release`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.emulator.envfile import read_env_file
from reconciler.errors import EXIT_LOCKED, EXIT_OK
from reconciler.state.lock import LocalLock, state_dir
from tests.apply.conftest import EXAMPLES
from tests.apply.test_kill_and_rerun import _env
from tests.support.inprocess import run_reconciler_with

PYTHON = [sys.executable, "-m", "reconciler"]


@pytest.fixture
def standalone(tmp_path: Path) -> Iterator[dict[str, str]]:
    """`reconciler emulator` in its own process; the variables a client needs to use it."""
    env_file = tmp_path / "emulator.env"
    proc = subprocess.Popen(
        [*PYTHON, "emulator", "--tls", "--port", "0", "--job-latency", "0.3",
         "--env-file", str(env_file)],
        cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while not env_file.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the emulator did not start"
        time.sleep(0.05)
    time.sleep(0.05)  # the file is written in one go; let it land
    try:
        yield {**_env(), **read_env_file(env_file), "XDG_STATE_HOME": str(tmp_path / "state")}
    finally:
        # SIGTERM, not SIGINT: a child of a non-interactive shell's background job inherits
        # SIGINT ignored, and the in-memory emulator has nothing to save on the way out.
        proc.terminate()
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def checkout(root: Path) -> Path:
    shutil.copytree(EXAMPLES, root / "offers", ignore=shutil.ignore_patterns("partner"))
    (root / "reconciler.toml").write_text("[apply]\npoll-interval = 0.05\n")
    return root


def reconciler(cwd: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*PYTHON, *args], cwd=cwd, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def live_names(env: dict[str, str], cwd: Path, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    from reconciler.api.connect import open_client
    from reconciler.settings import load_settings

    monkeypatch.setenv("SSL_CERT_FILE", env["SSL_CERT_FILE"])  # the emulator's own CA
    settings = load_settings(cwd)
    endpoint = env["RECONCILER_ENDPOINT"]
    with open_client(settings, endpoint=endpoint, env=env, insecure_loopback=True) as client:
        return Counter(
            str(o["name"]) for o in client.list_offers() if o["state"] in ("draft", "live")
        )


def test_two_applies_at_once_from_two_checkouts_create_each_offer_once(
    tmp_path: Path, standalone: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    one, two = checkout(tmp_path / "one"), checkout(tmp_path / "two")
    args = ("apply", "offers", "--auto-approve", "--lock-timeout", "120", "--format", "json")
    first = reconciler(one, standalone, *args)
    second = reconciler(two, standalone, *args)
    results = [p.communicate(timeout=150) for p in (first, second)]
    for proc, (_out, err) in zip((first, second), results, strict=True):
        assert proc.returncode == EXIT_OK, err
    names = live_names(standalone, one, monkeypatch)
    assert len(names) == 10 and max(names.values()) == 1, names
    summaries = [json.loads(out)["summary"]["succeeded"] for out, _ in results]
    assert sorted(summaries) == [0, 10]  # the second one found nothing left to do
    for root in (one, two):  # in this process: an interpreter's start-up saved per command
        code, out, err = run_reconciler_with(
            root, standalone, "plan", "offers", "--detailed-exitcode"
        )
        assert code == EXIT_OK, out + err


def test_a_held_lock_exits_7_naming_its_holder_and_lock_status_shows_it(
    tmp_path: Path, standalone: dict[str, str]
) -> None:
    root = checkout(tmp_path / "one")
    target = standalone["RECONCILER_ENDPOINT"].rstrip("/")
    account = f"{standalone['AZURE_TENANT_ID']}/{standalone['AZURE_CLIENT_ID']}"
    env_before = dict(os.environ)
    os.environ["XDG_STATE_HOME"] = standalone["XDG_STATE_HOME"]
    try:
        holder = LocalLock(state_dir(target, account), target=target, account=account)
        info = holder.acquire()
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    try:
        # None of these three changes the held lock: they run side by side.
        proc = reconciler(root, standalone, "apply", "offers", "--auto-approve")
        status = reconciler(root, standalone, "lock", "status")
        release = reconciler(root, standalone, "lock", "release", info.id)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == EXIT_LOCKED, out + err
        assert info.id in err and "--lock-timeout" in err
        out, err = status.communicate(timeout=60)
        assert info.id in out and "[held]" in out, out + err
        out, err = release.communicate(timeout=60)
        assert release.returncode != EXIT_OK and "running process" in err
    finally:
        holder.release(open_jobs=True)  # as a run that ended with jobs open
    # One after the other from here: in this process (no interpreter start-up per command).
    code, out, err = run_reconciler_with(root, standalone, "lock", "status")
    assert "left with jobs open" in out, out + err
    code, out, err = run_reconciler_with(root, standalone, "lock", "release", info.id)
    assert code == EXIT_OK, out + err
    assert "No apply holds the lock." in run_reconciler_with(root, standalone, "lock", "status")[1]
