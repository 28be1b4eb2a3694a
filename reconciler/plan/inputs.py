"""What the planner reads: the offer-file protocol and the options of one plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from reconciler.offers.model import FileControls
from reconciler.plan.scope import Scope


class OfferFileLike(Protocol):
    """What the planner reads of :class:`reconciler.offers.loader.OfferFile`."""

    @property
    def path(self) -> Path: ...
    @property
    def name(self) -> str: ...
    @property
    def id(self) -> str | None: ...
    @property
    def kind(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def controls(self) -> FileControls: ...
    def position(self, field_path: Sequence[str | int]) -> tuple[int, int]: ...
    def api_body(self) -> dict[str, object]: ...


@dataclass
class PlanOptions:
    role: str = "publisher"
    allow_republish: bool = False
    force: bool = False
    endpoint: str = ""
    git_sha: str | None = None
    now: Callable[[], dt.datetime] | None = None
    # A targeted plan (plan.scope = "changed", see plan/scope.py) reads only the changed
    # files: it lists no unmanaged offers (it did not read them), and its thresholds count
    # the (managed, active) offers of the last full run instead of the few it read.
    scope: Scope = Scope.ALL
    files_not_read: int = 0
    population: tuple[int, int] | None = None
    # Offer ids this tool's apply journals record creating, oldest first: with two live
    # offers of one name, the file manages the newest of these (see plan/identity.py).
    ours: tuple[str, ...] = ()
