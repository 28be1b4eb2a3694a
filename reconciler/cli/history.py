"""Which apply history (reconciler.state.history) a command reads or writes.

The same backend as the apply lock (``local`` or ``github``, see reconciler.cli.lock): a
local apply's history is on this machine, an Actions apply's in a ref of the repository,
so the scheduled drift job reads what the merge's apply job did. Every command that ends
an apply run writes it: ``apply``, and ``jobs resume`` / ``jobs cancel`` or the settling
of a later apply for a run an earlier apply left open (:func:`recorder`).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from reconciler.cli.common import ApiTarget, echo_err
from reconciler.cli.lock import GITHUB_NEEDS, backend_name
from reconciler.errors import ReconcilerError
from reconciler.secrets import redact
from reconciler.settings import Settings
from reconciler.state.history import ApplyHistory, HistoryStore, LocalHistory, RefHistory

if TYPE_CHECKING:
    from reconciler.apply.outcome import ApplyResult
    from reconciler.apply.session import Recorder
    from reconciler.plan.plan import Plan


def history_store(api: ApiTarget, settings: Settings, endpoint: str, role: str) -> HistoryStore:
    target = api.journal_target(settings, endpoint)
    if backend_name(settings) == "local" or not all(os.environ.get(k) for k in GITHUB_NEEDS):
        return LocalHistory(target, role)
    from reconciler.github.client import GitHubClient
    from reconciler.github.state_ref import GitHubRefStore
    from reconciler.state.remote import RefConflict

    client = GitHubClient(os.environ["GITHUB_API_URL"], os.environ["GITHUB_TOKEN"])
    store = GitHubRefStore(client, os.environ["GITHUB_REPOSITORY"])
    return RefHistory(store, target, role, RefConflict)


def read_history(api: ApiTarget, settings: Settings, endpoint: str, role: str) -> ApplyHistory:
    """The history, or an empty one with a warning: drift is still made without it."""
    try:
        return history_store(api, settings, endpoint, role).load()
    except ReconcilerError as exc:
        echo_err(redact(f"warning: the apply history was not read ({exc.message})"))
        return ApplyHistory()


def remember(
    api: ApiTarget, settings: Settings, endpoint: str, plan: Plan, result: ApplyResult
) -> None:
    """Keep each offer's outcome in the apply history (drift and import read it)."""
    from reconciler.apply.history import record_apply

    try:
        record_apply(history_store(api, settings, endpoint, plan.meta.role), plan, result)
    except ReconcilerError as exc:
        # The apply itself is done; drift then judges this offer by git alone.
        echo_err(redact(f"warning: the apply history was not updated ({exc.message})"))


def recorder(api: ApiTarget, settings: Settings, endpoint: str) -> Recorder:
    """Records a journal's outcome when a command other than the apply that opened it
    (``jobs resume``, ``jobs cancel``, the settling of a later apply) ends its run."""

    def record(plan: Plan, result: ApplyResult) -> None:
        remember(api, settings, endpoint, plan, result)

    return record
