"""Originator edits after the partner published (the documented reason, no useless
override), and drafts created and published through the API under both settings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.emulator import EmbeddedEmulator, EmulatorConfig
from tests.emulator.cli import client_env, reconciler

EXAMPLES = Path(__file__).resolve().parents[2] / "offers"


def test_originator_edit_after_the_partner_published(tmp_path: Path) -> None:
    publisher_dir, partner_dir = tmp_path / "isv", tmp_path / "partner"
    (publisher_dir / "offers").mkdir(parents=True)
    (partner_dir / "offers").mkdir(parents=True)
    shutil.copy(EXAMPLES / "originator-percentage.yaml", publisher_dir / "offers")
    shutil.copy(EXAMPLES / "partner" / "partner-completion.yaml", partner_dir / "offers")
    with EmbeddedEmulator(EmulatorConfig(tls=True, admin=True)) as emu:
        isv, seller = client_env(emu), client_env(emu, "partner")
        assert reconciler(["apply", "offers", "--auto-approve"], isv, publisher_dir)[0] == 0
        code, out = reconciler(
            ["apply", "offers", "--auto-approve", "--role", "partner"], seller, partner_dir
        )
        assert code == 0, out

        target = publisher_dir / "offers" / "originator-percentage.yaml"
        target.write_text(target.read_text().replace("notes: ", "notes: Edited ", 1))
        assert "notes: Edited" in target.read_text()
        for extra in ([], ["--allow-republish"]):
            code, out = reconciler(["plan", "offers", *extra], isv, publisher_dir)
            assert code == 3, out  # blocked, whatever the override
            said = " ".join(out.split())
            assert "the selling partner has published this multiparty offer" in said, out
            assert "the partner must withdraw it first" in said, out
            assert "to go ahead" not in said, out  # no override that cannot work

        # The partner withdraws (as the docs say it must); now the originator can republish.
        (offer_id,) = {
            line.split()[0]
            for line in out.splitlines()
            if line.strip().startswith("private-offer/")
        }
        emu.admin.withdraw_as_partner(offer_id)
        code, out = reconciler(
            ["apply", "offers", "--auto-approve", "--allow-republish"], isv, publisher_dir
        )
        assert code == 0, out
        code, out = reconciler(["plan", "offers", "--detailed-exitcode"], isv, publisher_dir)
        assert code == 0, out


@pytest.mark.parametrize("drafts", ["allowed", "refused"])
def test_draft_create_and_publish_under_both_settings(drafts: str, tmp_path: Path) -> None:
    (tmp_path / "offers").mkdir()
    target = tmp_path / "offers" / "customer-percentage.yaml"
    target.write_text(
        (EXAMPLES / "customer-percentage.yaml").read_text().replace("state: live", "state: draft")
    )
    config = EmulatorConfig(tls=True, drafts=drafts)  # type: ignore[arg-type]
    with EmbeddedEmulator(config) as emu:
        env = client_env(emu)
        code, out = reconciler(["apply", "offers", "--auto-approve"], env, tmp_path)
        if drafts == "refused":
            assert code != 0
            assert "cannot be created as drafts" in out and "customer-percentage.yaml" in out, out
            assert "Traceback" not in out
            # publishing right away is what such an API takes
            target.write_text(target.read_text().replace("state: draft", "state: live"))
            code, out = reconciler(["apply", "offers", "--auto-approve"], env, tmp_path)
            assert code == 0, out
        else:
            assert code == 0, out
            assert reconciler(["plan", "offers", "--detailed-exitcode"], env, tmp_path)[0] == 0
            target.write_text(target.read_text().replace("state: draft", "state: live"))
            code, out = reconciler(["apply", "offers", "--auto-approve"], env, tmp_path)
            assert code == 0 and "publish" in out, out
        assert reconciler(["plan", "offers", "--detailed-exitcode"], env, tmp_path)[0] == 0
