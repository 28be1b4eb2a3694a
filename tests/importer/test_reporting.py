"""What cannot be imported is said, never dropped; names; the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.api.connect import connect_emulator
from reconciler.cli import cli
from reconciler.cli.common import run
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.server import EmbeddedEmulator
from reconciler.importer import ImportSelectionError, Selection, parse_states, slug
from reconciler.settings import Settings

from .conftest import NAMES, SAS_URL, SIGNATURE, client, customer, run_import, send, withdraw


def test_a_field_the_model_does_not_know_is_reported_and_the_offer_not_written(
    emu: EmbeddedEmulator, settings: Settings, tmp_path: Path
) -> None:
    with client(emu, settings, writes=True) as c:
        odd = send(c, [customer("Fabrikam future field", "draft")])
        send(c, [customer(NAMES["draft"], "draft")])
    assert odd is not None
    live = next(o for o in _offers(emu, settings) if o["id"] == odd)
    pricing = [dict(e) for e in live["pricing"]]
    pricing[1]["tieredDiscount"] = {"tiers": [1, 2]}
    emu.admin.edit(odd, {"renewalTerms": "auto", "pricing": pricing})

    out = tmp_path / "offers"
    result = run_import(emu, settings, out)
    by_name = {o.offer_name: o for o in result.outcomes}
    bad = by_name["Fabrikam future field"]
    assert bad.action == "unrepresentable"
    assert sorted(bad.problems) == [
        "pricing[1].tieredDiscount: the field is not known to the offer model",
        "renewalTerms: the field is not known to the offer model",
    ]
    assert not (out / "fabrikam-future-field.yaml").exists()
    assert by_name[NAMES["draft"]].action == "created"
    assert result.exit_code == 1
    assert "1 with unrepresentable fields" in result.summary()


def test_namesakes_and_slug_collisions(
    emu: EmbeddedEmulator, settings: Settings, tmp_path: Path
) -> None:
    with client(emu, settings, writes=True) as c:
        old = send(c, [customer("Contoso deal", "live")])
        assert old is not None
        send(c, [withdraw(old, "Contoso deal", "customerPromotion")])
        new = send(c, [customer("Contoso deal", "live")])
        other = send(c, [customer("Contoso - Deal", "draft")])
    assert new is not None and other is not None
    out = tmp_path / "offers"
    result = run_import(
        emu, settings, out, selection=Selection(take_all=True, states=parse_states("all"))
    )
    by_id = {o.offer_id: o for o in result.outcomes}
    # one file per name: the active offer wins, its withdrawn namesake is listed
    assert by_id[old].action == "skipped" and "same name" in by_id[old].problems[0]
    # two names, one slug: both files carry a part of their id
    assert by_id[new].path == out / f"contoso-deal-{new.split('/')[-1][:8]}.yaml"
    assert by_id[other].path == out / f"contoso-deal-{other.split('/')[-1][:8]}.yaml"
    assert result.exit_code == 0


def test_slug_and_states() -> None:
    assert (
        slug("Tailspin Toys: Analytics (2027) — Ünïcode") == "tailspin-toys-analytics-2027-unicode"
    )
    assert slug("!!!") == "offer"
    assert len(slug("x" * 200)) == 60
    assert parse_states(None) == ("draft", "live")
    assert parse_states("all") == ("draft", "live", "withdrawn", "deleted")
    assert parse_states("Live, withdrawn") == ("live", "withdrawn")
    with pytest.raises(ImportSelectionError, match="unknown state retired"):
        parse_states("live,retired")
    with pytest.raises(ImportSelectionError, match="--all, --id ID or --name GLOB"):
        Selection().check()


def test_command_dry_run_then_write_then_missing_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("RECONCILER_ENDPOINT", "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "reconciler.toml").write_text('offers = "offers"\n')
    data = tmp_path / ".reconciler" / "emulator"
    settings = Settings(root=tmp_path)
    with (
        EmbeddedEmulator(EmulatorConfig(data_dir=data, tls=True, job_latency=0.0)) as emu,
        connect_emulator(emu, settings, env={}, writes=True) as c,
    ):
        send(c, [customer(NAMES["percentage"], "live", termsAndConditionsDocSasUrl=SAS_URL)])
    args = ["import", "--all", "--emulator", "--emulator-data", str(data)]

    assert run(cli, [*args, "--dry-run"]) == 0
    out, err = capsys.readouterr()
    assert "--- /dev/null\n+++ b/offers/tailspin-analytics-discount.yaml\n" in out
    assert "+name: Tailspin Analytics discount\n" in out
    assert "would write" in out
    variable = "RECONCILER_VAR_TAILSPIN_ANALYTICS_DISCOUNT_SAS_SIG"
    assert f"{variable}  (offers/tailspin-analytics-discount.yaml)" in err
    assert "import: 1 would be written, 0 would be updated" in err
    assert SIGNATURE not in out + err
    assert not (tmp_path / "offers").exists()

    assert run(cli, args) == 0
    out, err = capsys.readouterr()
    assert out.startswith("created      offers/tailspin-analytics-discount.yaml")
    assert "import: 1 written, 0 updated, 0 unchanged, 0 with unrepresentable fields" in err
    assert (tmp_path / "offers" / "tailspin-analytics-discount.yaml").is_file()

    missing = "private-offer/00000000-0000-0000-0000-000000000000"
    assert run(cli, ["import", "--id", missing, "--emulator", "--emulator-data", str(data)]) == 1
    assert f"the account has no private offer {missing}" in capsys.readouterr().err
    assert run(cli, ["import"]) == 1
    assert "choose the offers to import" in capsys.readouterr().err


def _offers(emu: EmbeddedEmulator, settings: Settings) -> list[dict]:
    with client(emu, settings) as c:
        return [c.get_offer(str(o["id"])) for o in c.list_offers()]
