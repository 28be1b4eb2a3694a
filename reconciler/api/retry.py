"""Which API failures are retried, and the shared retry policy with the API's settings.

The policy itself (count, budget, backoff with jitter, ``Retry-After``) is
:mod:`reconciler.retrying`, shared with the GitHub client; the loop that applies it is in
:meth:`reconciler.api.transport.ApiTransport._send`. Here:

* :func:`classify_exception` sorts httpx transport errors into "the request never left"
  (safe to retry even for ``POST configure``) and "the request may have been processed"
  (ambiguous: a non-idempotent request must check its effect before it is sent again);
* :func:`api_policy` fills the policy from ``settings.api``.
"""

from __future__ import annotations

import httpx

from reconciler.retrying import RetryPolicy, parse_retry_after
from reconciler.settings import ApiSettings

__all__ = [
    "NOT_SENT",
    "RETRY_AFTER_STATUSES",
    "RETRY_STATUSES",
    "RetryPolicy",
    "api_policy",
    "classify_exception",
    "parse_retry_after",
]

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


def api_policy(api: ApiSettings) -> RetryPolicy:
    """The shared policy with the API's settings: jittered backoff within a total budget."""
    return RetryPolicy(
        retries=api.retries,
        max_seconds=api.retry_max_seconds,
        backoff=api.backoff_seconds,
        max_backoff=30.0,
        jitter=True,
    )
