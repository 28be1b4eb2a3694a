"""The apply lock: one writer per service and account, its holder shown to whoever waits.

Like Terraform's ``local`` backend: a ``flock`` on a file under the user's state directory
(``$XDG_STATE_HOME/reconciler``, default ``~/.local/state/reconciler``), one directory per
service *and* account, so two checkouts of the same repository on one machine serialize
while applies to different accounts do not. Beside the lock file, ``lock.json`` holds the
holder's :class:`LockInfo` (id, who, when, run URL) for ``reconciler lock status`` and for
the message a second apply prints while it waits (``--lock-timeout``) or gives up (exit 7).

The ``flock`` dies with its process, so a killed apply never blocks the next one; when a
run ends with jobs still open (exit 6) its ``lock.json`` stays, marked ``open``, its open
journals move into the state directory, and the next apply -- from any checkout -- takes
them, is told it follows those jobs, and settles them before planning.
``reconciler lock release ID`` removes such a record, by its exact id only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import getpass
import hashlib
import json
import os
import re
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

from pydantic import BaseModel, ValidationError

from reconciler.errors import LockHeld, ReconcilerError
from reconciler.state.files import atomic_write, atomic_write_bytes, private_dir, why


class LockInfo(BaseModel):
    """Who holds (or last held with jobs open) the lock of one service and account."""

    id: str
    operation: str = "apply"
    who: str
    created: str
    target: str
    account: str
    run_url: str | None = None
    open_jobs: bool = False  # the run ended with jobs or lost answers still open

    def describe(self) -> str:
        where = f" ({self.run_url})" if self.run_url else ""
        return f"lock {self.id}: {self.operation} by {self.who} since {self.created}{where}"


def state_home(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "reconciler"


def state_key(target: str, account: str) -> str:
    """The key of one service and account (a state directory's or a state ref's name)."""
    return hashlib.sha256(f"{target}\x1f{account}".encode()).hexdigest()[:20]


def state_dir(target: str, account: str, env: Mapping[str, str] | None = None) -> Path:
    """The state directory of one service and account."""
    return state_home(env) / state_key(target, account)


def kept_journal_dirs(env: Mapping[str, str] | None = None) -> list[Path]:
    """The folders where runs that ended with jobs open left their journals (any service
    and account of this user on this machine; see :class:`LocalLock`)."""
    home = state_home(env)
    return sorted(d for d in home.glob("*/journals") if d.is_dir()) if home.is_dir() else []


def new_info(target: str, account: str) -> LockInfo:
    """The lock record of this process."""
    return LockInfo(
        id=uuid.uuid4().hex[:12],
        who=f"{getpass.getuser()}@{socket.gethostname()} pid {os.getpid()}",
        created=_now(),
        target=target,
        account=account,
        run_url=run_url(),
    )


def run_url(env: Mapping[str, str] | None = None) -> str | None:
    """The GitHub Actions run that holds the lock, when in one."""
    env = os.environ if env is None else env
    server, repo, run = (
        env.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    return f"{server}/{repo}/actions/runs/{run}" if server and repo and run else None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


# An apply journal's file name (reconciler.apply.journal); nothing else is moved.
_JOURNAL = re.compile(r"^\d{8}T\d+Z-[0-9a-f]{12}\.jsonl$")


def _move(source: Path, dest: Path) -> None:
    """Move a journal byte for byte (a torn last record included: its reader cuts it off)."""
    try:
        try:
            os.replace(source, dest)
            return
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
        # Another file system (a checkout elsewhere than the state home): copy, then remove.
        atomic_write_bytes(dest, source.read_bytes())
        source.unlink()
    except OSError as exc:
        raise ReconcilerError(
            f"{source}: cannot move the apply journal to {dest.parent}: {why(exc)}"
        ) from None


class LocalLock:
    """The ``local`` backend's lock of one state directory.

    Like the ``github`` backend's ref, the state directory also carries the *open journals*
    of a run that ended with jobs open (exit 6): they are moved from the checkout into
    ``<state dir>/journals/`` when the lock is released, and moved into the checkout of
    whichever apply takes the lock next, so an apply from any checkout on this machine
    follows those jobs before planning instead of sending their changes again.
    """

    def __init__(
        self,
        directory: Path,
        *,
        target: str,
        account: str,
        journal_dir: Path | None = None,
        open_journals: Callable[[], list[Path]] | None = None,
    ) -> None:
        self.directory = directory
        self.target = target
        self.account = account
        self.journal_dir = journal_dir  # this checkout's journal folder
        self.open_journals = open_journals  # this checkout's open journals of the target
        self._handle: IO[str] | None = None
        self.info: LockInfo | None = None
        self.previous: LockInfo | None = None  # a record left by a run with open jobs

    @property
    def kept_dir(self) -> Path:
        """Where the open journals of a run that ended with jobs open wait for the next."""
        return self.directory / "journals"

    @property
    def info_path(self) -> Path:
        return self.directory / "lock.json"

    def read_info(self) -> LockInfo | None:
        try:
            return LockInfo.model_validate(json.loads(self.info_path.read_text(encoding="utf-8")))
        except (OSError, ValueError, ValidationError):
            return None

    def acquire(
        self,
        *,
        timeout: float = 0.0,
        on_wait: Callable[[LockInfo | None], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> LockInfo:
        """Take the lock, waiting up to *timeout* seconds; :class:`LockHeld` names the holder."""
        private_dir(self.directory)
        try:
            handle = (self.directory / "lock").open("a", encoding="utf-8")
        except OSError as exc:
            raise ReconcilerError(
                f"{self.directory / 'lock'}: cannot open the apply lock: {why(exc)}"
            ) from None
        deadline = clock() + timeout
        told = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                holder = self.read_info()
                if clock() >= deadline:
                    handle.close()
                    what = holder.describe() if holder else "another apply"
                    raise LockHeld(
                        f"the state of {self.target} is locked: {what}. Wait for it "
                        f"(--lock-timeout SECONDS), or see `reconciler lock status`"
                    ) from None
                if on_wait is not None and not told:
                    on_wait(holder)
                    told = True
                sleep(min(0.2, max(0.0, deadline - clock())))
        self._handle = handle
        left = self.read_info()
        self.previous = left if left is not None and left.open_jobs else None
        self._take_kept()
        self.info = new_info(self.target, self.account)
        atomic_write(self.info_path, self.info.model_dump_json(indent=2) + "\n")
        return self.info

    def _take_kept(self) -> None:
        """Move the journals a run left open (from any checkout) into this checkout; one
        already here is never overwritten."""
        if self.journal_dir is None or not self.kept_dir.is_dir():
            return
        for kept in sorted(self.kept_dir.iterdir()):
            if not _JOURNAL.match(kept.name):
                continue
            here = self.journal_dir / kept.name
            if here.exists():
                kept.unlink()
            else:
                private_dir(self.journal_dir)
                _move(kept, here)

    def _keep_open(self) -> None:
        """Move this checkout's open journals into the state directory for the next run."""
        if self.open_journals is None:
            return
        try:
            paths = self.open_journals()
        except ReconcilerError:
            return  # unreadable: it stays in the checkout, whose next apply names it
        for path in paths:
            private_dir(self.kept_dir)
            _move(path, self.kept_dir / path.name)

    def release(self, *, open_jobs: bool = False) -> None:
        """Unlock; with *open_jobs* the record stays (marked open) for the next run to see."""
        if self._handle is None:
            return
        try:
            if open_jobs and self.info is not None:
                self._keep_open()
                marked = self.info.model_copy(update={"open_jobs": True})
                atomic_write(self.info_path, marked.model_dump_json(indent=2) + "\n")
            else:
                self.info_path.unlink(missing_ok=True)
        finally:
            self._handle.close()
            self._handle = None

    def held(self) -> bool:
        """Whether a live process holds the flock now (without taking it)."""
        path = self.directory / "lock"
        if not path.exists():
            return False
        with path.open("a", encoding="utf-8") as probe:
            try:
                fcntl.flock(probe.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(probe.fileno(), fcntl.LOCK_UN)
            return False

    def force_release(self, lock_id: str) -> LockInfo:
        """Remove the record of lock *lock_id* (exact id only, as `terraform force-unlock`)."""
        info = self.read_info()
        if info is None or info.id != lock_id:
            current = info.id if info else "none"
            raise ReconcilerError(f"no lock {lock_id!r} here (current lock: {current})")
        if self.held():
            raise ReconcilerError(
                f"lock {lock_id} is held by a running process ({info.who}); it ends with it"
            )
        with contextlib.suppress(FileNotFoundError):
            self.info_path.unlink()
        return info
