"""Text from live offers is data: never expanded as a ``${NAME}`` template, whoever wrote it.

Only an offer file's own ``${NAME}`` strings are templates, expanded once when the request is
sent and only for the names the settings allow. These tests plant ``${...}`` in live offers
(an originator's text the selling partner re-sends, a field a ``plan.ignore`` rule keeps),
set the named variables to canaries in the applying process, and check every request body
sent, every file written, the output and the live offers afterwards.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.api.client import ProductIngestionClient
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.server import EmbeddedEmulator
from reconciler.plan.plan import _checksum
from tests.apply.cli_support import EMU, run, setup_project
from tests.support.github_server import GitHubServer

TOKEN = "ghs_CANARYlivetexttoken0123456789"
TOKEN_URL = "https://canary-token-request.example/CANARYurl"
CLIENT_SECRET = "CANARY-client-secret-live-text-93b1"
CANARIES = (TOKEN, TOKEN_URL, CLIENT_SECRET, "CANARY")
ORIGINATOR_TEXT = "Adventure Works ${GITHUB_TOKEN} in ${CURRENCY}"
DOC_NAME = "Terms ${ACTIONS_ID_TOKEN_REQUEST_URL}"
IGNORED = "${AZURE_CLIENT_SECRET}@contoso.com"


@pytest.fixture
def emu() -> Iterator[EmbeddedEmulator]:
    with EmbeddedEmulator(EmulatorConfig(tls=True, admin=True, job_latency=0.0)) as emulator:
        yield emulator


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every configure body the reconciler sends, as JSON text (the real call goes on)."""
    bodies: list[str] = []
    real = ProductIngestionClient.configure

    def configure(self: ProductIngestionClient, resources: Any, **kw: Any) -> Any:
        bodies.append(json.dumps(resources))
        return real(self, resources, **kw)

    monkeypatch.setattr(ProductIngestionClient, "configure", configure)
    return bodies


@pytest.fixture
def canaries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The applying runner's variables; CURRENCY is left unset."""
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", TOKEN_URL)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.delenv("CURRENCY", raising=False)


def _files(root: Path) -> str:
    texts = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(texts)


def _no_canary(*texts: str) -> None:
    for text in texts:
        for canary in CANARIES:
            assert canary not in text


def _live(emu: EmbeddedEmulator, name: str, account: str = "publisher") -> dict[str, Any]:
    offers = emu.admin.settings()  # the admin API answers: the emulator is up
    assert offers is not None
    from reconciler.api.connect import connect_emulator
    from reconciler.settings import Settings

    with connect_emulator(emu, Settings(), account=account, env={}) as client:
        found = next(o for o in client.list_offers() if o.get("name") == name)
        return client.get_offer(str(found["id"]))


def _only(offers: Path, keep: str) -> None:
    for path in offers.glob("*.yaml"):
        if path.name != keep:
            path.unlink()


@pytest.mark.usefixtures("canaries")
def test_partner_completion_sends_the_originators_text_literally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator, sent: list[str]
) -> None:
    offers = setup_project(tmp_path, monkeypatch, emu)
    _only(offers, "originator-percentage.yaml")
    code, out, err = run("apply", "--auto-approve", *EMU)
    assert code == 0, out + err
    name = "Adventure Works Analytics via Market Place Test"
    live = _live(emu, name)
    docs = live["termsAndConditionsDocs"]
    docs[0]["customerFacingDocumentName"] = DOC_NAME
    beneficiaries = live["beneficiaries"]
    beneficiaries[0]["description"] = ORIGINATOR_TEXT
    # The originator, another company, writes ${...} into its own text.
    emu.admin.edit(live["id"], {"beneficiaries": beneficiaries, "termsAndConditionsDocs": docs})

    side = tmp_path / "partner-side"
    (side / "offers").mkdir(parents=True)
    shutil.copy(tmp_path / "reconciler.toml", side / "reconciler.toml")
    shutil.copy(
        Path(__file__).resolve().parents[2] / "offers/partner/partner-completion.yaml",
        side / "offers/partner-completion.yaml",
    )
    monkeypatch.chdir(side)
    # The plan comment of the partner's pull request shows the text as it is, too.
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    plan_md, plan_json = str(temp / "plan.md"), str(temp / "plan.json")
    code, out, err = run(
        "-vv", "plan", "--account", "partner", "--out", plan_json, "--markdown-out", plan_md, *EMU
    )
    assert code == 0, out + err
    code, comment, err2 = run(
        "github", "comment-plan", "--body-file", plan_md, "--summary-json", plan_json, "--dry-run"
    )
    assert code == 0 and "Offers plan failed" not in comment, comment + err2
    _no_canary(out, err, comment, err2)
    sent.clear()
    code, out, err = run("-vv", "apply", "--auto-approve", "--account", "partner", *EMU)
    assert code == 0, out + err
    assert "partner-complete" in out
    assert len(sent) == 1 and ORIGINATOR_TEXT in sent[0] and DOC_NAME in sent[0]
    completed = _live(emu, name, "partner")
    assert completed["beneficiaries"][0]["description"] == ORIGINATOR_TEXT
    _no_canary(*sent, out, err, _files(tmp_path), json.dumps(completed))

    code, out, err = run("plan", "--detailed-exitcode", "--account", "partner", *EMU)
    assert code == 0, out + err  # nothing left to do: the text went back as it was


@pytest.mark.usefixtures("canaries")
def test_an_ignored_field_edited_live_goes_back_literally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator, sent: list[str]
) -> None:
    offers = setup_project(tmp_path, monkeypatch, emu)
    _only(offers, "customer-percentage.yaml")
    with (tmp_path / "reconciler.toml").open("a") as toml:
        toml.write('[plan]\nignore = ["notificationContacts"]\n')
    code, out, err = run("apply", "--auto-approve", *EMU)
    assert code == 0, out + err
    path = offers / "customer-percentage.yaml"
    name = next(
        line.split(": ", 1)[1] for line in path.read_text().splitlines() if line.startswith("name:")
    )
    live = _live(emu, name)
    emu.admin.edit(live["id"], {"notificationContacts": [IGNORED]})  # an outside edit

    # An ordinary change for another reason sends the ignored field as it is live.
    path.write_text(path.read_text().replace("discountPercentage: 10", "discountPercentage: 11"))
    sent.clear()
    code, out, err = run("plan", "--out", "plan.json", "--allow-republish", *EMU)
    assert code == 0, out + err
    code, out, err = run("-vv", "apply", "plan.json", *EMU)
    assert code == 0, out + err
    assert len(sent) == 2 and IGNORED in sent[1]  # withdraw, then update and republish
    after = _live(emu, name)
    assert after["notificationContacts"] == [IGNORED]
    _no_canary(*sent, out, err, _files(tmp_path), json.dumps(after))


SIGNATURE = "CANARYlivesig0123456789abcdef%3D"
LIVE_SAS = (
    "https://contosolegal.blob.core.windows.net/terms/woodgrove.pdf"
    f"?sv=2022-11-02&sr=b&sp=r&sig={SIGNATURE}"
)


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHubServer]:
    """The GitHub stand-in as the apply's ``github`` state backend."""
    with GitHubServer() as gh:
        for key, value in {
            "GITHUB_API_URL": gh.url,
            "GITHUB_TOKEN": gh.token,
            "GITHUB_REPOSITORY": gh.repository,
            "GITHUB_SERVER_URL": "https://github.example",
            "GITHUB_RUN_ID": "4242",
            "RECONCILER_STATE_BACKEND": "github",
        }.items():
            monkeypatch.setenv(key, value)
        yield gh


def test_a_live_sas_signature_in_an_ignored_field_is_stored_as_a_reference(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    emu: EmbeddedEmulator,
    github: GitHubServer,
    sent: list[str],
) -> None:
    offers = setup_project(tmp_path, monkeypatch, emu)
    _only(offers, "customer-percentage.yaml")
    with (tmp_path / "reconciler.toml").open("a") as toml:
        toml.write('[plan]\nignore = ["termsAndConditionsDocSasUrl"]\n')
    code, out, err = run("apply", "--auto-approve", *EMU)
    assert code == 0, out + err
    name = "Woodgrove Bank Analytics discount 2027"
    emu.admin.edit(_live(emu, name)["id"], {"termsAndConditionsDocSasUrl": LIVE_SAS})
    path = offers / "customer-percentage.yaml"
    path.write_text(path.read_text().replace("discountPercentage: 10", "discountPercentage: 11"))
    code, out, err = run("plan", "--out", "plan.json", "--allow-republish", *EMU)
    assert code == 0, out + err

    # The jobs outlive the run: the journal stays open, and in the state ref.
    emu.admin.settings(job_latency=1.5)
    code, out, err = run("apply", "plan.json", "--timeout", "0.3", *EMU)
    assert code == 6, out + err
    refs = [github.git.text_of(ref) or "" for ref in list(github.git.refs)]
    assert refs and all(refs)
    stored = _files(tmp_path)
    assert "termsAndConditionsDocSasUrl" in stored and "live_values" in stored
    for text in (*refs, stored, out, err):
        assert SIGNATURE not in text and "CANARY" not in text

    # Apply reads the live value again and sends it back: the offer keeps its document.
    emu.admin.settings(job_latency=0.0)
    code, out, err = run("apply", "plan.json", *EMU)
    assert code == 0, out + err
    assert SIGNATURE in sent[-1]
    assert _live(emu, name)["termsAndConditionsDocSasUrl"] == LIVE_SAS
    assert "CANARY" not in out + err + _files(tmp_path)


PRODUCT = "product/34771906-9711-4196-9f60-4af380fd5042"


def test_a_template_stays_with_its_own_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator
) -> None:
    offers = setup_project(tmp_path, monkeypatch, emu)
    for path in offers.glob("*.yaml"):
        if path.name not in ("customer-percentage.yaml", "customer-renewal.yaml"):
            path.unlink()
    templated = offers / "customer-percentage.yaml"
    line = templated.read_text().splitlines().index(f"  - product: {PRODUCT}") + 1
    templated.write_text(templated.read_text().replace(PRODUCT, "${RECONCILER_VAR_PRODUCT}"))
    monkeypatch.setenv("RECONCILER_VAR_PRODUCT", PRODUCT)
    code, out, err = run("plan", "--out", "plan.json", *EMU)
    assert code == 0, out + err

    plan = json.loads((tmp_path / "plan.json").read_text())
    steps = {c["file"]: c["steps"][0] for c in plan["changes"]}
    own = steps["offers/customer-percentage.yaml"]
    other = steps["offers/customer-renewal.yaml"]
    assert own["templates"] == [
        {
            "at": [0, "pricing", 0, "product"],
            "template": "${RECONCILER_VAR_PRODUCT}",
            "file": "offers/customer-percentage.yaml",
            "line": line,
        }
    ]
    assert own["resources"][0]["pricing"][0]["product"] == "${RECONCILER_VAR_PRODUCT}"
    assert "templates" not in other and "${" not in json.dumps(other)
    assert other["resources"][0]["pricing"][0]["product"] == PRODUCT

    # Without the variable only the offer that uses it fails; the literal one is created.
    monkeypatch.delenv("RECONCILER_VAR_PRODUCT")
    code, out, err = run("apply", "plan.json", *EMU)
    assert code == 5, out + err
    assert "RECONCILER_VAR_PRODUCT is not set" in out + err
    names = {o.get("name") for o in _all_live(emu)}
    assert "Woodgrove Bank Analytics discount 2027" not in names
    assert len(names) == 1


def _all_live(emu: EmbeddedEmulator) -> list[dict[str, Any]]:
    from reconciler.api.connect import connect_emulator
    from reconciler.settings import Settings

    with connect_emulator(emu, Settings(), account="publisher", env={}) as client:
        return [client.get_offer(str(o["id"])) for o in client.list_offers()]


def test_a_saved_plan_expands_only_names_the_settings_allow_when_it_sends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator, sent: list[str]
) -> None:
    offers = setup_project(tmp_path, monkeypatch, emu)
    _only(offers, "customer-percentage.yaml")
    path = offers / "customer-percentage.yaml"
    path.write_text(path.read_text().replace(PRODUCT, "${RECONCILER_VAR_PRODUCT}"))
    monkeypatch.setenv("RECONCILER_VAR_PRODUCT", PRODUCT)
    code, out, err = run("plan", "--out", "plan.json", *EMU)
    assert code == 0, out + err
    # The saved plan edited (its checksum made again) to name a runner variable.
    data = json.loads((tmp_path / "plan.json").read_text())
    step = data["changes"][0]["steps"][0]
    step["templates"][0]["template"] = "${GITHUB_TOKEN}"
    step["resources"][0]["pricing"][0]["product"] = "${GITHUB_TOKEN}"
    data["checksum"] = _checksum(data["changes"])
    (tmp_path / "plan.json").write_text(json.dumps(data))
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    code, out, err = run("apply", "plan.json", *EMU)
    assert code == 5, out + err
    assert "GITHUB_TOKEN may not be used in offer files" in out + err
    assert sent == [] and TOKEN not in out + err
