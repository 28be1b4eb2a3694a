"""The apply engine's parts share one run state, each given it in its constructor.

That no class of the engine inherits from another is checked with the emulator's engine in
``tests/test_engine_shape.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.apply.applier import Applier
from reconciler.apply.journal import Journal
from reconciler.apply.pipeline import Pipeline
from reconciler.apply.resolve import Resolver
from reconciler.apply.results import Results
from reconciler.apply.runs import RunBook
from reconciler.apply.submit import Submitter
from reconciler.plan.plan import Plan, PlanMeta
from reconciler.settings import Settings


def test_the_applier_wires_every_part_to_one_shared_run_state(tmp_path: Path) -> None:
    meta = PlanMeta(
        created_at="2026-12-01T00:00:00Z", endpoint="http://127.0.0.1:1", role="publisher"
    )
    plan = Plan(meta=meta, changes=[])
    journal = Journal.create(tmp_path / "journal", plan, target="memory", endpoint=meta.endpoint)
    client: Any = object()  # the wiring alone calls nothing of the client
    with journal:
        applier = Applier(RunBook(plan, client, Settings(root=tmp_path), journal=journal))
    parts = [applier.resolver, applier.results, applier.submitter, applier.pipeline]
    assert [type(p) for p in parts] == [Resolver, Results, Submitter, Pipeline]
    assert isinstance(applier.book, RunBook)
    assert all(part.book is applier.book for part in parts)
    assert applier.pipeline.submitter is applier.submitter
    assert applier.pipeline.results is applier.results
    assert applier.book.plan is plan and applier.book.journal is journal
