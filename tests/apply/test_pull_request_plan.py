"""A pull request's plan: its own changes first, drift in a section of its own, and the
saved plan applies exactly the pull request's changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.emulator.server import EmbeddedEmulator
from reconciler.errors import EXIT_BLOCKED, EXIT_CHANGES, EXIT_OK
from tests.apply.cli_support import EMU, FAST, git, live, run, setup_project

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


THRESHOLDS = """\
[plan]
min-existing = 1
allow-republish = true
withdraw-threshold = 1.0
withdraw-max = 2
[environments.tight.plan]
withdraw-max = 1
"""


def test_the_safety_thresholds_count_the_pull_request_not_the_drift(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator
) -> None:
    """Two offers edited in Partner Center and two in the pull request: each a republish.
    At most two may be republished; the four together would block the pull request."""
    setup_project(tmp_path, monkeypatch, emu)
    monkeypatch.setenv("COLUMNS", "200")
    (tmp_path / "reconciler.toml").write_text(FAST + THRESHOLDS)
    (tmp_path / ".gitignore").write_text("emu/\n.reconciler/\n*.json\n")
    text = Path(CUSTOMER).read_text()
    files = [CUSTOMER] + [f"offers/woodgrove-{n}.yaml" for n in (2, 3, 4)]
    for n, name in enumerate(files[1:], start=2):
        Path(name).write_text(text.replace(WOODGROVE, f"{WOODGROVE} no. {n}"))
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "offers")
    code, out, err = run("apply", *files, "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    offers = live(emu)
    for n in (3, 4):  # changed outside git
        emu.admin.edit(str(offers[f"{WOODGROVE} no. {n}"]["id"]), {"preparedBy": "eve@contoso.com"})
    git(tmp_path, "checkout", "-q", "-b", "feature")
    for name in files[:2]:  # the pull request: 10 % -> 12 % on two offers
        Path(name).write_text(
            Path(name).read_text().replace("Percentage: 10\n", "Percentage: 12\n")
        )
    git(tmp_path, "commit", "-q", "-am", "12 %")

    plan_args = ["plan", *files, "--baseline", "main", "--detailed-exitcode", *EMU]
    code, out, err = run(*plan_args, "--out", "plan.json")
    assert code == EXIT_CHANGES, out + err  # 2 republishes of the pull request: within 2
    saved = json.loads(Path("plan.json").read_text())
    assert saved["safety"]["violations"] == []
    assert (saved["safety"]["removals"], saved["safety"]["drift"]) == (2, 2)
    assert len(saved["changes"]) == 2 and len(saved["drift"]) == 2
    text = " ".join(out.split())
    assert (
        "The safety thresholds do not count these 2 change(s): they counted this pull "
        "request's own, 0 update(s) and 2 withdrawal(s), deletion(s) or replacement(s) of 4 "
        "managed offer(s)."
    ) in text

    # Over the limit by the pull request's own changes: blocked, saying what was counted.
    code, out, err = run("--environment", "tight", *plan_args)
    assert code == EXIT_BLOCKED, out + err
    assert (
        "2 of 4 managed offers would be withdrawn, deleted, recreated or republished (50%; "
        "limits 100% and 1; counted: this pull request's changes, not the 2 made outside git)"
    ) in " ".join(out.split())
