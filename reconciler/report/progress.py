"""Live progress while apply's jobs run.

Two faces for the same events (:class:`reconciler.apply.outcome.ProgressEvent`):

* **lines** (CI logs, pipes, ``TERM=dumb``): one line per submission and per job state
  change -- readable in a log that is only looked at afterwards, and never a control
  character in it;
* **live** (an interactive terminal): the same notable lines (submissions, failures, stale
  offers) scroll above one status line that is redrawn in place with the job counts.

In lines mode a heartbeat line every 30 s (``RECONCILER_HEARTBEAT`` seconds) names the
jobs still open, so a CI log never sits silent for minutes while the service works.

Everything printed goes through :func:`reconciler.secrets.redact`. Events may arrive from
the submit threads, so printing is serialised by a lock.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import Counter
from typing import TextIO

import click

from reconciler.apply.outcome import ProgressEvent
from reconciler.secrets import redact

_CLEAR_LINE = "\r\x1b[2K"
HEARTBEAT_SECONDS = 30.0
_OPEN = frozenset({"submitted", "notStarted", "running", "queued"})


def _heartbeat_default() -> float:
    try:
        return float(os.environ.get("RECONCILER_HEARTBEAT", HEARTBEAT_SECONDS))
    except ValueError:
        return HEARTBEAT_SECONDS


def _offers(event: ProgressEvent) -> str:
    names = list(event.offers)
    if len(names) > 3:
        return ", ".join(names[:3]) + f" (+{len(names) - 3} more)"
    return ", ".join(names)


def is_interactive(stream: TextIO) -> bool:
    return (
        stream.isatty()
        and os.environ.get("TERM", "") != "dumb"
        and os.environ.get("CI", "").lower() not in ("true", "1")
        and os.environ.get("GITHUB_ACTIONS", "").lower() != "true"
    )


class ProgressPrinter:
    """Call it with each event; :meth:`close` ends the live status line."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        live: bool | None = None,
        heartbeat: float | None = None,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.live = is_interactive(self.stream) if live is None else live
        self._lock = threading.Lock()
        self._jobs: dict[str, str] = {}  # job id -> last state shown
        self._offers: dict[str, str] = {}  # job id -> its offers, for the heartbeat
        self._status_shown = False
        self._heartbeat = _heartbeat_default() if heartbeat is None else heartbeat
        self._stop = threading.Event()
        self._beater: threading.Thread | None = None

    def open_jobs(self) -> list[str]:
        """``<job id> (offers)`` for every job not finished yet."""
        return [
            f"{job} ({self._offers.get(job, '')})".replace(" ()", "")
            for job, state in self._jobs.items()
            if state in _OPEN
        ]

    def _beat(self) -> None:
        while not self._stop.wait(self._heartbeat):
            with self._lock:
                jobs = self.open_jobs()
                if jobs:
                    shown = ", ".join(jobs[:5]) + (
                        f" (+{len(jobs) - 5} more)" if len(jobs) > 5 else ""
                    )
                    self._echo(f"still waiting for {len(jobs)} job(s): {shown}")

    def _start_heartbeat(self) -> None:
        if self.live or self._beater is not None or self._heartbeat <= 0:
            return
        self._beater = threading.Thread(target=self._beat, name="heartbeat", daemon=True)
        self._beater.start()

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            line = self._line(event)
            if self.live:
                self._clear()
                notable = event.kind != "job" or self._jobs.get(event.job_id or "") in (
                    "failed",
                    "cancelled",
                )
                if line and notable:
                    self._echo(line)
                self._status()
            elif line:
                self._echo(line)

    def _line(self, event: ProgressEvent) -> str | None:
        offers = _offers(event)
        if event.kind == "submitted":
            self._jobs[event.job_id or ""] = "submitted"
            self._offers[event.job_id or ""] = offers
            self._start_heartbeat()
            return f"submitted job {event.job_id}: {offers}"
        if event.kind == "job" and event.status is not None:
            status = event.status
            state = status.job_result if status.done else status.job_status
            job_id = status.job_id
            if self._jobs.get(job_id) == state:
                return None
            self._jobs[job_id] = state
            text = f"job {job_id} {state}: {offers}"
            if status.done and status.errors:
                text += f" ({len(status.errors)} error(s))"
            return text
        if event.kind == "stale":
            return f"stale, not sent: {offers}: {event.message}"
        if event.kind == "failed-submit":
            return f"not accepted: {offers}: {event.message}"
        return f"{offers}: {event.message}" if offers else (event.message or None)

    def _echo(self, line: str) -> None:
        click.echo(redact(line), file=self.stream)

    def _clear(self) -> None:
        if self._status_shown:
            self.stream.write(_CLEAR_LINE)
            self._status_shown = False

    def _status(self) -> None:
        if not self._jobs:
            return
        counts = Counter(self._jobs.values())
        parts = [f"{n} {state}" for state, n in sorted(counts.items())]
        self.stream.write(f"jobs: {', '.join(parts)}")
        self.stream.flush()
        self._status_shown = True

    def close(self) -> None:
        self._stop.set()
        if self._beater is not None:
            self._beater.join(timeout=5)
        with self._lock:
            if self.live and self._status_shown:
                self.stream.write("\n")
                self.stream.flush()
                self._status_shown = False
