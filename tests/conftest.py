"""Shared test fixtures. Subsystem fixtures live in tests/<subsystem>/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.secrets import REGISTRY


@pytest.fixture(autouse=True)
def _fresh_secret_registry() -> Iterator[None]:
    # Secrets registered by one test must not redact (or hide leaks in) another test's output.
    REGISTRY.clear()
    yield
    REGISTRY.clear()
