"""The Product Ingestion API client every command uses, against the real API or the emulator.

Typed calls (``configure``, ``job_status``, ``list_offers``, ...) through the
:class:`~reconciler.api.transport.ApiTransport` it holds (tokens, retries, errors). Each call sends
the ``$version`` it documents; private offers and price resources are read at the
``api.versions`` setting, the same versions the plan writes, so a field written is never
missing on read. Lists follow :mod:`reconciler.api.paging`; a lost ``POST configure``
response raises :class:`~reconciler.errors.AmbiguousSubmission` and is never re-sent here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypedDict, Unpack

import httpx

from reconciler.api import jobs as jobs_module
from reconciler.api import paging
from reconciler.api.credentials import TokenProvider
from reconciler.api.jobs import JobStatus
from reconciler.api.transport import ApiTransport, RequestStats
from reconciler.errors import (
    AmbiguousSubmission,
    ApiClientError,
    ApiError,
    ApiServerError,
    WriteRefused,
)
from reconciler.offers.domain import canonical_type, product_guid
from reconciler.offers.domain import product_id as product_id_of
from reconciler.offers.schema_urls import (
    CONFIGURE_SCHEMA,
    OFFER_VERSION_SETTING,
    PRICE_VERSION_SETTING,
    schema_version,
)
from reconciler.settings import Settings

__all__ = ["ProductIngestionClient", "RequestStats", "TransportOptions"]

# $version per call, as the documentation uses them; offers and prices follow the setting.
V_CONFIGURE = "2022-07-01"
V_STATUS = "2022-07-01"
V_DETAIL = "2023-07-15"
# The plan list's documented version: GET plan?product=...&$version=2022-07-01.
PLAN_LIST_VERSION = "2022-07-01"


def _bare_offer_id(offer_id: str) -> str:
    return offer_id.split("/", 1)[1] if offer_id.startswith("private-offer/") else offer_id


def _normalised(offer: dict[str, object]) -> dict[str, object]:
    # Responses spell the partner type two ways; the rest of the reconciler sees one.
    if "privateOfferType" in offer:
        offer["privateOfferType"] = canonical_type(offer["privateOfferType"])
    return offer


class TransportOptions(TypedDict, total=False):
    """The keyword arguments of :class:`ApiTransport` (the client passes them on as given)."""

    settings: Settings | None
    tokens: TokenProvider | None
    transport: httpx.BaseTransport | None
    writes: bool
    sleep: Callable[[float], None]
    clock: Callable[[], float]
    rand: Callable[[], float]


class ProductIngestionClient:
    """See the module docstring. Open it through :func:`reconciler.api.connect.open_client`.

    It holds its :class:`~reconciler.api.transport.ApiTransport` (built from the same
    arguments) rather than deriving from it: the typed calls use only the transport's
    request methods, and callers see the endpoint, settings, stats and write switch."""

    def __init__(self, endpoint: str, **options: Unpack[TransportOptions]) -> None:
        self.transport = ApiTransport(endpoint, **options)
        # The same objects as the transport's (the endpoint without its trailing slash).
        self.endpoint = self.transport.endpoint
        self.settings = self.transport.settings
        self._clock = self.transport._clock  # the job poller waits on the same clock
        self._sleep = self.transport._sleep

    def __repr__(self) -> str:
        return f"ProductIngestionClient(endpoint={self.endpoint!r}, writes={self.writes_enabled})"

    def __enter__(self) -> ProductIngestionClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.transport.close()

    @property
    def writes_enabled(self) -> bool:
        return self.transport.writes_enabled

    @property
    def stats(self) -> RequestStats:
        return self.transport.stats

    @property
    def offer_version(self) -> str:
        return self.settings.api.versions.offer

    @property
    def price_version(self) -> str:
        return self.settings.api.versions.price

    def _versioned_get(self, path: str, params: Mapping[str, str], *, label: str) -> Any:
        try:
            return self.transport._get_json(path, params, label=label)
        except ApiClientError as exc:
            raise _version_refused(exc, params.get("$version", "")) from None

    # ------------------------------------------------------------------ reads

    def _paged(
        self, path: str, params: Mapping[str, str], *, label: str, keys: tuple[str, ...]
    ) -> Iterator[dict[str, object]]:
        def page(url: httpx.URL) -> object:
            try:
                return self.transport._json(self.transport._send("GET", url, label=label), label)
            except ApiClientError as exc:
                raise _version_refused(exc, params.get("$version", "")) from None

        return paging.paged(
            page,
            self.transport._url(path, params),
            endpoint=self.endpoint,
            label=label,
            keys=keys,
            version=params["$version"],
        )

    def list_offers(self) -> Iterator[dict[str, object]]:
        key = self.settings.api.list_key
        keys = ("privateOffers", "value") if key == "auto" else (key,)
        # No $maxpagesize: it is documented for product/plan lists, not for this query.
        params = {"$version": self.offer_version}
        offers = self._paged(
            "private-offer/query", params, label="GET private-offer/query", keys=keys
        )
        return (_normalised(offer) for offer in offers)

    def get_offer(self, offer_id: str) -> dict[str, object]:
        bare = _bare_offer_id(offer_id)
        data = self._versioned_get(
            f"private-offer/{bare}",
            {"$version": self.offer_version},
            label="GET private-offer/{id}",
        )
        return _normalised(dict(data))

    def get_resource(self, durable_id: str) -> dict[str, object]:
        kind = durable_id.split("/", 1)[0]
        version = self.offer_version if kind == "private-offer" else self.price_version
        data = self._versioned_get(durable_id, {"$version": version}, label=f"GET {kind}/{{id}}")
        return _normalised(dict(data))

    def list_plans(self, product_id: str) -> list[dict[str, object]]:
        """``GET plan?product=<product-durableId>``: each plan's durable ``id``
        (``plan/<productGuid>/<planGuid>``) and ``identity.externalId`` (docs/api-unknowns.md)."""
        params = {"$version": PLAN_LIST_VERSION, "product": product_id_of(product_id)}
        return list(self._paged("plan", params, label="GET plan", keys=("value",)))

    def get_price_template(self, product_id: str, plan_id: str) -> dict[str, object]:
        data = self._versioned_get(
            f"price-and-availability-private-offer-plan/{product_guid(product_id)}",
            {"$version": self.price_version, "plan": plan_id},
            label="GET price-and-availability-private-offer-plan/{id}",
        )
        return dict(data)

    # ------------------------------------------------------------------ jobs

    def job_status(self, job_id: str, *, retry: bool = True) -> JobStatus:
        data = self.transport._get_json(
            f"configure/{job_id}/status",
            {"$version": V_STATUS},
            label="GET configure/{id}/status",
            retry=retry,
        )
        status = JobStatus.from_data(data)
        return status if status.job_id else JobStatus.from_data({**data, "jobId": job_id})

    def job_detail(self, job_id: str) -> list[dict[str, object]]:
        data = self.transport._get_json(
            f"configure/{job_id}", {"$version": V_DETAIL}, label="GET configure/{id}"
        )
        resources = data.get("resources") if isinstance(data, dict) else None
        return [r for r in resources or [] if isinstance(r, dict)]

    def cancel_job(self, job_id: str) -> JobStatus:
        self._require_writes(f"cancel job {job_id}")
        url = self.transport._url(f"configure/{job_id}/cancel", {"$version": V_STATUS})
        response = self.transport._send("POST", url, label="POST configure/{id}/cancel")
        data = self.transport._json(response, "POST configure/{id}/cancel")
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

    def configure(self, resources: list[dict[str, object]]) -> JobStatus:
        """Submit *resources* as one configure job.

        A lost answer (a timeout or dropped connection after the request may have gone out,
        a 5xx) raises :class:`AmbiguousSubmission` (``accepted`` None) at once and is never
        re-sent or judged here: whether it took effect is decided in one place only, from
        what the caller recorded before sending (:mod:`reconciler.apply.effect`).
        """
        self._require_writes(f"submit {len(resources)} resource(s)")
        if not resources:
            raise ValueError("configure needs at least one resource")
        body = {"$schema": CONFIGURE_SCHEMA, "resources": resources}
        url = self.transport._url("configure", {"$version": V_CONFIGURE})

        def resolve(error: ApiError) -> None:
            raise AmbiguousSubmission(
                f"configure response lost ({error.message})", accepted=None, status=error.status
            )

        try:
            response = self.transport._send(
                "POST", url, label="POST configure", body=body, resolve_lost=resolve
            )
        except ApiClientError as exc:
            raise _schema_refused(exc, resources) from None
        data = self.transport._json(response, "POST configure")
        status = JobStatus.from_data(data if isinstance(data, dict) else {})
        if not status.job_id:
            raise ApiServerError(
                "POST configure: the response has no jobId", status=response.status_code
            )
        return status


def _mentions_version(error: ApiError) -> bool:
    texts = [error.message, *(str(d.get("message", "")) for d in error.details)]
    targets = [str(d.get("target", "")) for d in error.details]
    return any("$version" in t or "$schema" in t or "version" in t.lower() for t in texts) or any(
        t.endswith("$schema") for t in targets
    )


def _version_refused(error: ApiClientError, version: str) -> ApiClientError:
    """A read the API refused because of its ``$version``: name the setting to change."""
    if error.status == 400 and _mentions_version(error):
        error.message += (
            f" (the API refused $version={version}; the schema versions come from the "
            f"{OFFER_VERSION_SETTING} and {PRICE_VERSION_SETTING} settings)"
        )
    return error


def _schema_refused(error: ApiClientError, resources: list[dict[str, object]]) -> ApiClientError:
    """A configure the API refused for a resource ``$schema``: name the setting to change."""
    if error.status != 400 or not _mentions_version(error):
        return error
    sent = sorted({str(r.get("$schema", "")) for r in resources if r.get("$schema")})
    settings = []
    if any("/private-offer/" in s for s in sent):
        settings.append(OFFER_VERSION_SETTING)
    if any("/price-and-availability-private-offer-plan/" in s for s in sent):
        settings.append(PRICE_VERSION_SETTING)
    versions = ", ".join(f"{s.split('/schema/', 1)[-1]}" for s in sent)
    error.message += (
        f" (the API refused the schema version(s) sent: {versions}; set "
        f"{' / '.join(settings) or OFFER_VERSION_SETTING} in [tool.reconciler] to a version "
        f"it accepts{' (' + schema_version(sent[0]) + ' was used)' if sent else ''})"
    )
    return error
