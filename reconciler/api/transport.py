"""Sending one API request: tokens, retries, error mapping; no httpx exception leaves it.

:class:`ApiTransport` sends on one httpx transport (explicit timeouts, bounded connection
pool, :mod:`reconciler.api.wire`) that msal's client shares, so API calls and token
requests go through the same connections: tests and the emulator plug in at
``transport=`` without any mock library.

The retry loop (:meth:`ApiTransport._send`)
-------------------------------------------
Each attempt gets a fresh ``client-request-id`` and a bearer token from msal's cache.

* 2xx: done. 4xx other than 401/429: raised at once as the matching ApiError.
* 401: the token is dropped from msal's cache and the request is sent once more with a new
  one (a token can expire or be revoked between msal's check and the server's).
* 429 / 503: wait ``Retry-After`` (delta-seconds or HTTP date) when given, else back off.
* other 5xx, timeouts, connection errors: exponential backoff with jitter.
* bounded by ``settings.api.retries`` and by ``settings.api.retry_max_seconds`` of waiting; a
  wait that would cross the budget ends the loop early. Each retry logs "attempt i/N".

A lost ``POST configure`` response is handed to the caller's *resolve_lost*, which raises
(:meth:`reconciler.api.client.ProductIngestionClient.configure`): never re-sent here.

Requests are counted per endpoint in :attr:`ApiTransport.stats`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from reconciler.api.budget import RateBudget
from reconciler.api.credentials import TokenProvider
from reconciler.api.retry import (
    RETRY_AFTER_STATUSES,
    RETRY_STATUSES,
    api_policy,
    apply_rate,
    classify_exception,
    retry_after_of,
)
from reconciler.api.wire import Wire, api_timeout, build_transport
from reconciler.errors import (
    ApiClientError,
    ApiError,
    ApiServerError,
    ApiUnreachable,
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ThrottledError,
    TlsVerifyError,
)
from reconciler.retrying import GiveUp
from reconciler.secrets import REGISTRY, redact
from reconciler.settings import Settings

log = logging.getLogger("reconciler.api.client")

_REQUEST_ID_HEADERS = ("request-id", "x-ms-request-id", "client-request-id")


@dataclass
class RequestStats:
    """Requests sent, per endpoint template ("GET private-offer/{id}"), plus retries."""

    by_endpoint: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    token_refreshes: int = 0  # forced refreshes after a 401
    tokens_fetched: int = 0  # tokens msal fetched from the identity provider
    # The shortest round trip of a successful read: the network's share of a request, about
    # (a read asks the service for little work). None until one is answered.
    fastest_read: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, label: str) -> None:
        with self._lock:
            self.by_endpoint[label] += 1

    def read_took(self, seconds: float) -> None:
        with self._lock:
            if self.fastest_read is None or seconds < self.fastest_read:
                self.fastest_read = seconds

    @property
    def total(self) -> int:
        return sum(self.by_endpoint.values())

    def to_data(self) -> dict[str, Any]:
        return {
            "by_endpoint": dict(sorted(self.by_endpoint.items())),
            "total": self.total,
            "retries": self.retries,
            "token_refreshes": self.token_refreshes,
            "tokens_fetched": self.tokens_fetched,
        }


@dataclass
class _Failure:
    """One failed attempt, kept until the loop decides to retry or raise."""

    error: ApiError
    sent: bool  # the server may have acted on the request
    retry_after: float | None = None


def _retryable(result: httpx.Response | _Failure) -> bool:
    """A failure worth another attempt: the server asked to wait, or it or the path failed."""
    return isinstance(result, _Failure) and (
        result.retry_after is not None
        or isinstance(result.error, ApiServerError | ApiUnreachable | ThrottledError)
    )


class ApiTransport:
    """The retry loop and error mapping shared by every call of the client."""

    def __init__(
        self,
        endpoint: str,
        *,
        settings: Settings | None = None,
        tokens: TokenProvider | None = None,
        transport: httpx.BaseTransport | None = None,
        writes: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings or Settings()
        self.endpoint = endpoint.rstrip("/")
        self.writes_enabled = writes
        self.stats = RequestStats()
        self.policy = api_policy(self.settings.api)
        # A client's requests share one rate budget, reads too (a plan against a list of
        # summaries reads every managed offer by id); every client honours a 429's
        # Retry-After across all its threads (reconciler.api.budget).
        self.budget = RateBudget(
            apply_rate(self.endpoint, self.settings.apply.requests_per_second),
            self.settings.apply.request_burst,
            clock=clock,
            sleep=sleep,
        )
        self._tokens = tokens
        self._sleep = sleep
        self._clock = clock
        self._rand = rand
        self._wire = Wire(
            transport or build_transport(self.settings, writes=writes),
            api_timeout(self.settings),
        )
        origin = httpx.URL(self.endpoint)
        self._origin = (origin.scheme, origin.host, origin.port)

    def close(self) -> None:
        self._wire.close()

    def __enter__(self) -> ApiTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ transport + retries

    def _url(self, path: str, params: Mapping[str, str]) -> httpx.URL:
        url = f"{self.endpoint}/{path.lstrip('/')}"
        if "?" in url:  # a query of its own: merged with *params*
            return httpx.URL(url).copy_merge_params(dict(params))
        # One parse instead of two: httpx parses a URL character by character, which for
        # thousands of reads is a good part of the client's CPU.
        return httpx.URL(url, params=dict(params))

    def _send(
        self,
        method: str,
        url: httpx.URL,
        *,
        label: str,
        body: Any = None,
        retry: bool = True,
        resolve_lost: Callable[[ApiError], None] | None = None,
    ) -> httpx.Response:
        """One request with the retry policy; returns a 2xx response or raises an ApiError.

        *resolve_lost* is given for non-idempotent requests: it is called after an ambiguous
        failure and either raises (the request took effect, or that is unknowable) or returns
        (it did not: sending again is safe).
        """
        policy = self.policy if retry else self.policy.without_retries()
        refreshed: list[bool] = []  # one forced token refresh per request

        def once() -> httpx.Response | _Failure:
            return self._once(method, url, label, body, resolve_lost, refreshed)

        def on_retry(result: httpx.Response | _Failure, delay: float, attempt: int) -> None:
            message = result.error.message if isinstance(result, _Failure) else ""
            log.warning(
                "%s: %s; retrying in %.1f s (attempt %d/%d)",
                label,
                message,
                delay,
                attempt,
                policy.attempts,
            )
            self.stats.retries += 1

        done = policy.run(
            once,
            should_retry=_retryable,
            wait_hint=lambda r: r.retry_after if isinstance(r, _Failure) else None,
            on_retry=on_retry,
            sleep=self._sleep,
            clock=self._clock,
            rand=self._rand,
        )
        if isinstance(done.value, httpx.Response):
            return done.value
        error = done.value.error
        if done.gave_up is GiveUp.ATTEMPTS and policy.attempts > 1:
            error.message += f" (gave up after {done.attempts} attempts)"
        elif done.gave_up is GiveUp.BUDGET:
            error.message += (
                f" (gave up after {done.attempts} attempt(s): waiting {done.refused_wait:.1f} s "
                f"more would exceed the {policy.max_seconds:g} s retry budget)"
            )
        raise error

    def _once(
        self,
        method: str,
        url: httpx.URL,
        label: str,
        body: object,
        resolve_lost: Callable[[ApiError], None] | None,
        refreshed: list[bool],
    ) -> httpx.Response | _Failure:
        """One attempt as the retry loop counts it (a forced token refresh not counted)."""
        while True:
            result = self._attempt(method, url, label=label, body=body)
            if isinstance(result, httpx.Response):
                return result
            auth = isinstance(result.error, AuthenticationError)
            if auth and self._tokens and not refreshed:
                # One forced refresh per request, not counted as an attempt: a token can
                # expire between msal's check and the server's, or be revoked. A second
                # 401 is a real authorization problem.
                refreshed.append(True)
                self.stats.token_refreshes += 1
                log.info("%s: token refused (HTTP 401); getting a new one and retrying", label)
                self._tokens.invalidate()
                continue
            if auth:
                result.error.message += (
                    " (the token was refused; check that the Entra app is added to the "
                    "Partner Center account with the Manager role)"
                )
                raise result.error
            if result.sent and resolve_lost is not None:
                resolve_lost(result.error)  # raises unless it certainly took no effect
            return result

    def _attempt(
        self, method: str, url: httpx.URL, *, label: str, body: Any
    ) -> httpx.Response | _Failure:
        request_id = str(uuid.uuid4())
        headers = {"client-request-id": request_id, "Accept": "application/json"}
        try:
            if self._tokens is not None:
                headers["Authorization"] = f"Bearer {self._tokens.token()}"
                self.stats.tokens_fetched = self._tokens.fetched
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            _raise_if_untrusted(redact(str(exc)), method, url)
            # The identity provider cannot be reached at all: retrying for minutes would only
            # hide a wrong or unreachable authority (AZURE_AUTHORITY_HOST), so say it now.
            authority = getattr(self._tokens, "authority", "the identity provider")
            raise ApiUnreachable(
                f"cannot reach the token authority {authority} "
                f"({type(exc).__name__}: {redact(str(exc)) or 'no details'}); check "
                "AZURE_AUTHORITY_HOST (or api.authority-host) and the network",
                method=method,
                url=_shown(url),
            ) from None
        except httpx.HTTPError as exc:
            # The token request failed on the wire; the API request was never sent.
            return _Failure(
                ApiUnreachable(
                    f"token request failed: {type(exc).__name__}: {redact(str(exc))}",
                    method=method,
                    url=_shown(url),
                ),
                sent=False,
            )
        self.budget.acquire()
        self.stats.count(label)
        try:
            asked = time.perf_counter()
            response = self._wire.send(method, url, headers, body)
            if method == "GET" and response.is_success:
                self.stats.read_took(time.perf_counter() - asked)
        except httpx.TransportError as exc:
            text = redact(str(exc)) or "no details"
            _raise_if_untrusted(text, method, url)
            kind = classify_exception(exc)
            return _Failure(
                ApiUnreachable(
                    f"{type(exc).__name__}: {text}",
                    request_id=request_id,
                    method=method,
                    url=_shown(url),
                ),
                sent=kind == "ambiguous",
            )
        except httpx.HTTPError as exc:  # InvalidURL, UnsupportedProtocol...: not retryable
            raise ApiUnreachable(
                f"{type(exc).__name__}: {redact(str(exc))}", method=method, url=_shown(url)
            ) from None
        if response.is_success:
            return response
        error = self._error_from(response, request_id, method=method, url=_shown(url))
        retry_after = None
        if response.status_code in RETRY_AFTER_STATUSES:
            retry_after = retry_after_of(response)
            if retry_after is not None:
                self.budget.pause(retry_after)
        # A 429 was refused before any processing; a 5xx might have been processed.
        sent = response.status_code >= 500
        if response.status_code not in RETRY_STATUSES and response.status_code < 500:
            return _Failure(error, sent=False)
        return _Failure(error, sent=sent, retry_after=retry_after)

    @staticmethod
    def _error_from(
        response: httpx.Response, request_id: str, *, method: str, url: str
    ) -> ApiError:
        response.read()
        status = response.status_code
        code: str | None = None
        details: list[dict[str, Any]] = []
        message = ""
        try:
            data = response.json()
        except ValueError:
            data = None
        err = data.get("error") if isinstance(data, dict) else None
        if isinstance(err, dict):
            code = str(err.get("code")) if err.get("code") else None
            message = str(err.get("message") or "")
            raw = err.get("details") or []
            details = [redact_obj_dict(d) for d in raw if isinstance(d, dict)]
        elif isinstance(data, dict) and ("message" in data or "code" in data):
            code = str(data.get("code")) if data.get("code") else None
            message = str(data.get("message") or "")
        if not message:
            message = response.reason_phrase or "request failed"
            text = response.text.strip()
            if text and not text.startswith("<"):
                message = f"{message}: {text[:300]}"
        rid = next(
            (response.headers[h] for h in _REQUEST_ID_HEADERS if h in response.headers), None
        )
        cls: type[ApiError]
        if status == 401:
            cls = AuthenticationError
        elif status == 403:
            cls = ForbiddenError
        elif status == 404:
            cls = NotFoundError
        elif status in (409, 412):
            cls = ConflictError
        elif status == 429:
            cls = ThrottledError
        elif status >= 500:
            cls = ApiServerError
        else:
            cls = ApiClientError
        return cls(
            redact(message),
            status=status,
            code=code,
            details=details,
            request_id=rid or request_id,
            method=method,
            url=url,
        )

    def _get_json(
        self, path: str, params: Mapping[str, str], *, label: str, retry: bool = True
    ) -> Any:
        response = self._send("GET", self._url(path, params), label=label, retry=retry)
        return self._json(response, label)

    @staticmethod
    def _json(response: httpx.Response, label: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise ApiServerError(
                f"{label}: the response is not JSON (HTTP {response.status_code})",
                status=response.status_code,
            ) from None


def _shown(url: httpx.URL) -> str:
    # Only errors show the URL (without its query), so only errors pay for building it.
    return redact(str(url.copy_with(query=None)))


def redact_obj_dict(data: Mapping[str, Any]) -> dict[str, Any]:
    redacted = REGISTRY.redact_obj(data)
    return redacted if isinstance(redacted, dict) else {}


def _raise_if_untrusted(text: str, method: str, url: httpx.URL) -> None:
    """A certificate the client does not trust stays untrusted (an emulator restarted with
    another CA, a proxy's certificate): said at once, never retried or waited out."""
    if "CERTIFICATE_VERIFY_FAILED" in text:
        raise TlsVerifyError(
            f"the TLS certificate of {url.host} is not trusted ({text}); check the CA the "
            "client trusts (SSL_CERT_FILE; a stand-alone emulator keeps its CA file under its "
            "--data folder)",
            method=method,
            url=_shown(url),
        ) from None
