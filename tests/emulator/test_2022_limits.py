"""The 2022 API's limits, emulator settings off by default: the reconciler reports each as a
clear failure of the offer concerned (exit 5), and changes nothing else."""

from __future__ import annotations

from pathlib import Path

from reconciler.emulator import EmbeddedEmulator, EmulatorConfig
from tests.emulator.cli import client_env, reconciler

EXAMPLES = Path(__file__).resolve().parents[2] / "offers"
FILE = "customer-percentage.yaml"


def _one_offer(tmp_path: Path, state: str) -> Path:
    (tmp_path / "offers").mkdir(exist_ok=True)
    target = tmp_path / "offers" / FILE
    target.write_text((EXAMPLES / FILE).read_text().replace("state: live", f"state: {state}"))
    return target


def _apply(emu: EmbeddedEmulator, tmp_path: Path) -> tuple[int, str]:
    return reconciler(["apply", "offers", "--auto-approve"], client_env(emu), tmp_path)


def test_republish_refused_by_setting_is_a_clear_failure(tmp_path: Path) -> None:
    # Withdrawing the only offer is the point here, not an accident.
    (tmp_path / "reconciler.toml").write_text("[plan]\nallow-withdraw-all = true\n")
    with EmbeddedEmulator(EmulatorConfig(tls=True)) as emu:
        for state in ("live", "withdrawn"):
            _one_offer(tmp_path, state)
            code, out = _apply(emu, tmp_path)
            assert code == 0, out
        emu.config.republish = "refused"
        _one_offer(tmp_path, "live")
        code, out = _apply(emu, tmp_path)
        assert code == 5, out
        assert "cannot be published again" in out, out


def test_publishing_a_draft_refused_by_setting_is_a_clear_failure(tmp_path: Path) -> None:
    with EmbeddedEmulator(EmulatorConfig(tls=True)) as emu:
        _one_offer(tmp_path, "draft")
        code, out = _apply(emu, tmp_path)
        assert code == 0, out
        emu.config.drafts = "refused"
        _one_offer(tmp_path, "live")
        code, out = _apply(emu, tmp_path)
        assert code == 5, out
        assert "cannot be published from a draft" in out, out
