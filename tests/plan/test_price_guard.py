"""The price sanity guard as users meet it: ``reconciler plan`` / ``validate`` over the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from .insight_helpers import (
    customer,
    make_project,
    reconciler,
    write,
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_project(tmp_path, monkeypatch)


def test_validate_runs_the_rules_that_need_no_live_data(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(project, "tailspin.yaml", customer("Tailspin Analytics", discount=95))
    partner = """\
privateOfferType: multipartyPromotionChannelPartner
name: Adventure Works via Market Place Test
state: live
preparedBy: sales@marketplacetest.example.com
originatorPricing:
  - product: product/34771906-9711-4196-9f60-4af380fd5042
    plan: plan/123456
    markupPercentage: 0.03
"""
    write(project, "partner.yaml", partner)
    code, out, _ = reconciler(capsys, "validate")
    assert code == 0, out
    assert "pricing[0].discountPercentage: Tailspin Analytics: 95 %" in out
    assert "[price-discount-threshold, warning]" in out
    assert "0.03 % markup on plan/123456" in out and "did you mean 3 %?" in out
    code, out, _ = reconciler(capsys, "validate", "--strict")
    assert code == 1 and "[price-discount-threshold]" in out

    # a markup outside its documented range is an error of the file rules, not a warning
    write(project, "partner.yaml", partner.replace("0.03", "150"))
    code, out, _ = reconciler(capsys, "validate")
    assert code == 1 and "[markup-range]" in out
