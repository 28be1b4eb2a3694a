"""One retry policy for the API and GitHub clients: when to retry, how long, when to stop.

The loop itself is tenacity's (:class:`tenacity.Retrying`); this module gives it the rules
both clients share:

* a retry count, and optionally a total budget: a wait that would end past the budget
  stops the loop at once instead of sleeping and failing anyway;
* optionally a cap on one wait (a rate limit that resets in ten minutes fails now rather
  than holding a CI job);
* exponential backoff from :attr:`RetryPolicy.backoff`, capped, with 50-100 % jitter when
  asked so parallel CI jobs do not retry in lock-step;
* a wait the server asked for (``Retry-After``, :func:`parse_retry_after`) wins over the
  backoff.

What counts as retryable stays with each client (a POST that may have been processed is
not, for either), passed in as a predicate on the attempt's result.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar

import tenacity

T = TypeVar("T")


class GiveUp(StrEnum):
    """Why the loop stopped while the last attempt still asked for a retry."""

    ATTEMPTS = "attempts"  # the retry count is used up
    BUDGET = "budget"  # the next wait would cross the total budget
    LONG_WAIT = "long-wait"  # the next wait is longer than one wait may be


@dataclass(frozen=True)
class Attempted(Generic[T]):
    """The last attempt's result, how many attempts were made, and why retrying stopped."""

    value: T
    attempts: int
    gave_up: GiveUp | None = None  # None: the last result was final (success or not retryable)
    refused_wait: float = 0.0  # the wait that was not taken (BUDGET, LONG_WAIT)


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 5  # retries after the first attempt
    backoff: float = 1.0  # first backoff delay; doubles each attempt
    max_backoff: float | None = 30.0  # cap of one backoff delay
    jitter: bool = True  # 50-100 % of the backoff delay, at random
    max_seconds: float | None = 120.0  # total time budget of the request, waits included
    max_wait: float | None = None  # a longer single wait (backoff or asked for) gives up

    @property
    def attempts(self) -> int:
        return self.retries + 1

    def without_retries(self) -> RetryPolicy:
        return dataclasses.replace(self, retries=0)

    def backoff_delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Delay after failed attempt *attempt* (1-based): exponential, capped, jittered."""
        base = self.backoff * (2.0 ** (attempt - 1))
        if self.max_backoff is not None:
            base = min(self.max_backoff, base)
        return base * (0.5 + 0.5 * rand()) if self.jitter else base

    def run(
        self,
        attempt: Callable[[], T],
        *,
        should_retry: Callable[[T], bool],
        wait_hint: Callable[[T], float | None] = lambda _: None,
        on_retry: Callable[[T, float, int], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> Attempted[T]:
        """Call *attempt* until its result is final or the policy stops; never raises itself.

        *should_retry* says whether a result asks for another attempt, *wait_hint* the wait
        the server asked for (None: back off), *on_retry* hears ``(result, delay, next
        attempt number)`` before each wait. An exception from *attempt* propagates as is.
        """
        start = clock()
        first = attempt()
        if not should_retry(first):
            # Nearly every request succeeds at once: no retry loop is built for it (one
            # costs about as much CPU as a small request on loopback).
            return Attempted(first, 1)
        made = 1
        stopped: list[tuple[GiveUp, float]] = []
        pending = [first]

        def counted() -> T:
            # tenacity's first attempt is the one already made; later ones are real.
            nonlocal made
            if pending:
                return pending.pop()
            made += 1
            return attempt()

        def wait(state: tenacity.RetryCallState) -> float:
            hinted = wait_hint(_result(state))
            return hinted if hinted is not None else self.backoff_delay(state.attempt_number, rand)

        def stop(state: tenacity.RetryCallState) -> bool:
            delay = state.upcoming_sleep
            if state.attempt_number >= self.attempts:
                stopped.append((GiveUp.ATTEMPTS, 0.0))
            elif self.max_wait is not None and delay > self.max_wait:
                stopped.append((GiveUp.LONG_WAIT, delay))
            elif self.max_seconds is not None and clock() + delay > start + self.max_seconds:
                stopped.append((GiveUp.BUDGET, delay))
            else:
                return False
            return True

        def before_sleep(state: tenacity.RetryCallState) -> None:
            if on_retry is not None:
                on_retry(_result(state), state.upcoming_sleep, state.attempt_number + 1)

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_result(should_retry),
            wait=wait,
            stop=stop,
            sleep=sleep,
            before_sleep=before_sleep,
            retry_error_callback=_result,
        )
        value: T = retrying(counted)
        reason, refused = stopped[-1] if stopped else (None, 0.0)
        return Attempted(value, made, reason, refused)


def _result(state: tenacity.RetryCallState) -> Any:
    # tenacity's call state is untyped in its result; run() gives it back as T
    assert state.outcome is not None
    return state.outcome.result()


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
