"""A pull request's plan: its own changes first, drift in a section of its own, and the
saved plan applies exactly the pull request's changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.emulator.server import EmbeddedEmulator
from reconciler.errors import EXIT_BLOCKED, EXIT_CHANGES, EXIT_OK
from tests.apply.cli_support import EMU, git, live, run, setup_project

CSP = "offers/csp-promotion.yaml"
CSP_NAME = "Contoso Analytics CSP margin 2027"
CUSTOMER = "offers/customer-percentage.yaml"
WOODGROVE = "Woodgrove Bank Analytics discount 2027"
NEW = "offers/northwind.yaml"
NEW_NAME = "Northwind Traders Analytics discount 2027"


@pytest.fixture
def drifted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator
) -> EmbeddedEmulator:
    """main's CSP and Woodgrove offers live, then the CSP offer edited in Partner Center."""
    setup_project(tmp_path, monkeypatch, emu)
    (tmp_path / ".gitignore").write_text("emu/\n.reconciler/\n*.json\n")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "offers")
    code, out, err = run("apply", CSP, CUSTOMER, "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    emu.admin.edit(str(live(emu)[CSP_NAME]["id"]), {"preparedBy": "mallory@contoso.com"})
    git(tmp_path, "checkout", "-q", "-b", "feature")
    Path(NEW).write_text(Path(CUSTOMER).read_text().replace(WOODGROVE, NEW_NAME))
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "a new offer")
    return emu


def test_a_drifted_csp_offer_does_not_block_an_unrelated_pull_request(
    drifted: EmbeddedEmulator,
) -> None:
    plan_args = ["plan", CSP, CUSTOMER, NEW, "--baseline", "main", "--detailed-exitcode"]
    code, out, err = run(*plan_args, "--out", "plan.json", "--markdown-out", "plan.md", *EMU)
    assert code == EXIT_CHANGES, out + err  # green: changes, not blocked
    saved = json.loads(Path("plan.json").read_text())
    assert [(c["action"], c["offer_name"]) for c in saved["changes"]] == [("create", NEW_NAME)]
    assert [(c["action"], c["offer_name"]) for c in saved["drift"]] == [("blocked", CSP_NAME)]
    markdown = Path("plan.md").read_text()
    own, section = markdown.split("### Not part of this pull request", 1)
    assert NEW_NAME in own and CSP_NAME not in own.split("<details")[0]
    assert CSP_NAME in section and "offers:include-drift" in section
    assert "preparedBy" in section and "live CSP offers cannot be edited" in section
    assert "Not part of this pull request" in out  # the terminal shows the section too

    code, out, err = run("apply", "plan.json", *EMU)  # the merge applies the saved plan
    assert code == EXIT_OK, out + err
    offers = live(drifted)
    assert offers[NEW_NAME]["state"] == "live"
    assert offers[CSP_NAME]["preparedBy"] == "mallory@contoso.com"  # the drift stays


def test_the_drift_can_be_included_and_then_blocks(drifted: EmbeddedEmulator) -> None:
    code, out, err = run(
        "plan", CSP, CUSTOMER, NEW, "--baseline", "main", "--include-drift", "--out", "p.json", *EMU
    )
    assert code == EXIT_BLOCKED, out + err
    assert "made outside git are included" in out
    saved = json.loads(Path("p.json").read_text())
    assert "drift" not in saved
    assert {c["offer_name"] for c in saved["changes"]} == {NEW_NAME, CSP_NAME}
