"""The planning pipeline every command shares: files -> live offers -> Plan.

``reconciler plan``, ``reconciler drift`` and ``reconciler apply PATHS`` all plan the same
way; only the client differs (read-only for plan and drift, write-enabled for apply). The
files are loaded first and separately (:func:`load_files`) so invalid input is refused
before any client exists: a file that does not validate never causes a request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.offers.loader import OfferFile, load_offer_files
from reconciler.plan.baseline import Baseline, git_sha, load_baseline
from reconciler.plan.live import LiveClient, LiveState, fetch_live, managed_selector
from reconciler.plan.plan import Plan
from reconciler.plan.planner import PlanOptions, make_plan, role_kinds
from reconciler.settings import Settings


@dataclass(frozen=True)
class PlanInputs:
    paths: Sequence[Path] = field(default_factory=tuple)  # empty = the settings' offers folder
    role: str = "publisher"
    baseline: str | None = None  # git ref of the files the "why" of each change is judged by
    allow_republish: bool = False
    force: bool = False


@dataclass(frozen=True)
class LoadedFiles:
    files: list[OfferFile]
    baseline: Baseline | None


def load_files(settings: Settings, inputs: PlanInputs) -> LoadedFiles:
    """Load and validate the offer files (and the baseline's); raises OfferFilesInvalid."""
    paths = list(inputs.paths) or [settings.offers_path()]
    files = load_offer_files(paths, settings)
    baseline = load_baseline(inputs.baseline, files, settings) if inputs.baseline else None
    return LoadedFiles(files, baseline)


def fetch_for(
    client: LiveClient, settings: Settings, inputs: PlanInputs, loaded: LoadedFiles
) -> LiveState:
    """The live state a plan of *loaded* needs: every offer, and the prices of the managed ones."""
    mine = [f for f in loaded.files if f.kind in role_kinds(inputs.role)]
    managed = managed_selector({f.name for f in mine}, {f.id for f in mine if f.id})
    return fetch_live(client, managed=managed, workers=settings.api.max_connections)


def plan_live(
    client: LiveClient, settings: Settings, inputs: PlanInputs, loaded: LoadedFiles, live: LiveState
) -> Plan:
    """Build the plan of *loaded* against an already fetched *live* state."""
    options = PlanOptions(
        role=inputs.role,
        allow_republish=inputs.allow_republish,
        force=inputs.force,
        endpoint=str(getattr(client, "endpoint", "")),
        git_sha=git_sha(Path.cwd()),
    )
    return make_plan(loaded.files, live, settings, baseline=loaded.baseline, options=options)


def plan_loaded(
    client: LiveClient, settings: Settings, inputs: PlanInputs, loaded: LoadedFiles
) -> Plan:
    """Fetch what the files' role manages from *client* and build the plan."""
    live = fetch_for(client, settings, inputs, loaded)
    return plan_live(client, settings, inputs, loaded, live)
