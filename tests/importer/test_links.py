"""`import` never writes through a symbolic link: not at its temporary name, not its folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from reconciler.errors import ReconcilerError
from reconciler.state import files
from tests.support.inprocess import run_reconciler

EXAMPLES = Path(__file__).resolve().parents[2] / "offers"
EMU = ("--emulator", "--emulator-data", "emu")


@pytest.fixture
def live_offer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose one offer is live in the emulator; its offers folder then removed."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "offers").mkdir()
    shutil.copy(EXAMPLES / "customer-percentage.yaml", tmp_path / "offers")
    code, out, err = run_reconciler("apply", "--auto-approve", *EMU)
    assert code == 0, out + err
    shutil.rmtree(tmp_path / "offers")
    return tmp_path


def test_an_output_folder_reached_through_a_link_is_refused(live_offer: Path) -> None:
    elsewhere = live_offer / "elsewhere"
    elsewhere.mkdir()
    os.symlink(elsewhere, live_offer / "offers")
    code, out, err = run_reconciler("import", "--all", "--out", "offers", *EMU)
    assert code == 1, out + err
    assert "offers: a symbolic link" in err and "Traceback" not in err
    assert list(elsewhere.iterdir()) == []


def test_a_link_planted_at_a_temporary_name_is_never_written_through(
    live_offer: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    victim = live_offer / "victim.txt"
    victim.write_text("untouched\n")
    code, out, err = run_reconciler("import", "--all", "--out", "offers", "--dry-run", *EMU)
    assert code == 0, out + err
    (live_offer / "offers").mkdir()
    # The temporary name made predictable, and a link planted at it.
    random_names = files.secrets.token_hex
    monkeypatch.setattr(files.secrets, "token_hex", lambda n: "f" * (2 * n))
    for name in ("woodgrove-bank-analytics-discount-2027.yaml", "x.yaml"):
        os.symlink(victim, live_offer / "offers" / f".{name}.{'f' * 16}.tmp")
    with pytest.raises(ReconcilerError, match="cannot write"):
        files.atomic_write(live_offer / "offers" / "x.yaml", "written\n")
    code, out, err = run_reconciler("import", "--all", "--out", "offers", *EMU)
    assert code == 1, out + err  # refused, not written through
    assert victim.read_text() == "untouched\n"
    monkeypatch.setattr(files.secrets, "token_hex", random_names)  # the import goes through
    code, out, err = run_reconciler("import", "--all", "--out", "offers", *EMU)
    assert code == 0, out + err
    written = [p for p in (live_offer / "offers").iterdir() if p.suffix == ".yaml"]
    assert written and all(p.is_file() and not p.is_symlink() for p in written)
    assert victim.read_text() == "untouched\n"
