"""The reconciler's commands against the emulator under every value of every setting that
stands for an undocumented behaviour (docs/api-unknowns.md): every setting has two values,
so two runs cover them all -- the documented defaults, and every other value at once.

Each run: plan the examples (exit 2), apply them (exit 0), plan (exit 0), withdraw a
customer offer through its file (apply exit 0), plan (exit 0). The list is read in pages of
4, so paging is exercised on every run.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import EmbeddedEmulator, EmulatorConfig
from tests.emulator.cli import client_env, reconciler

EXAMPLES = Path(__file__).resolve().parents[2] / "offers"
DEFAULT: dict[str, Any] = {}
OTHER_VALUES: dict[str, Any] = {
    "withdrawn_state": "withdrawn",
    "canonical_plan_ids": False,
    "channel_partner_spelling": "multipartyPromotionChannelPartner",
    "next_link_key": "@odata.nextLink",
    "next_link_form": "relative",
    "list_key": "value",
    "multi_offer_requests": "allowed",
    "query_page_size": "ignore",
    "drafts": "refused",
    "detail_resource_name": True,
}
# the documented behaviour (and the harder case where the docs are silent), then the rest
VARIANTS: list[dict[str, Any]] = [DEFAULT, OTHER_VALUES]


@pytest.mark.parametrize("variant", VARIANTS, ids=["documented", "other-values"])
def test_examples_apply_withdraw_and_plan_clean(variant: dict[str, Any], tmp_path: Path) -> None:
    config = EmulatorConfig(tls=True, page_size=4, **variant)
    shutil.copytree(EXAMPLES, tmp_path / "offers", ignore=shutil.ignore_patterns("partner"))
    with EmbeddedEmulator(config) as emu:
        env = client_env(emu)
        code, out = reconciler(["plan", "offers", "--detailed-exitcode"], env, tmp_path)
        assert code == 2, out
        code, out = reconciler(["apply", "offers", "--auto-approve"], env, tmp_path)
        assert code == 0, out
        if variant.get("multi_offer_requests", "refused") == "refused":
            assert "one offer per request" in out, out
        code, out = reconciler(["plan", "offers", "--detailed-exitcode"], env, tmp_path)
        assert code == 0, out

        target = tmp_path / "offers" / "customer-percentage.yaml"
        target.write_text(target.read_text().replace("state: live", "state: withdrawn"))
        code, out = reconciler(["apply", "offers", "--auto-approve"], env, tmp_path)
        assert code == 0, out
        code, out = reconciler(["plan", "offers", "--detailed-exitcode"], env, tmp_path)
        assert code == 0, out


def test_plan_json_shows_the_newest_documented_versions_and_the_setting_changes_both(
    tmp_path: Path,
) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "offers", ignore=shutil.ignore_patterns("partner"))
    with EmbeddedEmulator(EmulatorConfig(tls=True)) as emu:
        env = client_env(emu)
        code, out = reconciler(["plan", "offers", "--format", "json"], env, tmp_path)
        schemas = {
            r["$schema"]
            for c in json.loads(out)["changes"]
            for s in c["steps"]
            for r in s["resources"]
        }
        assert "https://schema.mp.microsoft.com/schema/private-offer/2026-02-01" in schemas
        assert (
            "https://schema.mp.microsoft.com/schema/price-and-availability-private-offer-plan/2025-06-01"
            in schemas
        )
        (tmp_path / "reconciler.toml").write_text(
            '[api.versions]\noffer = "2024-09-30"\nprice = "2023-07-15"\n'
        )
        code, out = reconciler(["plan", "offers", "--format", "json"], env, tmp_path)
        schemas = {
            r["$schema"]
            for c in json.loads(out)["changes"]
            for s in c["steps"]
            for r in s["resources"]
        }
        assert {s.rsplit("/", 1)[1] for s in schemas} == {"2024-09-30", "2023-07-15"}
        code, out = reconciler(["apply", "offers", "--auto-approve"], env, tmp_path)
        assert code == 0, out
        # read at the version written: a renewal offer's customerContractRenewal is seen
        code, out = reconciler(["plan", "offers", "--detailed-exitcode"], env, tmp_path)
        assert code == 0, out


def test_a_version_the_api_refuses_names_the_setting(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES, tmp_path / "offers", ignore=shutil.ignore_patterns("partner"))
    (tmp_path / "reconciler.toml").write_text('[api.versions]\noffer = "2025-01-01"\n')
    with EmbeddedEmulator(EmulatorConfig(tls=True)) as emu:
        env = client_env(emu)
        code, out = reconciler(["apply", "offers", "--auto-approve"], env, tmp_path)
    assert code != 0
    assert "api.versions.offer" in out and "2025-01-01" in out, out
    assert "Traceback" not in out


def test_reading_at_an_older_version_than_written_loses_a_field() -> None:
    """Why reads and writes share one version: 2023-07-15 has no customerContractRenewal."""
    from tests.emulator.conftest import Api, customer_offer

    with EmbeddedEmulator(EmulatorConfig()) as emu:
        api = Api(emu)
        offer = api.create(customer_offer(customerContractRenewal=True))
        assert "customerContractRenewal" not in api.offer(offer["id"])  # read at 2023-07-15
        newest = api.get(f"/private-offer/{offer['id'].split('/')[1]}", "2026-02-01").json()
        assert newest["customerContractRenewal"] is True
        api.close()
