"""The apply history: each offer's last apply outcome, kept by the state backend.

Drift compares git with the live offers. Without knowing what apply did, a change git
approved that a failed or unfinished apply never made looks exactly like an edit made
outside git, and the suggested fix (import the live value) would undo the approved deal.
So every apply records, per offer file, how its last change ended (``succeeded``,
``failed``, ``running``, ...) and *what git asked for*: a digest of each field's value
(never the value itself: no secret or price ever lands in the state). Drift and import
read it back:

* a drifting offer whose last apply did not succeed, and whose differing fields are
  exactly the values that apply was to set, is "approved in git, not applied yet";
* import never writes such a field back into git.

Where it is kept follows the state backend of the lock: ``local`` -- a file in this
service's state directory (``$XDG_STATE_HOME/reconciler/<key>/history.json``);
``github`` -- the ref ``refs/reconciler/history-<key>`` written by compare-and-set, so a
fresh runner (the scheduled drift job) reads what the last apply job did. The key is the
service and the role (publisher or selling partner), not the app that reads or writes:
the plan app and the applying app see one history.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, Field, ValidationError

from reconciler.errors import ReconcilerError
from reconciler.state.files import atomic_write, private_dir
from reconciler.state.lock import state_dir, state_key

HISTORY_VERSION = 1
# Fields whose difference a failed multi-step change itself leaves behind (a republish
# that withdrew and then failed): judged by the outcome, not by a digest.
STEP_FIELDS = frozenset({"state"})


def digest(value: object) -> str:
    """A short, stable fingerprint of a field value (canonical JSON)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class OfferOutcome(BaseModel):
    """How the last apply of one offer file ended, and what git asked of it."""

    file: str
    offer_name: str
    offer_id: str | None = None
    action: str
    status: str  # an apply outcome status (reconciler.apply.outcome.STATUSES)
    at: str  # when the apply ended (UTC, ISO 8601)
    plan_checksum: str
    commit: str | None = None  # the git commit applied, when known
    fields: dict[str, str] = Field(default_factory=dict)  # field path -> digest of git's value
    message: str | None = None

    @property
    def applied(self) -> bool:
        return self.status == "succeeded"


class ApplyHistory(BaseModel):
    version: int = HISTORY_VERSION
    offers: dict[str, OfferOutcome] = Field(default_factory=dict)  # offer file -> last outcome

    def not_applied(self, file: str, fields: list[tuple[str, object]]) -> OfferOutcome | None:
        """The last outcome of *file* when its differing *fields* (path, git's value) are
        what an apply that did not succeed was to set; else None."""
        entry = self.offers.get(file)
        if entry is None or entry.applied or not fields:
            return None
        for path, value in fields:
            if path in STEP_FIELDS:
                continue
            if entry.fields.get(path) != digest(value):
                return None
        return entry


def parse(text: str, where: str) -> ApplyHistory:
    if not text.strip():
        return ApplyHistory()
    try:
        return ApplyHistory.model_validate_json(text)
    except ValidationError:
        raise ReconcilerError(f"{where}: the apply history is unreadable") from None


class HistoryStore(Protocol):
    def load(self) -> ApplyHistory: ...

    def update(self, change: Callable[[ApplyHistory], None]) -> None: ...


def history_key(target: str, role: str) -> str:
    return state_key(target, f"history:{role}")


class LocalHistory:
    """The history as a file of this machine's state directory."""

    def __init__(self, target: str, role: str) -> None:
        self.path: Path = state_dir(target, f"history:{role}") / "history.json"

    def load(self) -> ApplyHistory:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ApplyHistory()
        except OSError as exc:
            raise ReconcilerError(f"{self.path}: cannot read: {exc.strerror}") from None
        return parse(text, str(self.path))

    def update(self, change: Callable[[ApplyHistory], None]) -> None:
        # The caller holds the apply lock of this service: no other writer meanwhile.
        history = self.load()
        change(history)
        private_dir(self.path.parent)
        atomic_write(self.path, history.model_dump_json(indent=1) + "\n")


class RefDocuments(Protocol):
    """The compare-and-set ref store (reconciler.state.remote.RefStore)."""

    def read(self, ref: str) -> tuple[str, str] | None: ...

    def create(self, ref: str, text: str) -> str: ...

    def update(self, ref: str, text: str, parent: str) -> str: ...


class RefHistory:
    """The history in a ref of the repository (the ``github`` backend)."""

    def __init__(
        self, store: RefDocuments, target: str, role: str, conflict: type[Exception]
    ) -> None:
        self.store = store
        self.ref = f"refs/reconciler/history-{history_key(target, role)}"
        self.conflict = conflict

    def load(self) -> ApplyHistory:
        found = self.store.read(self.ref)
        return parse(found[1], self.ref) if found else ApplyHistory()

    def update(self, change: Callable[[ApplyHistory], None]) -> None:
        for _ in range(3):  # another writer between read and write: read again, redo
            found = self.store.read(self.ref)
            history = parse(found[1], self.ref) if found else ApplyHistory()
            change(history)
            text = history.model_dump_json(indent=1) + "\n"
            try:
                if found is None:
                    self.store.create(self.ref, text)
                else:
                    self.store.update(self.ref, text, found[0])
                return
            except self.conflict:
                continue
        raise ReconcilerError(f"{self.ref}: the apply history kept moving; not recorded")
