"""The price sanity guard as users meet it: ``reconciler plan`` / ``validate`` over the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .insight_helpers import (
    ANALYTICS,
    DATA_PLATFORM,
    customer,
    flat,
    live_offers,
    make_project,
    reconciler,
    seed,
    write,
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_project(tmp_path, monkeypatch)


def absolute(month: float, year: float, meter: float) -> str:
    return f"""\
      - product: {DATA_PLATFORM}
        plan: plan/987654
        discountType: absolute
        priceDetails:
          pricing:
            recurrentPrice:
              recurrentPriceMode: flatRate
              priceInputOption: usd
              prices:
                - billingTerm: {{type: month, value: 1}}
                  paymentOption: {{type: month, value: 1}}
                  pricePerPaymentInUsd: {month}
                - billingTerm: {{type: year, value: 1}}
                  paymentOption: {{type: month, value: 1}}
                  pricePerPaymentInUsd: {year}
            customMeters:
              priceInputOption: usd
              meters:
                meter1: {{pricePerPaymentInUsd: {meter}}}
    """


def test_discount_above_threshold_warns_and_strict_blocks(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(project, "tailspin.yaml", customer("Tailspin Analytics", discount=95))

    code, out, _ = reconciler(capsys, "plan", "--emulator", "--markdown-out", "plan.md")

    out = flat(out)
    assert code == 0, out
    warning = "Tailspin Analytics: 95 % discount on plan/123456 of " + ANALYTICS
    assert warning + " is above the 60 % discount threshold" in out
    markdown = (project / "plan.md").read_text()
    assert "price warning" in markdown and "Tailspin Analytics" in markdown
    assert "Discount threshold 60 %" in markdown and r"95 \% discount on plan" in markdown

    # in a workflow, the warning is an annotation at the offending line
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    code, out, _ = reconciler(capsys, "plan", "--emulator")
    out = flat(out)
    line = next(n for n, t in enumerate(customer("x", discount=95).splitlines(), 1) if "95" in t)
    assert f"::warning file=offers/tailspin.yaml,line={line}," in out
    assert "title=price guard%3A discount-threshold::Tailspin Analytics: 95 %25 discount" in out
    monkeypatch.delenv("GITHUB_ACTIONS")

    code, out, _ = reconciler(capsys, "plan", "--emulator", "--strict", "--format", "json")
    assert code == 3
    data = json.loads(out)
    assert data["is_blocked"] and data["safety"]["violations"][0]["rule"] == "price-guard"

    # --force lifts it like every safety guard; a setting makes it blocking without --strict
    code, _, _ = reconciler(capsys, "plan", "--emulator", "--strict", "--force")
    assert code == 0
    (project / "reconciler.toml").write_text('offers = "offers"\n[plan]\nstrict-prices = true\n')
    code, _, _ = reconciler(capsys, "plan", "--emulator")
    assert code == 3
    # ... and apply of the files refuses it too: nothing is sent
    code, _, err = reconciler(capsys, "apply", "offers", "--emulator", "--auto-approve")
    assert code == 3 and "price warning(s) in strict mode" in flat(err)
    assert live_offers(project) == []
    (project / "reconciler.toml").write_text('offers = "offers"\n[plan]\ndiscount-warning = 96\n')
    code, out, _ = reconciler(capsys, "plan", "--emulator", "--strict")
    out = flat(out)
    assert code == 0 and "price warning" not in out


def test_absolute_prices_against_the_list_price(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # list (emulator catalogue, plan/987654): 1200 a month, 1100 a month on a yearly term,
    # meter1 1.0 a unit
    pricing = absolute(month=1500, year=110, meter=0.2)
    write(project, "tailspin.yaml", customer("Tailspin Platform", pricing=pricing))
    code, out, _ = reconciler(capsys, "plan", "--emulator")
    out = flat(out)
    assert code == 0, out
    assert (
        "Tailspin Platform: 1,500 USD on plan/987654 of "
        f"{DATA_PLATFORM} is above the list price of 1,200 USD [above-list]"
    ) in out
    assert "110 USD on plan/987654" in out and "did you mean 1,100?" in out
    assert "0.2 USD on plan/987654" in out and "80 % below the list price of 1 USD" in out
    assert out.count("[decimal-slip]") == 1  # list and the other term see the same slip

    write(project, "tailspin.yaml", customer("Tailspin Platform", pricing=absolute(950, 900, 1)))
    code, out, _ = reconciler(capsys, "plan", "--emulator", "--strict")
    out = flat(out)
    assert code == 0 and "price warning" not in out


def test_decimal_slips_against_history_and_the_offer_itself(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(project, {"a": customer("Tailspin Draft", state="draft", discount=12)})
    write(project, "draft.yaml", customer("Tailspin Draft", state="draft", discount=1.2))
    code, out, _ = reconciler(capsys, "plan", "--emulator", "--detailed-exitcode")
    out = flat(out)
    assert code == 2, out
    assert "becomes 1.2 % where the live offer has 12 %: a decimal slip?" in out

    write(project, "draft.yaml", customer("Tailspin Draft", state="draft", discount=0.12))
    code, out, _ = reconciler(capsys, "plan", "--emulator")
    out = flat(out)
    # a live offer on the plan taught its name: the warning speaks it
    assert "0.12 % discount on Contoso Analytics · Standard" in out and "did you mean 12 %?" in out

    # the rest of the offer: two entries say 95, one says 9.5
    third = f"""\
      - product: {ANALYTICS}
        plan: plan/123456
        discountType: percentage
        discountPercentage: 9.5
      - product: {ANALYTICS}
        plan: plan/234567
        discountType: percentage
        discountPercentage: 50
      - product: {DATA_PLATFORM}
        plan: plan/987654
        discountType: percentage
        discountPercentage: 50
    """
    write(project, "draft.yaml", customer("Tailspin Draft", state="draft", pricing=third))
    code, out, _ = reconciler(capsys, "plan", "--emulator")
    out = flat(out)
    assert "9.5 % discount on plan/123456" not in out  # 9.5 vs 50: not a power of ten
    write(
        project,
        "draft.yaml",
        customer("Tailspin Draft", state="draft", pricing=third.replace("50", "95")),
    )
    code, out, _ = reconciler(capsys, "plan", "--emulator")
    out = flat(out)
    assert "9.5 % discount on plan/123456" in out and "other entries say 95 %" in out


def test_validate_runs_the_rules_that_need_no_live_data(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(project, "tailspin.yaml", customer("Tailspin Analytics", discount=95))
    # no list price without the API: the yearly term is judged by the monthly one
    slipped = customer("Tailspin Platform", pricing=absolute(month=1000, year=95, meter=1))
    write(project, "platform.yaml", slipped)
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
    out = flat(out)
    assert code == 0, out
    assert "pricing[0].discountPercentage: Tailspin Analytics: 95 %" in out
    assert "[price-discount-threshold, warning]" in out
    assert "0.03 % markup on plan/123456" in out and "did you mean 3 %?" in out
    assert "95 USD on plan/987654" in out and "about 1/10 of the entry's other terms" in out
    assert "1,000 USD on plan" not in out  # the other term is not blamed
    code, out, _ = reconciler(capsys, "validate", "--strict")
    out = flat(out)
    assert code == 1 and "[price-discount-threshold]" in out

    # a markup outside its documented range is an error of the file rules, not a warning
    write(project, "partner.yaml", partner.replace("0.03", "150"))
    code, out, _ = reconciler(capsys, "validate")
    out = flat(out)
    assert code == 1 and "[markup-range]" in out
