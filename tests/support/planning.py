"""A plan made on an already open client: the pipeline ``reconciler plan`` runs, without the CLI."""

from __future__ import annotations

from pathlib import Path

from reconciler.cli.common import ApiTarget
from reconciler.plan.live import LiveClient
from reconciler.plan.pipeline import PlanInputs, load_files, plan_loaded
from reconciler.plan.plan import Plan
from reconciler.settings import Settings


def plan_now(
    client: LiveClient,
    settings: Settings,
    source: tuple[Path, ...],
    role: str | None,
    account: str | None,
    allow_republish: bool,
    force: bool,
) -> Plan:
    """Plan *source* on an already open client (the pipeline ``reconciler plan`` runs)."""
    api = ApiTarget(account=account)
    inputs = PlanInputs(source, api.role(role), None, allow_republish, force)
    return plan_loaded(client, settings, inputs, load_files(settings, inputs))
