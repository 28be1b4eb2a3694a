"""Retry policy: which failures are retried, how long to wait, and when to give up.

The retry *loop* lives in :meth:`ProductIngestionClient._send` so it reads top to bottom in
one place; this module holds the pieces it needs and that are worth testing alone:

* :func:`classify_exception` sorts httpx transport errors into "the request never left"
  (safe to retry even for ``POST configure``) and "the request may have been processed"
  (ambiguous: a non-idempotent request must check its effect before it is sent again).
* :func:`parse_retry_after` reads ``Retry-After`` as delta-seconds or an HTTP date.
* :class:`RetryPolicy` bounds retries by count *and* total time, and computes exponential
  backoff with jitter so parallel CI jobs do not retry in lock-step.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from reconciler.settings import ApiSettings

# Raised before a single byte of the request reached the server: a retry cannot duplicate it.
NOT_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)

# Statuses that mean "try again later"; 429 and 503 carry Retry-After when the server knows.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_AFTER_STATUSES = frozenset({429, 503})


def classify_exception(exc: httpx.TransportError) -> str:
    """``"not-sent"`` for errors before the request went out, ``"ambiguous"`` otherwise."""
    return "not-sent" if isinstance(exc, NOT_SENT) else "ambiguous"


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value, or None when it is absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        # RFC 9110 says an integer; a fractional value is read too rather than ignored.
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is not a delay
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 5  # retries after the first attempt
    max_seconds: float = 120.0  # total time budget across all waits
    backoff: float = 1.0  # first backoff delay; doubles each attempt
    max_backoff: float = 30.0

    @classmethod
    def from_settings(cls, api: ApiSettings) -> RetryPolicy:
        return cls(
            retries=api.retries, max_seconds=api.retry_max_seconds, backoff=api.backoff_seconds
        )

    @property
    def attempts(self) -> int:
        return self.retries + 1

    def backoff_delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Delay after failed attempt *attempt* (1-based): exponential, capped, 50-100 % jitter."""
        base = min(self.max_backoff, self.backoff * (2 ** (attempt - 1)))
        return base * (0.5 + 0.5 * rand())
