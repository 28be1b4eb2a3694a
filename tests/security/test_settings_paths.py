"""The `offers` setting names a folder of the checkout: a pull request edits the settings
file and must not point validate, plan or import at the runner's other files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.inprocess import run_reconciler

EXAMPLE = Path(__file__).resolve().parents[2] / "offers" / "customer-percentage.yaml"


@pytest.mark.parametrize(
    "offers", ["../outside", "/tmp", "~/offers", "offers/../../outside", "C:/offers"]
)
def test_an_offers_folder_outside_the_checkout_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offers: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    text = EXAMPLE.read_text().replace("Woodgrove Bank Analytics", "Outside-the-checkout offer")
    (outside / "secret.yaml").write_text(text)
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    (checkout / "reconciler.toml").write_text(f"offers = {offers!r}\n")
    monkeypatch.chdir(checkout)
    for command in (("validate",), ("plan", "--emulator")):
        code, out, err = run_reconciler(*command)
        assert code == 1, out + err
        assert "reconciler.toml" in err and "offers" in err and "inside the project" in err
        assert "Outside-the-checkout" not in out + err and "Traceback" not in err


def test_an_environment_overlay_is_held_to_the_same_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "offers").mkdir()
    shutil.copy(EXAMPLE, tmp_path / "offers")
    (tmp_path / "reconciler.toml").write_text("[environments.prod]\noffers = '../elsewhere'\n")
    monkeypatch.chdir(tmp_path)
    assert run_reconciler("validate")[0] == 0
    code, out, err = run_reconciler("-e", "prod", "validate")
    assert code == 1 and "inside the project" in err, out + err
