"""Thousands of offers on every core: a list split into contiguous runs, the first done
here, the others in forked children whose results come back, in order, on pipes.

Loading offer files and comparing them with their live offers is pure CPU under one
interpreter lock: for 5,000 offers about two seconds and half a second on one core while
the others idle (and a plan cannot send its first read before the last file is valid,
docs/guarantees.md). A forked child starts with everything already imported and costs a few
milliseconds; what it sends back (pickled) costs a tenth of what it saves.

Forking is only done where it is safe and worth it: Linux, at least :data:`MIN_ITEMS` items,
more than one usable core, and no other thread in the process (a lock another thread held at
the fork would stay held in the child). The work must be pure computation: no request, no
file written, no log. The one process-wide state it may change, the registry of values to
redact (a ``${SECRET}`` expanded while loading), comes back with the result. A child that
fails in any way -- killed, an exception, an answer that does not unpickle -- has its run done
again here, so the result never depends on whether a child helped.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from reconciler.secrets import REGISTRY

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS = 400  # below this a run takes ~0.1 s: not worth a process
MAX_PARTS = 4  # the parent reads every child's answer; more parts cost it more than they save
# A child's run takes longer per file than the parent's (its first writes to the pages it
# shares with the parent copy them; it pickles its answer, which the parent then reads):
# the parent's run is this much longer, so that both end together. Measured on 5,000 files.
PARENT_SHARE = 1.35


def parts_for(count: int) -> int:
    """How many runs (this process's included) to split *count* items into."""
    if count < MIN_ITEMS or sys.platform != "linux" or threading.active_count() > 1:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - Linux has it
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_PARTS, count // (MIN_ITEMS // 2)))


def split(items: Sequence[T], parts: int, first: float = 1.0) -> list[Sequence[T]]:
    """*items* in *parts* contiguous runs, in order: the first *first* times as long as each
    of the others (which are of equal length, give or take one)."""
    head = round(len(items) * first / (first + parts - 1)) if parts > 1 else len(items)
    runs: list[Sequence[T]] = [items[:head]]
    rest = items[head:]
    size, extra = divmod(len(rest), max(1, parts - 1))
    start = 0
    for n in range(parts - 1):
        end = start + size + (1 if n < extra else 0)
        runs.append(rest[start:end])
        start = end
    return runs


def map_parts(work: Callable[[Sequence[T]], R], items: Sequence[T], parts: int) -> list[R]:
    """``[work(run) for run in split(items, parts)]``, the runs after the first in forked
    children; with *parts* <= 1 (or without ``os.fork``) all of it here."""
    if parts <= 1 or not hasattr(os, "fork"):
        return [work(items)]
    runs = split(items, parts, first=PARENT_SHARE)
    # Objects the collector tracks are written to whenever it runs (their GC headers):
    # frozen, the children share the parent's pages instead of copying them. A caller that
    # froze the heap itself (plan.pipeline.settled_heap) keeps it frozen: unfreezing is all
    # or nothing, and would have the collector walk the whole heap again from here on.
    frozen_by_caller = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        children = [_Child.start(work, run) for run in runs[1:]]
    finally:
        if not frozen_by_caller:
            gc.unfreeze()
    try:
        results = [work(runs[0])]
    except BaseException:
        for child in children:
            child.stop()
        raise
    for child, run in zip(children, runs[1:], strict=True):
        results.append(child.result(work, run))
    return results


class _Child:
    """One forked child doing one run; its pickled answer is read from a pipe."""

    def __init__(self, pid: int, read_end: int) -> None:
        self.pid = pid
        self.read_end = read_end

    @classmethod
    def start(cls, work: Callable[[Sequence[T]], R], run: Sequence[T]) -> _Child:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child, which never returns here
            _serve(work, run, read_end, write_end)
        os.close(write_end)
        return cls(pid, read_end)

    def result(self, work: Callable[[Sequence[T]], R], run: Sequence[T]) -> R:
        with os.fdopen(self.read_end, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        if status == 0 and data:
            enabled = gc.isenabled()
            # Unpickling thousands of models allocates hundreds of thousands of objects,
            # none of them garbage: a collection every few hundred would walk them all.
            gc.disable()
            answer: tuple[R, frozenset[str]] | None = None
            # Our own child's answer, on a pipe only it and we hold: not untrusted input.
            with contextlib.suppress(Exception):  # any bad answer: the run is done here
                answer = pickle.loads(data)  # noqa: S301
            if enabled:
                gc.enable()
            if answer is not None:
                value, secrets = answer
                REGISTRY.add_all(secrets)
                return value
        return work(run)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.kill(self.pid, signal.SIGKILL)
        os.close(self.read_end)
        os.waitpid(self.pid, 0)


def _serve(
    work: Callable[[Sequence[T]], R], run: Sequence[T], read_end: int, write_end: int
) -> None:  # pragma: no cover - runs in a forked child
    # os._exit, never a return or an exception: the child must not run the parent's
    # cleanup (atexit handlers, buffered output flushed twice, temporary folders removed).
    code = 1
    try:
        os.close(read_end)
        before = REGISTRY.known()
        result = work(run)
        secrets = REGISTRY.known() - before
        data = pickle.dumps((result, secrets), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_end, "wb") as out:
            out.write(data)
        code = 0
    finally:
        os._exit(code)
