"""What one benchmark process does: the tool's way, the naive way, and the parse floor.

Each function runs inside a fresh worker process (:mod:`bench.worker`) and returns its
counters; the worker wraps it with the clocks (wall, process CPU) and reads the peak
RSS. Work that is setup rather than the measured operation (the plan an apply starts
from) happens in ``prepare`` functions, before the clocks start.

The tool's way calls the same library functions the commands call (``validate``:
:func:`~reconciler.offers.loader.load_offer_files`; ``plan``: load, ``fetch_live``,
``make_plan``, render; ``apply``: ``apply_plan`` with a journal). The naive way is in
:mod:`bench.naive`. Both talk to the emulator over loopback HTTP through the same
:class:`~reconciler.api.client.ProductIngestionClient`, so the difference between them is
the strategy, not the HTTP stack.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from bench.stats import EmulatorStats
from reconciler.api.client import ProductIngestionClient
from reconciler.api.credentials import StaticTokenProvider
from reconciler.offers.loader import OfferFile, discover_offer_files, load_offer_files
from reconciler.plan.pipeline import PlanInputs, fetch_for, load_files, plan_live, plan_loaded
from reconciler.plan.plan import Plan
from reconciler.render import render_text
from reconciler.settings import ApiSettings, ApplySettings, PlanSettings, Settings


@dataclass
class Spec:
    """One scenario run, as the orchestrator sends it to a worker (JSON)."""

    scenario: str  # parse-floor | validate | plan | apply
    way: str  # ours | naive | floor
    files: str
    api_url: str = ""
    base_url: str = ""
    admin_token: str = ""
    poll_interval: float | None = None
    sample: int | None = None  # naive apply: how many changes to really apply
    profile: str | None = None  # write cProfile stats of the measured part here
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    spec: Spec
    settings: Settings
    client: ProductIngestionClient | None = None
    admin: EmulatorStats | None = None
    state: dict[str, Any] = field(default_factory=dict)


def bench_settings(root: Path, poll_interval: float | None = None) -> Settings:
    """The tool's defaults, except the plan guards: a benchmark changes hundreds of offers
    at once on purpose (a real run would pass --force or raise these limits)."""
    return Settings(
        root=root,
        api=ApiSettings(),
        plan=PlanSettings(
            update_threshold=1.0,
            update_max=1_000_000,
            withdraw_threshold=1.0,
            withdraw_max=1_000_000,
            allow_republish=True,
        ),
        apply=ApplySettings(poll_interval=poll_interval, journal_dir=str(root / "journal")),
    )


def open_context(spec: Spec, root: Path) -> Context:
    settings = bench_settings(root, spec.poll_interval)
    if spec.extra.get("apply"):
        apply = settings.apply.model_copy(update=spec.extra["apply"])
        settings = settings.model_copy(update={"apply": apply})
    ctx = Context(spec, settings)
    if spec.api_url:
        ctx.client = ProductIngestionClient(
            spec.api_url,
            settings=settings,
            tokens=StaticTokenProvider("emulator:publisher"),
            writes=spec.scenario == "apply",
        )
    if spec.base_url:
        ctx.admin = EmulatorStats(spec.base_url, token=spec.admin_token)
    return ctx


# --- the floor ---------------------------------------------------------------------------------


def parse_floor(ctx: Context) -> dict[str, Any]:
    """Read and parse every file with the safe C loader; no validation, nothing else."""
    paths = discover_offer_files([Path(ctx.spec.files)])
    yaml = YAML(typ="safe", pure=False)
    nodes = 0
    for path in paths:
        data = yaml.load(path.read_text(encoding="utf-8"))
        nodes += len(data)
    return {"files": len(paths), "top_level_keys": nodes}


# --- validate ----------------------------------------------------------------------------------


def validate_ours(ctx: Context) -> dict[str, Any]:
    files = load_offer_files([Path(ctx.spec.files)], ctx.settings)
    return {"files": len(files)}


def validate_naive(ctx: Context) -> dict[str, Any]:
    from bench import naive

    return naive.validate(Path(ctx.spec.files))


# --- plan --------------------------------------------------------------------------------------


def build_plan(
    settings: Settings, client: ProductIngestionClient, paths: Path | list[Path]
) -> tuple[list[OfferFile], Plan, dict[str, float]]:
    """What ``reconciler plan`` does (the same pipeline functions), phase by phase (seconds
    per phase returned)."""
    phases: dict[str, float] = {}
    inputs = PlanInputs(paths=paths if isinstance(paths, list) else [paths])
    start = time.perf_counter()
    loaded = load_files(settings, inputs)
    phases["load"] = time.perf_counter() - start
    mark = time.perf_counter()
    live = fetch_for(client, settings, inputs, loaded)
    phases["fetch"] = time.perf_counter() - mark
    mark = time.perf_counter()
    plan = plan_live(client, settings, inputs, loaded, live)
    phases["diff"] = time.perf_counter() - mark
    return loaded.files, plan, phases


def plan_ours(ctx: Context) -> dict[str, Any]:
    assert ctx.client is not None
    _, plan, phases = build_plan(ctx.settings, ctx.client, Path(ctx.spec.files))
    mark = time.perf_counter()
    text = render_text(plan)
    phases["render"] = time.perf_counter() - mark
    return {
        "summary": plan.summary_line(),
        "changes": len(plan.changes),
        "output_chars": len(text),
        "phases": phases,
    }


def plan_naive(ctx: Context) -> dict[str, Any]:
    from bench import naive

    assert ctx.client is not None
    return naive.plan(ctx.client, ctx.settings, Path(ctx.spec.files), sample=ctx.spec.sample)


# --- targeted plan (a pull request that changes a few files) ----------------------------------


def _project_settings(ctx: Context) -> Settings:
    """The bench settings for the git checkout around the files, with plan.scope = changed."""
    project = Path(ctx.spec.files).parent
    settings = bench_settings(project)
    plan = settings.plan.model_copy(update={"scope": "changed"})
    return settings.model_copy(update={"offers": Path(ctx.spec.files).name, "plan": plan})


def prepare_targeted(ctx: Context) -> None:
    """The last full run before the pull request: it leaves the id cache behind."""
    assert ctx.client is not None
    settings = _project_settings(ctx)
    os.chdir(settings.root)
    inputs = PlanInputs()
    plan_loaded(ctx.client, settings, inputs, load_files(settings, inputs))
    ctx.state["settings"] = settings


def plan_targeted(ctx: Context) -> dict[str, Any]:
    """``reconciler plan --baseline HEAD`` in the checkout (the pipeline the command runs)."""
    assert ctx.client is not None
    settings: Settings = ctx.state["settings"]
    inputs = PlanInputs(baseline=str(ctx.spec.extra.get("baseline", "HEAD")), targeted=True)
    plan = plan_loaded(ctx.client, settings, inputs, load_files(settings, inputs))
    return {
        "summary": plan.summary_line(),
        "changes": len(plan.changes),
        "scope": plan.meta.scope,
        "files_not_read": plan.meta.files_not_read,
        "managed": plan.safety.managed,
    }


# --- apply -------------------------------------------------------------------------------------


def prepare_apply(ctx: Context) -> None:
    """The plan an apply starts from (computed before the clocks start).

    Planned from the changed files only (``extra["only"]``, paths under ``files``), as
    ``reconciler plan offers/some/files`` would: the changes, bodies and eTags are the same
    as a plan of the whole set, and it spares the setup of planning thousands of unchanged
    files before every apply run."""
    assert ctx.client is not None
    # What `reconciler apply` imports at its start, before the clocks do (apply_ours's
    # imports then cost nothing).
    import reconciler.apply.applier
    import reconciler.apply.journal  # noqa: F401

    only = ctx.spec.extra.get("only")
    root = Path(ctx.spec.files)
    targets = [root / p for p in only] if only else [root]
    _, plan, _ = build_plan(ctx.settings, ctx.client, targets)
    if plan.is_blocked:
        raise RuntimeError("the benchmark's plan is blocked: " + "; ".join(plan.blocked_reasons()))
    ctx.state["plan"] = plan


def apply_ours(ctx: Context) -> dict[str, Any]:
    # Imported here: a plan worker imports what ``reconciler plan`` imports, no more.
    from reconciler.apply.applier import ApplyOptions, apply_plan
    from reconciler.apply.journal import Journal, journal_dir
    from reconciler.apply.outcome import ProgressEvent

    assert ctx.client is not None
    plan: Plan = ctx.state["plan"]
    endpoint = ctx.client.endpoint
    # As `reconciler apply` does: the header is written while the guard reads.
    journal = Journal.create(
        journal_dir(ctx.settings), plan, target=endpoint, endpoint=endpoint, background=True
    )
    start = time.perf_counter()
    submitted: list[float] = []
    done: list[float] = []

    def progress(event: ProgressEvent) -> None:
        if event.kind == "submitted":
            submitted.append(time.perf_counter() - start)
        elif event.kind == "job" and event.status is not None and event.status.done:
            done.append(time.perf_counter() - start)

    try:
        result = apply_plan(
            plan,
            ctx.client,
            ctx.settings,
            journal=journal,
            progress=progress,
            options=ApplyOptions(),
        )
    finally:
        journal.release()
    counts = {k: v for k, v in result.counts().items() if v}
    if set(counts) != {"succeeded"}:
        raise RuntimeError(f"apply did not succeed: {result.summary_line()}")
    return {
        "changes": len(plan.changes),
        "outcomes": counts,
        # Seconds from the start until the last configure request was answered.
        "submission": max(submitted, default=0.0),
        "first_submission": min(submitted, default=0.0),
        # Seconds from the start until the first and the last job was seen done.
        "first_done": min(done, default=0.0),
        "last_done": max(done, default=0.0),
    }


def apply_naive(ctx: Context) -> dict[str, Any]:
    from bench import naive

    assert ctx.client is not None
    plan: Plan = ctx.state["plan"]
    interval = ctx.spec.poll_interval or ctx.client.poll_interval
    return naive.apply(ctx.client, plan, interval=interval, sample=ctx.spec.sample)


SCENARIOS: dict[
    tuple[str, str], tuple[Callable[[Context], None] | None, Callable[[Context], dict[str, Any]]]
] = {
    ("parse-floor", "floor"): (None, parse_floor),
    ("validate", "ours"): (None, validate_ours),
    ("validate", "naive"): (None, validate_naive),
    ("plan", "ours"): (None, plan_ours),
    ("plan", "naive"): (None, plan_naive),
    ("plan-targeted", "ours"): (prepare_targeted, plan_targeted),
    ("plan-targeted", "naive"): (None, plan_naive),
    ("apply", "ours"): (prepare_apply, apply_ours),
    ("apply", "naive"): (prepare_apply, apply_naive),
}
