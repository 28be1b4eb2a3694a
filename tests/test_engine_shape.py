"""The emulator's engine and schema checker, and the apply engine, are built by composition.

Each part receives what it uses in its constructor (docs/architecture.md, "emulator" and
"apply"); a class that derived from another part would reach that part's state through
``self`` again. The order of the parts' imports is import-linter's (``emulator-engine``,
``emulator-checker``, ``apply-engine``).
"""

from __future__ import annotations

import enum
import importlib
import inspect
from typing import Protocol

import pydantic
import pytest

EMULATOR = (
    "engine", "jobs", "offers", "lifecycle", "admin_actions", "offer_rules", "views",
    "prices", "lookup", "base", "validation", "validation_offer", "validation_price",
    "validation_base",
)  # fmt: skip
APPLY = ("applier", "pipeline", "submit", "results", "resolve", "runs")

# An emulator part may only be a plain class, or a business-rule failure (an exception).
EMULATOR_BASES = {object, Exception}
# The apply engine also holds plain data in the shapes the standard library and pydantic give.
APPLY_BASES = {object, Exception, pydantic.BaseModel, Protocol, enum.Enum, enum.StrEnum}

CASES = [(f"reconciler.emulator.{name}", EMULATOR_BASES) for name in EMULATOR] + [
    (f"reconciler.apply.{name}", APPLY_BASES) for name in APPLY
]


@pytest.mark.parametrize(("module_name", "allowed"), CASES, ids=[c[0] for c in CASES])
def test_no_part_of_an_engine_inherits_from_another(module_name: str, allowed: set[type]) -> None:
    module = importlib.import_module(module_name)
    own = [
        c for _, c in inspect.getmembers(module, inspect.isclass) if c.__module__ == module.__name__
    ]
    assert own, f"{module.__name__} defines no class"
    for cls in own:
        assert set(cls.__bases__) <= allowed, f"{cls.__qualname__} derives from {cls.__bases__}"
