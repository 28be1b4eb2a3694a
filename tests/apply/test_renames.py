"""A renamed offer file never puts a second live offer beside the old one: without `id:`
the plan blocks it with the line to add; with `id:` the one live offer is changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.emulator.server import EmbeddedEmulator
from reconciler.errors import EXIT_BLOCKED, EXIT_OK
from tests.apply.cli_support import EMU, posts, run, setup_project
from tests.apply.conftest import client, fast_settings

OLD_FILE = "offers/customer-percentage.yaml"
NEW_FILE = "offers/woodgrove-bank.yaml"
OLD_NAME = "Woodgrove Bank Analytics discount 2027"
NEW_NAME = "Woodgrove Bank Analytics 2027"


def active(emu: EmbeddedEmulator) -> dict[str, str]:
    """id -> name of the account's draft and live offers."""
    with client(emu, fast_settings(Path.cwd())) as c:
        return {
            str(o["id"]): str(o["name"])
            for o in c.list_offers()
            if o.get("state") in ("draft", "live")
        }


@pytest.fixture
def renamed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator) -> str:
    """The Woodgrove offer live; then its file moved and the offer renamed. Its live id."""
    setup_project(tmp_path, monkeypatch, emu)
    code, out, err = run("apply", OLD_FILE, "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    (offer_id,) = [i for i, name in active(emu).items() if name == OLD_NAME]
    text = Path(OLD_FILE).read_text().replace(f"name: {OLD_NAME}", f"name: {NEW_NAME}")
    Path(NEW_FILE).write_text(text)
    Path(OLD_FILE).unlink()
    return offer_id


def test_a_rename_without_id_is_blocked_with_the_line_to_add(
    renamed: str, emu: EmbeddedEmulator
) -> None:
    code, out, err = run("plan", NEW_FILE, "--out", "plan.json", *EMU)
    assert code == EXIT_BLOCKED, out + err
    assert "looks like a rename of the live offer" in out
    (change,) = json.loads(Path("plan.json").read_text())["changes"]
    assert change["action"] == "blocked" and change["steps"] == []
    assert f"add this line to {NEW_FILE}: `id: {renamed}`" in change["override"]
    sent = posts(emu)
    code, out, err = run("apply", NEW_FILE, "--auto-approve", *EMU)
    assert code == EXIT_BLOCKED, out + err
    assert "looks like a rename of the live offer" in err
    assert posts(emu) == sent  # nothing was sent
    assert active(emu) == {renamed: OLD_NAME}  # no second offer


def test_a_rename_with_the_pinned_id_changes_the_one_live_offer(
    renamed: str, emu: EmbeddedEmulator
) -> None:
    text = Path(NEW_FILE).read_text()
    pinned = text.replace("privateOfferType:", f"id: {renamed}\nprivateOfferType:", 1)
    Path(NEW_FILE).write_text(
        pinned.replace("state: live\n", "state: live\nreconciler:\n  allowRepublish: true\n")
    )
    code, out, err = run("apply", NEW_FILE, "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    assert active(emu) == {renamed: NEW_NAME}  # one live offer for the deal, renamed
    code, out, err = run("plan", NEW_FILE, "--detailed-exitcode", *EMU)
    assert code == EXIT_OK, out + err
