"""Helpers of the price guard, timeline and watch tests: a project folder, live offers, the CLI."""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from reconciler.api.connect import connect_emulator
from reconciler.cli import cli
from reconciler.cli.common import run
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.server import EmbeddedEmulator
from reconciler.offers.loader import load_offer_text
from reconciler.plan.live import LiveState
from reconciler.plan.planner import make_plan
from reconciler.settings import Settings

ANALYTICS = "product/34771906-9711-4196-9f60-4af380fd5042"  # plans 123456, 234567
DATA_PLATFORM = "product/7ba807c8-386a-4efe-80f1-b97bf8a554f8"  # plan 987654: list 1200/1100


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def day(offset: int) -> str:
    return (today() + dt.timedelta(days=offset)).isoformat()


def month_end(offset: int) -> str:
    """The last day of the month *offset* days from today (Partner Center ends offers there)."""
    target = today() + dt.timedelta(days=offset)
    following = (target.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return (following - dt.timedelta(days=1)).isoformat()


def customer(
    name: str,
    *,
    state: str = "live",
    discount: float = 5,
    other: float = 7,
    accept_by: int = 60,
    end: int = 400,
    start: int | None = None,
    pricing: str | None = None,
) -> str:
    """A customer offer file; dates are days from today (the end: that month's last day)."""
    dates = (
        f"variableStartDate: false\nstart: {day(start)}"
        if start is not None
        else ("variableStartDate: true")
    )
    if pricing is None:
        pricing = f"""\
          - product: {ANALYTICS}
            plan: plan/123456
            discountType: percentage
            discountPercentage: {discount}
          - product: {ANALYTICS}
            plan: plan/234567
            discountType: percentage
            discountPercentage: {other}
        """
    head = f"""\
privateOfferType: customerPromotion
name: {json.dumps(name)}
state: {state}
{dates}
end: {month_end(end)}
acceptBy: {day(accept_by)}
preparedBy: amy@contoso.com
beneficiaries:
  - id: 8d4e1f7a-3b2c-4d5e-9f6a-7b8c9d0e1f2a:1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f_2021-03-15
    description: Tailspin Toys
pricing:
"""
    return head + textwrap.indent(textwrap.dedent(pricing), "  ")


def make_project(root: Path, monkeypatch: pytest.MonkeyPatch, settings: str = "") -> Path:
    monkeypatch.chdir(root)
    for name in ("NO_COLOR", "RECONCILER_ROLE", "RECONCILER_ENDPOINT", "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)
    (root / "reconciler.toml").write_text(
        'offers = "offers"\n[apply]\npoll-interval = 0.01\n' + settings
    )
    (root / "offers").mkdir(exist_ok=True)
    return root


def write(root: Path, name: str, text: str) -> Path:
    path = root / "offers" / name
    path.write_text(text)
    return path


def emulator(root: Path) -> EmbeddedEmulator:
    """The emulator ``--emulator`` uses in *root* (same data folder), with its admin API."""
    config = EmulatorConfig(data_dir=root / ".reconciler" / "emulator", tls=True, admin=True)
    return EmbeddedEmulator(config)


def seed(root: Path, texts: dict[str, str]) -> dict[str, str]:
    """Make each offer text live in the project's emulator; returns name -> offer id."""
    settings = Settings(root=root)
    ids: dict[str, str] = {}
    with emulator(root) as emu:
        for n, text in enumerate(texts.values()):
            f = load_offer_text(text, f"seed{n}.yaml", settings, strict=False)
            plan = make_plan([f], LiveState(), settings)
            for change in plan.changes:
                for step in change.steps:
                    created = emu.admin.seed(step.resources)
                    for resource in created:
                        if str(resource.get("id", "")).startswith("private-offer/"):
                            ids[str(resource["name"])] = str(resource["id"])
    return ids


def admin(root: Path, action: str, offer_id: str, fields: dict[str, Any] | None = None) -> None:
    with emulator(root) as emu:
        if action == "accept":
            emu.admin.accept(offer_id)
        else:
            emu.admin.edit(offer_id, fields or {})


def live_offers(root: Path) -> list[dict[str, Any]]:
    settings = Settings(root=root)
    with emulator(root) as emu, connect_emulator(emu, settings, env={}) as client:
        return list(client.list_offers())


def reconciler(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``reconciler ARGS`` as a user would; exit code, stdout, stderr."""
    code = run(cli, list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def flat(text: str) -> str:
    """*text* with its line wrapping undone (the terminal rendering wraps long lines)."""
    return " ".join(text.split())
