"""The apply engine is built by composition, never by inheritance.

Each part receives the run's shared state and the parts it calls in its constructor
(docs/architecture.md, "apply"); a class that derived from another would reach that class's
state through ``self`` again. The order of the parts' imports is import-linter's
(``apply-engine``).
"""

from __future__ import annotations

import enum
import importlib
import inspect
from pathlib import Path
from typing import Any, Protocol

import pydantic
import pytest

from reconciler.apply.applier import Applier
from reconciler.apply.journal import Journal
from reconciler.apply.pipeline import Pipeline
from reconciler.apply.resolve import Resolver
from reconciler.apply.results import Results
from reconciler.apply.runs import RunBook
from reconciler.apply.submit import Submitter
from reconciler.plan.plan import Plan, PlanMeta
from reconciler.settings import Settings

ENGINE = ("applier", "pipeline", "submit", "results", "resolve", "runs")

# Plain data and the shapes the standard library and pydantic give: no class of the engine.
ALLOWED_BASES = {object, Exception, pydantic.BaseModel, Protocol, enum.Enum, enum.StrEnum}


@pytest.mark.parametrize("name", ENGINE)
def test_no_class_of_the_apply_engine_inherits_from_another(name: str) -> None:
    module = importlib.import_module(f"reconciler.apply.{name}")
    own = [
        c for _, c in inspect.getmembers(module, inspect.isclass) if c.__module__ == module.__name__
    ]
    assert own, f"{module.__name__} defines no class"
    for cls in own:
        bases = set(cls.__bases__)
        assert bases <= ALLOWED_BASES, f"{cls.__qualname__} derives from {cls.__bases__}"


def test_the_applier_wires_every_part_to_one_shared_run_state(tmp_path: Path) -> None:
    meta = PlanMeta(
        created_at="2026-12-01T00:00:00Z", endpoint="http://127.0.0.1:1", role="publisher"
    )
    plan = Plan(meta=meta, changes=[])
    journal = Journal.create(tmp_path / "journal", plan, target="memory", endpoint=meta.endpoint)
    client: Any = object()  # the wiring alone calls nothing of the client
    with journal:
        applier = Applier(plan, client, Settings(root=tmp_path), journal=journal)
    parts = [applier.resolver, applier.results, applier.submitter, applier.pipeline]
    assert [type(p) for p in parts] == [Resolver, Results, Submitter, Pipeline]
    assert isinstance(applier.book, RunBook)
    assert all(part.book is applier.book for part in parts)
    assert applier.pipeline.submitter is applier.submitter
    assert applier.pipeline.results is applier.results
    assert applier.book.plan is plan and applier.book.journal is journal
