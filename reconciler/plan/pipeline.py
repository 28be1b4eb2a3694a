"""The planning pipeline every command shares: files -> live offers -> Plan.

``reconciler plan``, ``reconciler drift`` and ``reconciler apply PATHS`` all plan the same
way; only the client differs (read-only for plan and drift, write-enabled for apply). The
files are loaded first and separately (:func:`load_files`) so invalid input is refused
before any client exists: a file that does not validate never causes a request.

A pull request's plan may be *targeted* (``plan.scope = "changed"`` with ``--baseline``):
only the changed files are loaded (:mod:`.scope`) and only their offers read, by id
(:mod:`.targeted`), with the ids and the thresholds' population from the cache the last
full run wrote (:mod:`reconciler.state.idcache`). Without that cache it plans everything.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.errors import OfferFilesInvalid, ReconcilerError
from reconciler.offers.domain import INACTIVE_STATES, canonical_type, name_key, offer_key
from reconciler.offers.loader import OfferFile, load_offer_files
from reconciler.plan.baseline import Baseline, git_sha, load_baseline
from reconciler.plan.live import (
    LiveClient,
    LiveState,
    complete_summaries,
    fetch_live,
    managed_selector,
)
from reconciler.plan.plan import Plan
from reconciler.plan.plan_ids import priced_products, read_plan_ids, unknown_plans
from reconciler.plan.planner import PlanOptions, make_plan, role_kinds
from reconciler.plan.scope import Scope, Selection, select_files
from reconciler.plan.targeted import fetch_targeted
from reconciler.plan.upgrades import upgrade_sources
from reconciler.settings import Settings
from reconciler.state.idcache import IdCache, load_cache, save_cache


@dataclass(frozen=True)
class PlanInputs:
    paths: Sequence[Path] = field(default_factory=tuple)  # empty = the settings' offers folder
    role: str = "publisher"
    baseline: str | None = None  # git ref of the files the "why" of each change is judged by
    allow_republish: bool = False
    force: bool = False
    # Whether plan.scope applies: only ``reconciler plan`` sets it; apply and drift stay full.
    targeted: bool = False
    ours: tuple[str, ...] = ()  # offer ids the apply journals record creating (oldest first)


@dataclass(frozen=True)
class LoadedFiles:
    files: list[OfferFile]
    baseline: Baseline | None
    selection: Selection | None = None  # which files were read (None: all of them)

    @property
    def scope(self) -> Scope:
        return self.selection.scope if self.selection is not None else Scope.ALL


@contextlib.contextmanager
def settled_heap() -> Iterator[None]:
    """What exists now is left out of garbage collection until the block ends.

    After loading, the heap holds the files' models (and then the live offers), alive
    until the plan is made. Every full collection while the plan reads and compares
    walked all of them again, for nothing: half the CPU of the comparison at 5,000
    offers, more as the account grows. Objects made inside the block are collected as
    usual (httpx leaves cycles behind on every request, the comparison on changed offers).
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def load_files(settings: Settings, inputs: PlanInputs) -> LoadedFiles:
    """Load and validate the offer files (and the baseline's); raises OfferFilesInvalid."""
    paths = list(inputs.paths) or [settings.offers_path()]
    selection = None
    if inputs.targeted and inputs.baseline and Scope(settings.plan.scope) is Scope.CHANGED:
        selection = select_files(paths, Scope.CHANGED, inputs.baseline)
        paths = selection.paths
    files = load_offer_files(paths, settings) if paths else []
    baseline = load_baseline(inputs.baseline, files, settings) if inputs.baseline else None
    return LoadedFiles(files, baseline, selection)


def state_dir(settings: Settings) -> Path:
    return settings.root / settings.apply.journal_dir / "cache"


def _endpoint(client: object) -> str:
    return str(getattr(client, "endpoint", ""))


def fetch_for(
    client: LiveClient, settings: Settings, inputs: PlanInputs, loaded: LoadedFiles
) -> LiveState:
    """The live state a plan of *loaded* needs: every offer, and the prices of the managed ones."""
    mine = [f for f in loaded.files if f.kind in role_kinds(inputs.role)]
    managed = managed_selector({f.name for f in mine}, {f.id for f in mine if f.id})
    with settled_heap():
        live = fetch_live(client, managed=managed, workers=settings.api.max_connections)
        # A file no live offer has the name of is a create, unless it renames an unmanaged
        # offer of the same deal (plan.renames): those offers' fields are needed too.
        names = {name_key(o.get("name")) for o in live.offers}
        creating = {f.kind for f in mine if not f.id and name_key(f.name) not in names}
        if creating:

            def rename_candidate(offer: dict[str, object]) -> bool:
                return (
                    offer.get("state") not in INACTIVE_STATES
                    and canonical_type(offer.get("privateOfferType")) in creating
                    and not managed(offer)
                )

            complete_summaries(client, live, rename_candidate, workers=settings.api.max_connections)
        # An upgrade about to be created needs to know whether its original was accepted.
        originals = upgrade_sources(mine, names)
        if originals:
            complete_summaries(
                client,
                live,
                lambda offer: offer_key(offer.get("id")) in originals,
                workers=settings.api.max_connections,
            )
        return live


def plan_live(
    client: LiveClient,
    settings: Settings,
    inputs: PlanInputs,
    loaded: LoadedFiles,
    live: LiveState,
    *,
    cache: IdCache | None = None,
) -> Plan:
    """Build the plan of *loaded* against an already fetched *live* state (with *cache*: a
    targeted plan, counted against the cache's population)."""
    targeted = cache is not None and loaded.scope is Scope.CHANGED
    options = PlanOptions(
        role=inputs.role,
        allow_republish=inputs.allow_republish,
        force=inputs.force,
        endpoint=_endpoint(client),
        git_sha=git_sha(Path.cwd()),
        scope=Scope.CHANGED if targeted else Scope.ALL,
        files_not_read=loaded.selection.not_read if targeted and loaded.selection else 0,
        population=cache.population if targeted and cache is not None else None,
        ours=inputs.ours,
    )
    attach_plan_ids(client, settings, inputs, loaded, live)
    with settled_heap():
        return make_plan(loaded.files, live, settings, baseline=loaded.baseline, options=options)


def attach_plan_ids(
    client: LiveClient, settings: Settings, inputs: PlanInputs, loaded: LoadedFiles, live: LiveState
) -> None:
    """Read the plan list of each product the files price (once per product), so a plan
    named by its durable id or its external id is one plan; a file naming a plan its product
    does not have is refused with its file, line and field (OfferFilesInvalid)."""
    mine = [(f, f.api_body()) for f in loaded.files if f.kind in role_kinds(inputs.role)]
    products = priced_products(body for _, body in mine)
    read_plan_ids(client, products, workers=settings.api.max_connections, into=live.plans)
    live.offers = live.plans.named_all(live.offers)
    problems = unknown_plans(mine, live.plans)
    if problems:
        raise OfferFilesInvalid(problems)


def plan_loaded(
    client: LiveClient, settings: Settings, inputs: PlanInputs, loaded: LoadedFiles
) -> Plan:
    """Fetch what the files' role manages from *client* and build the plan."""
    if loaded.scope is Scope.CHANGED:
        cache = load_cache(state_dir(settings), _endpoint(client), inputs.role)
        get_offer = getattr(client, "get_offer", None)
        if cache is not None and get_offer is not None:
            mine = [f for f in loaded.files if f.kind in role_kinds(inputs.role)]
            found = fetch_targeted(
                client,
                mine,
                cache,
                workers=settings.api.max_connections,
            )
            return plan_live(client, settings, inputs, loaded, found.live, cache=cache)
        # No full run has left ids and a population yet: plan everything this once.
        inputs = PlanInputs(
            inputs.paths, inputs.role, inputs.baseline, inputs.allow_republish, inputs.force
        )
        loaded = load_files(settings, inputs)
    live = fetch_for(client, settings, inputs, loaded)
    plan = plan_live(client, settings, inputs, loaded, live)
    if not inputs.paths or [Path(p).resolve() for p in inputs.paths] == [settings.offers_path()]:
        remember(settings, _endpoint(client), inputs.role, plan)
    return plan


def remember(settings: Settings, endpoint: str, role: str, plan: Plan) -> None:
    """Refresh the id cache from a full plan of the whole offers folder."""
    refs = [(r.offer_name, r.offer_id, r.state) for r in plan.unchanged]
    refs += [(c.offer_name, c.offer_id, c.live_state) for c in plan.changes]
    live = [(name, oid, state) for name, oid, state in refs if oid and state != "deleted"]
    # A cache that cannot be written only makes the next targeted plan list.
    with contextlib.suppress(OSError, ReconcilerError):
        save_cache(
            state_dir(settings),
            endpoint=endpoint,
            role=role,
            refreshed_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            ids={name: str(oid) for name, oid, _ in live},
            managed=len(live),
            active=sum(1 for _, _, state in live if state not in INACTIVE_STATES),
        )
