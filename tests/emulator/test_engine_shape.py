"""The emulator's engine and schema checker are built by composition, never by inheritance.

Each part receives what it uses in its constructor (docs/architecture.md, "emulator"); a
class that derives from another part would reach that part's state through ``self`` again.
The order of the parts' imports is import-linter's (``emulator-engine``, ``emulator-checker``).
"""

from __future__ import annotations

import importlib
import inspect

import pytest

PARTS = (
    "engine", "jobs", "offers", "lifecycle", "admin_actions", "offer_rules", "views",
    "prices", "lookup", "base", "validation", "validation_offer", "validation_price",
    "validation_base",
)  # fmt: skip

# A job's business-rule failure is an exception: the only base a part's class may have.
ALLOWED_BASES = {object, Exception}


@pytest.mark.parametrize("name", PARTS)
def test_no_part_of_the_engine_or_checker_inherits_from_another(name: str) -> None:
    module = importlib.import_module(f"reconciler.emulator.{name}")
    own = [
        c for _, c in inspect.getmembers(module, inspect.isclass) if c.__module__ == module.__name__
    ]
    assert own, f"{module.__name__} defines no class"
    for cls in own:
        bases = set(cls.__bases__)
        assert bases <= ALLOWED_BASES, f"{cls.__qualname__} derives from {cls.__bases__}"
