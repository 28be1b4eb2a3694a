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

from reconciler.api.jobs import is_local_endpoint
from reconciler.retrying import RetryPolicy, parse_retry_after
from reconciler.settings import ApiSettings

__all__ = [
    "APPLY_RATE_REAL_API",
    "NOT_SENT",
    "RETRY_AFTER_STATUSES",
    "RETRY_STATUSES",
    "RetryPolicy",
    "api_policy",
    "apply_rate",
    "classify_exception",
    "parse_retry_after",
    "retry_after_of",
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

# Requests per second of apply against the real API when apply.requests-per-second is not
# set: its limit is not documented, and it is shared with the publisher's other tools.
APPLY_RATE_REAL_API = 10.0


def apply_rate(endpoint: str, configured: float | None) -> float | None:
    """Apply's rate budget (None: no limit); like the poll interval, by what it talks to."""
    if configured is not None:
        return configured
    return None if is_local_endpoint(endpoint) else APPLY_RATE_REAL_API


def retry_after_of(response: httpx.Response) -> float | None:
    """The wait a refusal asks for: the ``Retry-After`` header, else ``retryAfterSeconds``
    in the body (some Graph-fronted services put it there). The response is read first, so
    its connection goes back to the pool before anyone sleeps."""
    response.read()
    header = parse_retry_after(response.headers.get("Retry-After"))
    if header is not None:
        return header
    try:
        data = response.json()
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    inner = data.get("error")
    value = data.get("retryAfterSeconds")
    if value is None and isinstance(inner, dict):
        value = inner.get("retryAfterSeconds")
    try:
        seconds = float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
    return seconds if seconds is not None and seconds >= 0 else None


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
