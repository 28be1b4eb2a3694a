"""``reconciler plan`` and ``reconciler drift`` as a user runs them, against the emulator."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from reconciler.api.connect import connect_emulator
from reconciler.cli import cli
from reconciler.cli.common import run
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.server import EmbeddedEmulator
from reconciler.offers.loader import load_offer_files
from reconciler.plan.live import fetch_live
from reconciler.plan.plan import Plan
from reconciler.plan.planner import make_plan
from reconciler.settings import Settings

from .conftest import CUSTOMER, REPO


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git checkout with one committed offer file and an emulator data directory."""
    monkeypatch.chdir(tmp_path)
    for name in (
        "NO_COLOR",
        "RECONCILER_ROLE",
        "RECONCILER_ENDPOINT",
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
    ):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "reconciler.toml").write_text('offers = "offers"\n[apply]\npoll-interval = 0.01\n')
    (tmp_path / "offers").mkdir()
    text = CUSTOMER.format(name="Tailspin Analytics", state="live", discount=5, extra="")
    (tmp_path / "offers" / "tailspin.yaml").write_text(text)
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "offers")
    return tmp_path


def _apply_current_files(project: Path, *, drift: dict | None = None) -> None:
    """Bring the files live in the persistent emulator data, optionally drifting a field."""
    settings = Settings(root=project)
    files = load_offer_files([project / "offers"], settings, strict=False)
    config = EmulatorConfig(data_dir=project / ".reconciler" / "emulator", tls=True, admin=True)
    with (
        EmbeddedEmulator(config) as emu,
        connect_emulator(emu, settings, env={}, writes=True) as client,
    ):
        plan = make_plan(files, fetch_live(client), settings)
        for change in plan.actionable:
            for step in change.steps:
                job = client.configure(step.resources)
                status = client.wait_for_jobs([job.job_id], interval=0.01, timeout=30)
                assert status[job.job_id].succeeded
        if drift:
            offer = next(iter(client.list_offers()))
            emu.admin.edit(offer["id"], drift)


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(cli, list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_plan_outputs_and_exit_codes(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _cli(
        capsys,
        "plan",
        "--emulator",
        "--format",
        "json",
        "--out",
        "plan.json",
        "--markdown-out",
        "plan.md",
        "--detailed-exitcode",
    )
    assert code == 2, err
    schema = json.loads((REPO / "schemas" / "plan.schema.json").read_text())
    jsonschema.validate(json.loads(out), schema)
    saved = Plan.from_json((project / "plan.json").read_text())
    assert saved.summary()["create"] == 1
    assert "<details" in (project / "plan.md").read_text()

    code, out, _ = _cli(capsys, "plan", "--emulator")
    assert code == 0 and "1 to create" in out and "\x1b[" not in out

    _apply_current_files(project)
    code, out, _ = _cli(capsys, "plan", "--emulator", "--detailed-exitcode")
    assert code == 0 and "No changes" in out

    # a withdrawal of every managed offer is blocked (exit 3) unless forced
    path = project / "offers" / "tailspin.yaml"
    path.write_text(path.read_text().replace("state: live", "state: withdrawn"))
    code, out, _ = _cli(capsys, "plan", "--emulator")
    assert code == 3 and "withdraw or delete every managed offer" in out
    code, out, _ = _cli(capsys, "plan", "--emulator", "--force", "--detailed-exitcode")
    assert code == 2 and "1 to withdraw" in out


def test_plan_reports_invalid_files_without_traceback(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "offers" / "broken.yaml").write_text(
        "privateOfferType: customerPromotion\nname: [\n"
    )
    code, _, err = _cli(capsys, "plan", "--emulator")
    assert code == 1 and "broken.yaml" in err and "Traceback" not in err


def test_drift_tells_outside_git_from_pending(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _cli(capsys, "drift", "--emulator")
    assert code == 2 and "1 pending from git" in out

    _apply_current_files(project, drift={"preparedBy": "mallory@contoso.com"})
    code, out, _ = _cli(
        capsys, "drift", "--emulator", "--format", "json", "--markdown-out", "drift.md"
    )
    assert code == 2
    data = json.loads(out)
    assert data["counts"]["outside"] == 1 and data["outside"][0]["fields"] == ["preparedBy"]
    assert "Changed outside git" in (project / "drift.md").read_text()

    shutil.rmtree(project / ".reconciler")
    _apply_current_files(project)
    code, out, _ = _cli(capsys, "drift", "--emulator")
    assert code == 0 and "No drift" in out
