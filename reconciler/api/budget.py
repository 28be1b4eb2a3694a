"""The rate budget: a token bucket shared by every thread of one client, paused by Retry-After.

Apply sends many requests at once (submissions, the stale guard's reads, job polls and
details, from ``apply.max-concurrent-requests`` threads). Against a service whose rate
limit is shared with the publisher's other tools, the sum of those must stay within a
budget, not each thread on its own:

* :meth:`RateBudget.acquire` takes one token before a request goes out; tokens refill at
  ``rate`` per second up to ``burst`` (``rate`` None: no limit, only pauses apply);
* :meth:`RateBudget.pause` is called when the service answers 429 (or 503) with
  ``Retry-After``: the bucket is emptied and *every* thread waits the advertised time, so
  the other workers do not run into the same refusal one by one.

The clock and sleep are injectable, so tests drive it without waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateBudget:
    def __init__(
        self,
        rate: float | None,
        burst: int = 10,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate is not None and rate <= 0:
            raise ValueError("rate must be positive (None: no limit)")
        self.rate = rate
        self.burst = max(1, burst)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = float(self.burst)
        self._stamp = clock()
        self._paused_until = 0.0
        self.waited = 0.0  # seconds callers spent waiting for a token or a pause (statistics)
        self.pauses = 0  # Retry-After pauses taken

    def _refill(self, now: float) -> None:
        if self.rate is not None and now > self._stamp:
            self._tokens = min(float(self.burst), self._tokens + (now - self._stamp) * self.rate)
        self._stamp = max(self._stamp, now)

    def acquire(self) -> None:
        """Block until one request may go out.

        The token is reserved at once (the count may go below zero) and the caller sleeps
        until it is earned: callers are served in the order they came, and nobody spins."""
        reserved = False
        while True:
            with self._lock:
                now = self._clock()
                self._refill(now)
                if now < self._paused_until:
                    wait = self._paused_until - now
                elif reserved or self.rate is None:
                    return
                else:
                    self._tokens -= 1
                    reserved = True
                    if self._tokens >= 0:
                        return
                    wait = -self._tokens / self.rate
                self.waited += wait
            self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """The service asked every caller to wait *seconds* (``Retry-After``): the bucket
        is emptied and refills only from the end of the pause."""
        if seconds <= 0:
            return
        with self._lock:
            now = self._clock()
            self._refill(now)
            self._tokens = min(self._tokens, 0.0)
            self._paused_until = max(self._paused_until, now + seconds)
            self._stamp = self._paused_until
            self.pauses += 1
