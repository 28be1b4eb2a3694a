"""The journal as a user meets it: a `${VAR}` SAS signature survives a killed apply and
`jobs resume` finishes it; a truncated journal names `jobs discard`, and apply works after."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reconciler.emulator.server import EmbeddedEmulator
from reconciler.errors import EXIT_ERROR, EXIT_OK
from tests.apply.cli_support import EMU, run, setup_project
from tests.apply.test_kill_and_rerun import _env, _in_project, _submitted

SECRET = "TOPSECRETsignature123"


def test_a_sas_template_survives_a_kill_and_jobs_resume_finishes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path
    (project / "offers").mkdir()
    source = Path(__file__).resolve().parents[2] / "offers"
    for name in ("customer-percentage.yaml", "customer-renewal.yaml", "csp-promotion.yaml"):
        (project / "offers" / name).write_text((source / name).read_text())
    offer = project / "offers" / "customer-percentage.yaml"
    text = offer.read_text()
    url = "https://contosolegal.blob.core.windows.net/terms/woodgrove-bank-msa-2027.pdf"
    offer.write_text(text.replace(url, url + "?sv=2024-01-01&sr=b&sig=${TERMS_SIG}"))
    (project / "reconciler.toml").write_text(
        'allow-sas-signature = true\nenv = ["TERMS_SIG"]\n'
        "[api]\nlost-response-wait = 1.0\n"
        "[apply]\nmax-resources-per-request = 1\nmax-concurrent-requests = 1\n"
        "poll-interval = 0.3\n"
    )
    env = {**_env(), "TERMS_SIG": SECRET}
    args = [sys.executable, "-m", "reconciler"]
    first = subprocess.Popen(
        [*args, "apply", "offers", "--auto-approve", *EMU],
        cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not _submitted(project):
        assert first.poll() is None, first.communicate()
        assert time.monotonic() < deadline, "no job was submitted"
        time.sleep(0.002)
    alive = first.poll() is None
    first.send_signal(signal.SIGKILL)
    first.communicate()
    assert alive, "apply finished before it could be killed"
    journal = next((project / ".reconciler" / "journal").glob("*.jsonl"))
    stored = journal.read_text()
    assert "sig=${TERMS_SIG}" in stored and SECRET not in stored
    assert oct(journal.stat().st_mode & 0o777) == oct(0o600)
    assert oct(journal.parent.stat().st_mode & 0o777) == oct(0o700)

    second = subprocess.run(
        [*args, "jobs", "resume", "--format", "json", *EMU],
        cwd=project, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert second.returncode == EXIT_OK, second.stderr
    result = json.loads(second.stdout)
    assert result["summary"]["succeeded"] == 3, result
    _in_project(project, monkeypatch)  # the look afterwards runs in-process
    monkeypatch.setenv("TERMS_SIG", SECRET)
    code, out, err = run("plan", "offers", "--detailed-exitcode", *EMU)
    assert code == EXIT_OK, out + err
    assert SECRET not in second.stdout + second.stderr + journal.read_text()


@pytest.mark.emulator(job_latency=0.05)
def test_a_truncated_journal_names_jobs_discard_and_apply_works_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator
) -> None:
    setup_project(tmp_path, monkeypatch, emu)
    path = "offers/customer-percentage.yaml"
    code, out, err = run("apply", path, "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    (journal,) = (tmp_path / ".reconciler" / "journal").glob("*.jsonl")
    whole = journal.read_text()
    journal.write_text(whole[: len(whole) // 3])  # the header itself torn off mid-record
    other = "offers/customer-renewal.yaml"
    code, out, err = run("apply", other, "--auto-approve", *EMU)
    assert code == EXIT_ERROR
    ident = journal.name.removesuffix(".jsonl")
    assert f"reconciler jobs discard {ident}" in err and "Traceback" not in err
    code, out, err = run("jobs", "list")
    assert code == EXIT_ERROR and "jobs discard" in err
    code, out, err = run("jobs", "discard", ident)
    assert code == EXIT_OK, out + err
    code, out, err = run("apply", other, "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    assert os.listdir(journal.parent)  # the discarded one is kept as evidence
