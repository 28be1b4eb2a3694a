"""What every apply-lock backend offers, and the one loop that waits for a held lock.

The ``local`` backend (:mod:`reconciler.state.lock`, a ``flock``) and the ``github`` backend
(:mod:`reconciler.state.remote`, a compare-and-set ref) differ only in how one attempt
takes the lock and how the holder is named; waiting up to ``--lock-timeout``, telling the
user once who holds it, and giving up with :class:`LockHeld` are the same, so they live here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from pydantic import BaseModel

from reconciler.errors import LockHeld


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


#: One attempt: ``(True, None)`` when the lock is now ours, else ``(False, holder)``.
Attempt = Callable[[], tuple[bool, LockInfo | None]]


class StateLock(Protocol):
    """The apply lock of one service and account, whichever backend keeps it."""

    info: LockInfo | None  # this run's record, once acquired
    previous: LockInfo | None  # a holder that left jobs open, taken over by this run

    def read_info(self) -> LockInfo | None: ...

    def held(self) -> bool: ...

    def acquire(
        self,
        *,
        timeout: float = 0.0,
        on_wait: Callable[[LockInfo | None], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> LockInfo: ...

    def release(self, *, open_jobs: bool = False) -> None: ...

    def force_release(self, lock_id: str) -> LockInfo: ...


def wait_for_lock(
    attempt: Attempt,
    *,
    timeout: float,
    held_message: Callable[[LockInfo | None], str],
    on_wait: Callable[[LockInfo | None], None] | None,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    poll: float,
) -> None:
    """Try until the lock is ours or *timeout* seconds passed (then :class:`LockHeld`).

    *on_wait* hears the holder once, when the first attempt finds the lock held; between
    attempts the loop sleeps *poll* seconds at most (never past the deadline).
    """
    deadline = clock() + timeout
    told = False
    while True:
        taken, holder = attempt()
        if taken:
            return
        if clock() >= deadline:
            raise LockHeld(held_message(holder))
        if on_wait is not None and not told:
            on_wait(holder)
            told = True
        sleep(min(poll, max(0.0, deadline - clock())))
