"""A stand-alone `reconciler emulator --tls --data DIR` keeps its CA across restarts: an
apply running while it restarts keeps polling and finishes (exit 0). A client that does not
trust the service's certificate, or whose status polls are refused as unauthorized, says so
at once, never waiting out its timeout."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from reconciler.emulator.envfile import read_env_file
from reconciler.emulator.server import EmbeddedEmulator
from reconciler.errors import EXIT_ERROR, EXIT_OK
from tests.apply.cli_support import EMU, run, setup_project
from tests.apply.conftest import EXAMPLES
from tests.apply.test_kill_and_rerun import _env
from tests.support.inprocess import run_reconciler_with

PYTHON = [sys.executable, "-m", "reconciler"]


class Standalone:
    """`reconciler emulator` as its own process, restartable on the same port and data."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.env_file = root / "emulator.env"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> dict[str, str]:
        self.env_file.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [*PYTHON, "emulator", "--tls", "--data", "emu", "--port", str(self.port),
             "--job-latency", "1.5", "--env-file", str(self.env_file)],
            cwd=self.root, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while not self.env_file.exists():
            assert self.proc.poll() is None, self.proc.communicate()
            assert time.monotonic() < deadline, "the emulator did not start"
            time.sleep(0.02)
        time.sleep(0.05)  # the file is written in one go; let it land
        return self.env()

    def env(self) -> dict[str, str]:
        """What a client of the running emulator needs."""
        env = {**_env(), **read_env_file(self.env_file)}
        return {**env, "XDG_STATE_HOME": str(self.root / "state")}

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.communicate()
            self.proc = None


@pytest.fixture
def standalone(tmp_path: Path) -> Iterator[Standalone]:
    emulator = Standalone(tmp_path)
    try:
        yield emulator
    finally:
        emulator.stop()


def _checkout(root: Path) -> Path:
    shutil.copytree(EXAMPLES, root / "offers", ignore=shutil.ignore_patterns("partner"))
    # A request in flight when the emulator stops has its answer lost: its effect is looked
    # for during twice the job latency before it may be sent again.
    settings = "[api]\nlost-response-wait = 3\n[apply]\npoll-interval = 0.05\n"
    (root / "reconciler.toml").write_text(settings)
    return root


def test_an_apply_outlives_a_restart_of_the_emulator(
    tmp_path: Path, standalone: Standalone
) -> None:
    env = standalone.start()
    root = _checkout(tmp_path / "repo")
    journal = root / ".reconciler" / "journal"

    def restart_once_jobs_run() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any('"t": "submitted"' in p.read_text() for p in journal.glob("*.jsonl")):
                break
            time.sleep(0.01)
        standalone.stop()
        standalone.start()

    restarter = threading.Thread(target=restart_once_jobs_run, daemon=True)
    restarter.start()
    code, out, err = run_reconciler_with(root, env, "apply", "offers", "--auto-approve")
    restarter.join()
    assert code == EXIT_OK, out + err
    code, out, err = run_reconciler_with(root, env, "plan", "offers", "--detailed-exitcode")
    assert code == EXIT_OK, out + err  # every offer once: nothing left to create

    # A client that trusts another CA says so at once: no retry, no wait for a timeout.
    other = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    untrusting = {**standalone.env(), "SSL_CERT_FILE": str(other)}
    code, out, err = run_reconciler_with(root, untrusting, "apply", "offers", "--auto-approve")
    assert code == EXIT_ERROR, out + err
    assert "not trusted" in err and "Traceback" not in err
    assert "attempt" not in err


@pytest.mark.emulator(job_latency=0.6)
def test_status_polls_refused_as_unauthorized_end_the_apply_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator
) -> None:
    setup_project(tmp_path, monkeypatch, emu)
    emu.admin.add_fault("status", "configure/*/status", method="GET", status=401,
                        code="InvalidAuthenticationToken", message="Token rejected.")  # fmt: skip
    code, out, err = run("apply", "offers/csp-promotion.yaml", "--auto-approve", *EMU)
    assert code == EXIT_ERROR, out + err
    assert "401" in err and "Token rejected" in err and "Traceback" not in err
    assert "still waiting" not in err and "job still running" not in out
    # Nothing was lost: the journal holds the job, which the next run follows.
    emu.admin.clear_faults()
    code, out, err = run("apply", "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
