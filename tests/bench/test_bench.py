"""Smoke tests of the benchmarks at N=20: the generated offers are valid and every kind is
there, seeding them live gives a plan with no change (and drift shows up), and
``python -m bench`` prints the table and writes the results files."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.generator import TEMPLATES, generate, seed, write_files
from bench.report import check_targets, render_text
from bench.scenarios import bench_settings, build_plan
from reconciler.api.client import ProductIngestionClient
from reconciler.api.credentials import StaticTokenProvider
from reconciler.emulator import EmbeddedEmulator, EmulatorConfig
from reconciler.offers.loader import load_offer_files

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def emu() -> Iterator[EmbeddedEmulator]:
    with EmbeddedEmulator(EmulatorConfig(admin=True, static_tokens=True)) as emulator:
        yield emulator


def test_generated_offers_cover_every_kind_and_are_valid(tmp_path: Path) -> None:
    offer_set = generate(20)
    write_files(offer_set, tmp_path)
    files = load_offer_files([tmp_path], bench_settings(tmp_path))
    assert len(files) == len(offer_set.offers)
    assert {f.kind for f in files} == {
        "customerPromotion",
        "cspPromotion",
        "multipartyPromotionOriginator",
        "multipartyPromotionChannelPartner",
    }
    assert {o.template for o in offer_set.publisher} == {name for name, _ in TEMPLATES}
    pricing_types = {
        f.offer.offer_pricing_type for f in files if hasattr(f.offer, "offer_pricing_type")
    }
    assert {
        "editExistingOfferPricingOnly",
        "saasNewCustomizedPlans",
        "vmSoftwareReservations",
    } <= pricing_types
    assert {f.state for f in files} == {"draft", "live"}
    # The same seed gives the same set: figures are comparable from run to run.
    assert [o.data for o in generate(20).offers] == [o.data for o in offer_set.offers]


def test_seeded_offers_plan_without_changes_and_drift_is_found(
    emu: EmbeddedEmulator, tmp_path: Path
) -> None:
    offer_set = generate(20)
    drifted = seed(emu.admin, offer_set, drift_share=0.2)
    assert len(drifted) == 4
    write_files(offer_set, tmp_path)
    settings = bench_settings(tmp_path)
    token = StaticTokenProvider("emulator:publisher")
    with ProductIngestionClient(emu.api_url, settings=settings, tokens=token) as client:
        _, plan, _ = build_plan(settings, client, tmp_path)
    assert sorted(c.offer_name for c in plan.changes) == sorted(drifted)
    assert len(plan.unchanged) == len(offer_set.publisher) - len(drifted)
    assert all("notificationContacts" in str(c.model_dump()) for c in plan.changes)


def test_python_m_bench_prints_the_table_and_writes_results(tmp_path: Path) -> None:
    # Tiny sizes: this checks the benchmark runs and reports, not the figures (those are
    # `python -m bench`'s business, never a timed test's).
    out = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--sizes", "20", "--scenarios", "plan,plan-targeted,apply",
         "--apply-changes", "3", "--latency", "0.1", "--scaled-latency", "0", "--naive-sample", "1",
         "--request-latency", "0", "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    labels = (
        "read + parse (floor)",
        "plan (no changes)",
        "plan targeted (3 of 20 changed)",
        "apply, one offer per request (job 0.1 s)",
    )
    for label in labels:
        assert label in proc.stdout
    results = json.loads((out / "latest.json").read_text())
    rows = {r["scenario"]: r for r in results["rows"]}
    plan = rows["plan (no changes)"]
    # The tool's plan sits on the request floor; the naive one reads every offer.
    assert sum(plan["ours"]["server_requests"].values()) == plan["floor"]["requests"]
    naive = plan["naive"]["server_requests"]
    assert naive["GET private-offer/{id}"] == results["sizes"][0]["publisher_offers"]
    # The pull request's plan reads its 3 offers by id and nothing else of the account.
    targeted = rows["plan targeted (3 of 20 changed)"]["ours"]
    assert targeted["details"]["scope"] == "changed"
    assert targeted["details"]["changes"] == 3
    assert targeted["server_requests"]["GET private-offer/{id}"] == 3
    assert "GET private-offer/query" not in targeted["server_requests"]
    # A pull request's naive way is the naive full plan: measured once, shown on both rows.
    assert rows["plan targeted (3 of 20 changed)"]["naive"] == plan["naive"]
    apply = rows["apply, one offer per request (job 0.1 s)"]
    assert apply["ours"]["details"]["outcomes"] == {"succeeded": 3}
    assert apply["naive"]["details"]["applied"] == 1
    assert apply["naive"]["server_requests"]["POST configure"] == 1
    markdown = (out / "latest.md").read_text()
    assert "| N | scenario |" in markdown and "## Targets" in markdown
    assert render_text(results).count("\n") > 8
    assert any(mark == "info" for mark, _ in check_targets(results))
