"""Fixtures for offer-file tests: a fixed today, an empty environment, settings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.offers import OfferFile, load_offer_text
from reconciler.settings import Settings

TODAY = dt.date(2026, 11, 25)
REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "offers"


def example(name: str) -> str:
    return (EXAMPLES / name).read_text(encoding="utf-8")


@pytest.fixture
def settings() -> Settings:
    # The variables the template tests use are the ones a project would list.
    return Settings(strict=True, env=["TERMS_SAS_URL", "TERMS_SIG"])


Loader = Callable[..., OfferFile]


@pytest.fixture
def load(settings: Settings) -> Loader:
    def _load(text: str, path: str = "offer.yaml", **kwargs: Any) -> OfferFile:
        kwargs.setdefault("today", TODAY)
        kwargs.setdefault("env", {})
        use = kwargs.pop("settings", settings)
        return load_offer_text(text, path, use, **kwargs)

    return _load
