"""The Product Ingestion API client every command uses, against the real API or the emulator.

Shape
-----
One :class:`ProductIngestionClient` wraps one ``httpx.Client`` (explicit timeouts, bounded
connection pool) that it shares with msal, so API calls and token requests go through the
same transport: tests and the emulator plug in at ``transport=`` without any mock library.
Typed wrappers (:meth:`configure`, :meth:`job_status`, :meth:`list_offers`, ...) add the
``$version`` each call documents and turn every failure into the
:mod:`reconciler.errors` ApiError hierarchy; no httpx exception leaves this module.

The retry loop (:meth:`ProductIngestionClient._send`)
-----------------------------------------------------
Each attempt gets a fresh ``client-request-id`` and a bearer token from msal's cache.

* 2xx: done. 4xx other than 401/429: raised at once as the matching ApiError.
* 401: the token is dropped from msal's cache and the request is sent once more with a new
  one (a token can expire or be revoked between msal's check and the server's).
* 429 / 503: wait ``Retry-After`` (delta-seconds or HTTP date) when given, else back off.
* other 5xx, timeouts, connection errors: exponential backoff with jitter.
* bounded by ``settings.api.retries`` and by ``settings.api.retry_max_seconds`` of waiting; a
  wait that would cross the budget ends the loop early. Each retry logs "attempt i/N".

Lost ``POST configure`` responses
---------------------------------
A configure is not idempotent: re-sending a create makes a second offer. Failures are sorted
by whether the server may have acted:

* *never sent* (``ConnectError``, ``ConnectTimeout``, ``PoolTimeout``, token errors) and 429:
  retried like a GET;
* *ambiguous* (read/write timeouts, dropped connections, ``RemoteProtocolError``, 5xx): the
  client looks for the request's effect before anything is sent again. There is no job-list
  endpoint, so it checks the offers themselves:

  - a resource with an ``id``: re-read the offer. It shows the effect when its ``eTag`` moved
    away from the ``eTag`` that was sent (or, with no ``eTag`` sent, when every plain field
    that was sent now has the sent value; a 404 after a ``state: deleted``);
  - a create (no ``id``): list the offers and look for the sent ``name`` and type.

  The job may still be queued, so the check repeats every poll interval for
  ``settings.api.lost_response_wait`` seconds (300 s against the real API, 5 s locally).
  Found -> :class:`~reconciler.errors.AmbiguousSubmission` with ``accepted=True`` and the
  offers found, logged as "configure response lost; found offer 'X' created -> not
  resending". The job id is unknown, so apply treats the change as submitted and verifies it
  on the next read instead of polling. Not found after the wait -> the request was not
  accepted and is sent again (counted as a retry). The check itself failing ->
  ``AmbiguousSubmission`` with ``accepted=None``; nothing is re-sent blindly.

Requests are counted per endpoint in :attr:`ProductIngestionClient.stats`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from reconciler.api import jobs as jobs_module
from reconciler.api.credentials import TokenProvider
from reconciler.api.jobs import JobStatus
from reconciler.api.retry import (
    RETRY_AFTER_STATUSES,
    RETRY_STATUSES,
    RetryPolicy,
    classify_exception,
    parse_retry_after,
)
from reconciler.errors import (
    AmbiguousSubmission,
    ApiClientError,
    ApiError,
    ApiServerError,
    ApiUnreachable,
    AuthenticationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ThrottledError,
    WriteRefused,
)
from reconciler.offers.domain import name_key, same_type
from reconciler.secrets import REGISTRY, redact
from reconciler.settings import Settings

log = logging.getLogger(__name__)

CONFIGURE_SCHEMA = "https://schema.mp.microsoft.com/schema/configure/2022-07-01"

# $version per call, as the private-offer documentation uses them.
V_CONFIGURE = "2022-07-01"
V_STATUS = "2022-07-01"
V_DETAIL = "2023-07-15"
V_OFFER = "2023-07-15"
V_QUERY = "2023-07-15"
V_PRICE = "2023-07-15"
V_CATALOGUE = "2022-07-01"

_REQUEST_ID_HEADERS = ("request-id", "x-ms-request-id", "client-request-id")
_UNCOMPARED = frozenset({"$schema", "id", "eTag", "lastModified", "resourceName", "validations"})


@dataclass
class RequestStats:
    """Requests sent, per endpoint template ("GET private-offer/{id}"), plus retries."""

    by_endpoint: Counter[str] = field(default_factory=Counter)
    retries: int = 0
    token_refreshes: int = 0  # forced refreshes after a 401
    tokens_fetched: int = 0  # tokens msal fetched from the identity provider
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, label: str) -> None:
        with self._lock:
            self.by_endpoint[label] += 1

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


def _bare_offer_id(offer_id: str) -> str:
    return offer_id.split("/", 1)[1] if offer_id.startswith("private-offer/") else offer_id


def _is_private_offer(resource: Mapping[str, Any]) -> bool:
    schema = str(resource.get("$schema", ""))
    return "/private-offer" in schema or str(resource.get("id", "")).startswith("private-offer/")


class ProductIngestionClient:
    """See the module docstring. Open it through :func:`reconciler.api.connect.open_client`."""

    def __init__(
        self,
        endpoint: str,
        *,
        settings: Settings | None = None,
        tokens: TokenProvider | None = None,
        http: httpx.Client | None = None,
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
        self.policy = RetryPolicy.from_settings(self.settings.api)
        self._tokens = tokens
        self._sleep = sleep
        self._clock = clock
        self._rand = rand
        self._owns_http = http is None
        if http is None:
            api = self.settings.api
            http = httpx.Client(
                transport=transport
                or httpx.HTTPTransport(
                    limits=httpx.Limits(
                        max_connections=api.max_connections,
                        max_keepalive_connections=api.max_connections,
                    )
                ),
                timeout=httpx.Timeout(api.timeout, connect=api.connect_timeout),
                follow_redirects=False,
            )
        self._http = http
        origin = httpx.URL(self.endpoint)
        self._origin = (origin.scheme, origin.host, origin.port)

    def __repr__(self) -> str:
        return f"ProductIngestionClient(endpoint={self.endpoint!r}, writes={self.writes_enabled})"

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> ProductIngestionClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ transport + retries

    def _url(self, path: str, params: Mapping[str, str]) -> httpx.URL:
        return httpx.URL(f"{self.endpoint}/{path.lstrip('/')}").copy_merge_params(dict(params))

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
        attempts = self.policy.attempts if retry else 1
        deadline = self._clock() + self.policy.max_seconds
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            failure = self._attempt(method, url, label=label, body=body)
            if isinstance(failure, httpx.Response):
                return failure
            if isinstance(failure.error, AuthenticationError) and self._tokens and not refreshed:
                # One forced refresh per request: a token can expire between msal's check and
                # the server's, or be revoked. A second 401 is a real authorization problem.
                refreshed = True
                attempt -= 1
                self.stats.token_refreshes += 1
                log.info("%s: token refused (HTTP 401); getting a new one and retrying", label)
                self._tokens.invalidate()
                continue
            if isinstance(failure.error, AuthenticationError):
                failure.error.message += (
                    " (the token was refused; check that the Entra app is added to the Partner "
                    "Center account with the Manager role)"
                )
                raise failure.error
            if failure.sent and resolve_lost is not None:
                resolve_lost(failure.error)  # raises unless the request certainly took no effect
            retryable = failure.retry_after is not None or isinstance(
                failure.error, ApiServerError | ApiUnreachable | ThrottledError
            )
            if not retryable:
                raise failure.error
            if attempt >= attempts:
                if attempts > 1:
                    failure.error.message += f" (gave up after {attempt} attempts)"
                raise failure.error
            delay = (
                failure.retry_after
                if failure.retry_after is not None
                else self.policy.backoff_delay(attempt, self._rand)
            )
            if self._clock() + delay > deadline:
                failure.error.message += (
                    f" (gave up after {attempt} attempt(s): waiting {delay:.1f} s more would "
                    f"exceed the {self.policy.max_seconds:g} s retry budget)"
                )
                raise failure.error
            log.warning(
                "%s: %s; retrying in %.1f s (attempt %d/%d)",
                label,
                failure.error.message,
                delay,
                attempt + 1,
                attempts,
            )
            self.stats.retries += 1
            self._sleep(delay)

    def _attempt(
        self, method: str, url: httpx.URL, *, label: str, body: Any
    ) -> httpx.Response | _Failure:
        request_id = str(uuid.uuid4())
        shown = redact(str(url.copy_with(query=None)))
        headers = {"client-request-id": request_id, "Accept": "application/json"}
        try:
            if self._tokens is not None:
                headers["Authorization"] = f"Bearer {self._tokens.token()}"
                self.stats.tokens_fetched = self._tokens.fetched
        except httpx.HTTPError as exc:
            # The token request failed on the wire; the API request was never sent.
            return _Failure(
                ApiUnreachable(
                    f"token request failed: {type(exc).__name__}: {redact(str(exc))}",
                    method=method,
                    url=shown,
                ),
                sent=False,
            )
        self.stats.count(label)
        try:
            response = self._http.request(method, url, headers=headers, json=body)
        except httpx.TransportError as exc:
            kind = classify_exception(exc)
            text = redact(str(exc)) or "no details"
            return _Failure(
                ApiUnreachable(
                    f"{type(exc).__name__}: {text}", request_id=request_id, method=method, url=shown
                ),
                sent=kind == "ambiguous",
            )
        except httpx.HTTPError as exc:  # InvalidURL, UnsupportedProtocol...: not retryable
            raise ApiUnreachable(
                f"{type(exc).__name__}: {redact(str(exc))}", method=method, url=shown
            ) from None
        if response.is_success:
            return response
        error = self._error_from(response, request_id, method=method, url=shown)
        retry_after = None
        if response.status_code in RETRY_AFTER_STATUSES:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
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

    # ------------------------------------------------------------------ paging

    def _next_url(self, link: str) -> httpx.URL:
        """Resolve an ``@nextLink`` (absolute, root-relative or endpoint-relative)."""
        if link.startswith(("http://", "https://")):
            url = httpx.URL(link)
        elif link.startswith("/"):
            url = httpx.URL(self.endpoint).copy_with(raw_path=link.encode())
        else:
            url = httpx.URL(f"{self.endpoint}/{link}")
        # The bearer token must never follow a link to another host.
        if (url.scheme, url.host, url.port) != self._origin:
            raise ApiServerError(
                f"refusing to follow a next link to another host ({url.host})", method="GET"
            )
        return url

    def _paged(
        self, path: str, params: Mapping[str, str], *, label: str, keys: tuple[str, ...]
    ) -> Iterator[dict[str, Any]]:
        url: httpx.URL | None = self._url(path, params)
        seen: set[str] = set()
        while url is not None:
            if str(url) in seen:
                raise ApiServerError(f"{label}: the service returned the same next link twice")
            seen.add(str(url))
            data = self._json(self._send("GET", url, label=label), label)
            if not isinstance(data, dict):
                raise ApiServerError(f"{label}: expected a JSON object")
            items = next((data[k] for k in keys if isinstance(data.get(k), list)), None)
            if items is None:
                found = ", ".join(sorted(data)) or "nothing"
                raise ApiServerError(
                    f"{label}: no list under {' or '.join(keys)} in the response (found {found})"
                )
            yield from (item for item in items if isinstance(item, dict))
            link = data.get("@nextLink") or data.get("nextLink")
            token = data.get("continuationToken")
            if link:
                url = self._next_url(str(link))
                if "$version" not in url.params:
                    url = url.copy_merge_params({"$version": params["$version"]})
            elif token:
                url = self._url(path, {**params, "continuationToken": str(token)})
            else:
                url = None

    # ------------------------------------------------------------------ reads

    def list_offers(self) -> Iterator[dict[str, Any]]:
        key = self.settings.api.list_key
        keys = ("privateOffers", "value") if key == "auto" else (key,)
        params = {"$version": V_QUERY, "$maxpagesize": str(self.settings.api.page_size)}
        return self._paged(
            "private-offer/query", params, label="GET private-offer/query", keys=keys
        )

    def get_offer(self, offer_id: str) -> dict[str, Any]:
        bare = _bare_offer_id(offer_id)
        data = self._get_json(
            f"private-offer/{bare}", {"$version": V_OFFER}, label="GET private-offer/{id}"
        )
        return dict(data)

    def get_resource(self, durable_id: str) -> dict[str, Any]:
        kind = durable_id.split("/", 1)[0]
        data = self._get_json(durable_id, {"$version": V_OFFER}, label=f"GET {kind}/{{id}}")
        return dict(data)

    def get_price_template(self, product_id: str, plan_id: str) -> dict[str, Any]:
        product = product_id.split("/", 1)[1] if product_id.startswith("product/") else product_id
        data = self._get_json(
            f"price-and-availability-private-offer-plan/{product}",
            {"$version": V_PRICE, "plan": plan_id},
            label="GET price-and-availability-private-offer-plan/{id}",
        )
        return dict(data)

    def list_products(self) -> Iterator[dict[str, Any]]:
        params = {"$version": V_CATALOGUE, "$maxpagesize": str(self.settings.api.page_size)}
        return self._paged("product", params, label="GET product", keys=("value",))

    def list_plans(self, product_id: str) -> Iterator[dict[str, Any]]:
        product = product_id if product_id.startswith("product/") else f"product/{product_id}"
        params = {"$version": V_CATALOGUE, "product": product}
        return self._paged("plan", params, label="GET plan", keys=("value",))

    # ------------------------------------------------------------------ jobs

    def job_status(self, job_id: str, *, retry: bool = True) -> JobStatus:
        data = self._get_json(
            f"configure/{job_id}/status",
            {"$version": V_STATUS},
            label="GET configure/{id}/status",
            retry=retry,
        )
        status = JobStatus.from_data(data)
        return status if status.job_id else JobStatus.from_data({**data, "jobId": job_id})

    def job_detail(self, job_id: str) -> list[dict[str, Any]]:
        data = self._get_json(
            f"configure/{job_id}", {"$version": V_DETAIL}, label="GET configure/{id}"
        )
        resources = data.get("resources") if isinstance(data, dict) else None
        return [r for r in resources or [] if isinstance(r, dict)]

    def cancel_job(self, job_id: str) -> JobStatus:
        self._require_writes(f"cancel job {job_id}")
        url = self._url(f"configure/{job_id}/cancel", {"$version": V_STATUS})
        response = self._send("POST", url, label="POST configure/{id}/cancel")
        data = self._json(response, "POST configure/{id}/cancel")
        status = JobStatus.from_data(data)
        return status if status.job_id else JobStatus.from_data({**data, "jobId": job_id})

    def wait_for_jobs(
        self,
        job_ids: Iterable[str],
        *,
        interval: float | None = None,
        timeout: float | None = None,
        on_update: Callable[[JobStatus], None] | None = None,
        cancel_on_interrupt: bool = False,
    ) -> dict[str, JobStatus]:
        return jobs_module.wait_for_jobs(
            self,
            job_ids,
            interval=self.poll_interval if interval is None else interval,
            timeout=self.settings.apply.timeout if timeout is None else timeout,
            on_update=on_update,
            cancel_on_interrupt=cancel_on_interrupt,
            clock=self._clock,
            sleep=self._sleep,
        )

    @property
    def poll_interval(self) -> float:
        return jobs_module.default_poll_interval(self.endpoint, self.settings.apply.poll_interval)

    # ------------------------------------------------------------------ writes

    def _require_writes(self, what: str) -> None:
        if not self.writes_enabled:
            raise WriteRefused(
                f"refusing to {what}: this client is read-only (only apply opens it with writes)"
            )

    def configure(self, resources: list[dict[str, Any]]) -> JobStatus:
        """Submit *resources* as one configure job; see the module docstring for lost responses."""
        self._require_writes(f"submit {len(resources)} resource(s)")
        if not resources:
            raise ValueError("configure needs at least one resource")
        body = {"$schema": CONFIGURE_SCHEMA, "resources": resources}
        url = self._url("configure", {"$version": V_CONFIGURE})

        def resolve(error: ApiError) -> None:
            self._resolve_lost_configure(resources, error)

        response = self._send("POST", url, label="POST configure", body=body, resolve_lost=resolve)
        data = self._json(response, "POST configure")
        status = JobStatus.from_data(data if isinstance(data, dict) else {})
        if not status.job_id:
            raise ApiServerError(
                "POST configure: the response has no jobId", status=response.status_code
            )
        return status

    @property
    def lost_response_wait(self) -> float:
        configured = self.settings.api.lost_response_wait
        if configured is not None:
            return configured
        return 5.0 if jobs_module.is_local_endpoint(self.endpoint) else 300.0

    def _resolve_lost_configure(self, resources: list[dict[str, Any]], error: ApiError) -> None:
        offers = [r for r in resources if _is_private_offer(r)]
        if not offers:
            raise AmbiguousSubmission(
                f"configure response lost ({error.message}) and the request holds no private "
                "offer whose state could show whether it was accepted; not re-sending it",
                accepted=None,
                status=error.status,
            )
        wait = self.lost_response_wait
        log.info(
            "configure response lost (%s); checking whether the job was accepted (up to %g s)",
            error.message,
            wait,
        )
        deadline = self._clock() + wait
        while True:
            try:
                found = self._find_effect(offers)
            except ApiError as exc:
                raise AmbiguousSubmission(
                    f"configure response lost ({error.message}) and checking its effect failed "
                    f"({exc.message}); not re-sending it: run plan again to see the live state",
                    accepted=None,
                    status=error.status,
                ) from None
            if found:
                names = ", ".join(repr(o.get("name") or o.get("id")) for o, _ in found)
                verbs = sorted({verb for _, verb in found})
                log.info(
                    "configure response lost; found offer %s %s -> not resending",
                    names,
                    "/".join(verbs),
                )
                raise AmbiguousSubmission(
                    f"configure response lost, but the request was accepted: found offer {names} "
                    f"{'/'.join(verbs)} (job id unknown)",
                    accepted=True,
                    found=[o for o, _ in found],
                    status=error.status,
                )
            remaining = deadline - self._clock()
            if remaining <= 0:
                break
            self._sleep(min(self.poll_interval, remaining))
        log.warning(
            "configure response lost; no effect of it visible after %g s -> it was not accepted, "
            "sending it again",
            wait,
        )

    def _find_effect(self, offers: list[dict[str, Any]]) -> list[tuple[dict[str, Any], str]]:
        """The offers that show the effect of *offers* having been applied, with a verb."""
        found: list[tuple[dict[str, Any], str]] = []
        live_by_name: dict[str, list[dict[str, Any]]] | None = None
        for sent in offers:
            offer_id = sent.get("id")
            if offer_id:
                try:
                    live = self.get_offer(str(offer_id))
                except NotFoundError:
                    if sent.get("state") == "deleted":
                        found.append(({"id": offer_id, "name": sent.get("name")}, "deleted"))
                    continue
                if _shows_update(sent, live):
                    found.append((live, "updated"))
            else:
                if live_by_name is None:
                    live_by_name = {}
                    for live in self.list_offers():
                        live_by_name.setdefault(name_key(live.get("name")), []).append(live)
                kind = sent.get("privateOfferType")
                matches = [
                    live
                    for live in live_by_name.get(name_key(sent.get("name")), [])
                    if not kind or same_type(live.get("privateOfferType"), kind)
                ]
                found.extend((live, "created") for live in matches)
        return found


def _shows_update(sent: Mapping[str, Any], live: Mapping[str, Any]) -> bool:
    sent_etag = sent.get("eTag")
    if sent_etag:
        return bool(live.get("eTag")) and live.get("eTag") != sent_etag
    plain = {
        k: v
        for k, v in sent.items()
        if k not in _UNCOMPARED and isinstance(v, str | int | float | bool)
    }
    return bool(plain) and all(live.get(k) == v for k, v in plain.items())


def redact_obj_dict(data: Mapping[str, Any]) -> dict[str, Any]:
    redacted = REGISTRY.redact_obj(data)
    return redacted if isinstance(redacted, dict) else {}
