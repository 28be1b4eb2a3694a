"""Saved plans, journals and every output keep templates, never an expanded SAS signature.

The scenario CI runs: an offer's terms URL ends in ``sig=${TERMS_SIG}``; ``plan --out``,
``apply`` of that plan, then the signature is rotated and the next plan shows the live
offer's URL (holding the *old* signature, which this run never expanded) as the ``old``
value. Each command runs in-process with the secret registry emptied first, as a fresh
process would start, so only templating and pattern redaction can keep the values out.
"""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import httpx
import pytest

from reconciler.cli import cli
from reconciler.cli.common import run
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.server import EmbeddedEmulator
from reconciler.secrets import REGISTRY, redact
from tests.reliability.support import EXAMPLES

SIG_1 = "CANARYsigOne0123456789abcdefXYZ%3D"
SIG_2 = "CANARYsigTwo9876543210fedcbaQRS%3D"
TERMS = (
    "https://contosolegal.blob.core.windows.net/terms/woodgrove.pdf"
    "?sv=2022-11-02&sr=b&sp=r&se=2027-12-31&sig=${TERMS_SIG}"
)
EMU = ("--emulator", "--emulator-data", "emu")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("RECONCILER_ENDPOINT", "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)
    offers = tmp_path / "offers"
    shutil.copytree(EXAMPLES, offers, ignore=shutil.ignore_patterns("partner"))
    path = offers / "customer-percentage.yaml"
    text = path.read_text()
    start = text.index("termsAndConditionsDocSasUrl: ")
    end = text.index("\n", start)
    path.write_text(text[:start] + f"termsAndConditionsDocSasUrl: {TERMS}" + text[end:])
    (tmp_path / "reconciler.toml").write_text(
        'env = ["TERMS_SIG"]\n[apply]\npoll-interval = 0.02\n'
    )
    return tmp_path


def fresh_run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    REGISTRY.clear()  # a new process knows no secret yet
    code = run(cli, list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


def live_terms(project: Path) -> list[str]:
    # The full offers, not the list's summaries: the terms URL is what is looked at.
    config = EmulatorConfig(data_dir=project / "emu", static_tokens=True, list_shape="full")
    with EmbeddedEmulator(config) as emu:
        offers = httpx.get(
            emu.api_url + "/private-offer/query?$version=2023-07-15",
            headers={"Authorization": "Bearer emulator:publisher"},
        ).json()["privateOffers"]
    return [str(o.get("termsAndConditionsDocSasUrl")) for o in offers]


def test_plan_apply_and_replan_keep_the_signature_out_of_every_file_and_output(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs: list[str] = []
    monkeypatch.setenv("TERMS_SIG", SIG_1)
    code, out = fresh_run(
        capsys, "plan", "offers", "--out", "plan.json", "--markdown-out", "plan.md", *EMU
    )
    assert code == 0, out
    outputs.append(out)
    saved = (project / "plan.json").read_text()
    assert "sig=${TERMS_SIG}" in saved  # the template is what the plan keeps
    for written in ("plan.json", "plan.md"):  # owner-only, like the journals
        assert stat.S_IMODE((project / written).stat().st_mode) == 0o600, written
    code, out = fresh_run(capsys, "apply", "plan.json", "--auto-approve", *EMU)
    assert code == 0, out
    outputs.append(out)
    # The real signature did reach the API (so a leak had something to leak).
    assert any(SIG_1 in url for url in live_terms(project))

    # Rotated: the live URL (SIG_1) is now the old value of a change.
    monkeypatch.setenv("TERMS_SIG", SIG_2)
    for fmt in ("text", "json"):
        code, out = fresh_run(
            capsys, "plan", "offers", "--format", fmt, "--out", f"replan-{fmt}.json",
            "--markdown-out", "replan.md", "--allow-republish", *EMU,
        )  # fmt: skip
        assert code == 0, out
        outputs.append(out)
    replan = json.loads((project / "replan-text.json").read_text())
    olds = [
        fc["old"]
        for change in replan["changes"]
        for fc in change.get("field_changes", change.get("fields", []))
        if "termsAndConditionsDocSasUrl" in json.dumps(fc)
    ]
    assert olds, "the rotated URL must show as a change"
    assert all("sig=***" in str(old) for old in olds), olds
    code, out = fresh_run(capsys, "apply", "replan-text.json", "--auto-approve", *EMU)
    assert code == 0, out
    outputs.append(out)
    assert any(SIG_2 in url for url in live_terms(project))

    scanned = 0
    for path in sorted(project.rglob("*")):
        if path.is_file() and path.relative_to(project).parts[0] not in ("emu", "offers"):
            text = path.read_text("utf-8", "replace")
            scanned += 1
            for sig in (SIG_1, SIG_2, SIG_1.removesuffix("%3D"), SIG_2.removesuffix("%3D")):
                assert sig not in text, f"signature leaked in {path.relative_to(project)}"
    assert scanned >= 6  # plans, markdown, journals
    assert any(".reconciler" in str(p) for p in project.rglob("*.jsonl")) or any(
        (project / ".reconciler").rglob("*")
    )
    for out in outputs:
        assert SIG_1.removesuffix("%3D") not in out and SIG_2.removesuffix("%3D") not in out


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "https://a.blob.core.windows.net/t/x.pdf?sv=2022-11-02&se=2027&sig=AbC%2Fd%3D",
            "https://a.blob.core.windows.net/t/x.pdf?sv=***&se=***&sig=***",
        ),
        (
            "https%3A%2F%2Fa.example%2Fx%3Fsv%3D2022%26sig%3DAbCd%26se%3D1",
            "https%3A%2F%2Fa.example%2Fx%3Fsv%3D***%26sig%3D***%26se%3D***",
        ),
        ("next: /x?foo=1&sig%3DAbCd", "next: /x?foo=1&sig%3D***"),
        ("https://a.example/x?sv=1&sig=${TERMS_SIG}", "https://a.example/x?sv=1&sig=${TERMS_SIG}"),
        ("https://example.com/page?q=1&design=2", "https://example.com/page?q=1&design=2"),
    ],
)
def test_redaction_covers_every_query_value_of_a_sas_url(text: str, shown: str) -> None:
    assert redact(text) == shown
