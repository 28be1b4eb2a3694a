"""The emulator's ASGI application: the API, the token service and the admin controls.

``create_app(config)`` returns an :class:`EmulatorApp`, a plain ASGI callable wrapping a
Starlette app. The wrapper counts requests and applies injected faults before the routes
run, because some faults (a dropped connection, a lost 202) must act below HTTP. Every API
route checks the bearer token, then ``$version``, then completes due jobs
(:meth:`Engine.advance`) so every answer reflects the jobs that should have finished.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from typing import Any
from urllib.parse import parse_qsl, quote

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from reconciler.emulator.admin_routes import AdminRoutes
from reconciler.emulator.api_call import ApiCall
from reconciler.emulator.assertions import TokenError
from reconciler.emulator.auth import TokenService, openid_configuration
from reconciler.emulator.catalogue_routes import CatalogueRoutes
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.engine import Engine
from reconciler.emulator.faults import Fault, Faults, endpoint_key
from reconciler.emulator.hosts import host_allowed
from reconciler.emulator.job_record import JobRecord
from reconciler.emulator.responses import api_error
from reconciler.emulator.store import Store
from reconciler.emulator.validation import GUID_RE, check_configure
from reconciler.emulator.versions import VERSION_RE, VersionError, schema_url

log = logging.getLogger("reconciler.emulator")

API_PREFIX = "/rp/product-ingestion"
ADMIN_PREFIX = "/_emulator"
PRICES = API_PREFIX + "/price-and-availability-private-offer-plan"


class EmulatorApp:
    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.store = Store(config.data_dir)
        self.engine = Engine(config, self.store)
        self.tokens = TokenService(config, self.store)
        self.faults = Faults(config.fault_seed)
        self.server: Any = None  # the uvicorn.Server, for dropping connections
        catalogue = CatalogueRoutes(self.store, self.engine)
        routes = [
            Route(
                "/{tenant}/v2.0/.well-known/openid-configuration", self.discovery, methods=["GET"]
            ),
            Route("/{tenant}/oauth2/v2.0/token", self.token, methods=["POST"]),
            Route("/{tenant}/oauth2/token", self.token_v1, methods=["POST"]),
            Route(API_PREFIX + "/configure", self.api(self.configure), methods=["POST"]),
            Route(
                API_PREFIX + "/configure/{job}/status", self.api(self.job_status), methods=["GET"]
            ),
            Route(
                API_PREFIX + "/configure/{job}/cancel", self.api(self.job_cancel), methods=["POST"]
            ),
            Route(API_PREFIX + "/configure/{job}", self.api(self.job_detail), methods=["GET"]),
            Route(API_PREFIX + "/private-offer/query", self.api(self.list_offers), methods=["GET"]),
            Route(API_PREFIX + "/private-offer/{guid}", self.api(self.get_offer), methods=["GET"]),
            Route(PRICES + "/{product}", self.api(catalogue.price_template), methods=["GET"]),
            Route(PRICES + "/{product}/{pid}", self.api(self.get_price), methods=["GET"]),
            Route(API_PREFIX + "/product", self.api(catalogue.list_products), methods=["GET"]),
            Route(API_PREFIX + "/product/{guid}", self.api(catalogue.get_product), methods=["GET"]),
            Route(API_PREFIX + "/plan", self.api(catalogue.list_plans), methods=["GET"]),
        ]
        if config.admin:
            routes += AdminRoutes(self).routes()
        self.app = Starlette(routes=routes)

    def close(self) -> None:
        self.store.close()

    # ---- ASGI: stats and faults ---------------------------------------------------------

    def _host_served(self, scope: Scope) -> bool:
        headers = dict(scope.get("headers") or [])
        raw = headers.get(b"host")
        host = raw.decode("latin-1") if raw is not None else None
        return host_allowed(host, self.config.allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._host_served(scope):
            await self._drain(receive)
            response = api_error(
                403,
                "forbidden",
                "This emulator answers only to the loopback names it serves (127.0.0.1, "
                "localhost, ::1); the Host of this request is another name.",
            )
            await response(scope, receive, send)
            return
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        if self.config.request_latency > 0:
            # The round trip to the real service; issue-free locally, so it is simulated.
            await asyncio.sleep(self.config.request_latency)
        method = scope["method"]
        relative = scope["path"][len(API_PREFIX) + 1 :]
        self.faults.record(endpoint_key(method, relative))
        fault = self.faults.match(method, relative)
        if fault is None or fault.kind == "fail_job":
            scope.setdefault("state", {})["fault"] = fault
            await self.app(scope, receive, send)
            return
        if fault.kind == "delay":
            await asyncio.sleep(fault.delay)
            await self.app(scope, receive, send)
        elif fault.kind == "status":
            await self._drain(receive)
            headers = {}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(
                    int(fault.retry_after)
                    if float(fault.retry_after).is_integer()
                    else fault.retry_after
                )
            code = {429: "tooManyRequests", 503: "serviceUnavailable"}.get(fault.status, fault.code)
            message = fault.message
            if fault.status == 429 and message == "Injected failure.":
                message = "Rate limit is exceeded. Try again later."
            await api_error(fault.status, code, message, headers=headers)(scope, receive, send)
        elif fault.kind == "drop":
            await self._drain(receive)
            await self._drop(scope, send)
        else:  # drop_after_accept: the request takes effect, the answer is lost

            async def swallow(message: Message) -> None:
                return None

            await self.app(scope, receive, swallow)
            await self._drop(scope, send)

    async def _drain(self, receive: Receive) -> None:
        while True:
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body"):
                return

    async def _drop(self, scope: Scope, send: Send) -> None:
        # Close the TCP connection under uvicorn so the client sees no answer at all.
        client = tuple(scope.get("client") or ())
        server = self.server
        if server is not None:
            for protocol in list(server.server_state.connections):
                if getattr(protocol, "client", None) == client:
                    protocol.transport.abort()
                    for _ in range(100):
                        cycle = getattr(protocol, "cycle", None)
                        if cycle is None or cycle.disconnected:
                            return
                        await asyncio.sleep(0.001)
                    return
        # Not served by our uvicorn: start an answer and never finish it, which makes the
        # server close the connection mid-response.
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]}
        )

    # ---- helpers ------------------------------------------------------------------------

    def api(self, handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            account, why = self.tokens.account_for(request.headers.get("authorization"))
            if account is None:
                return api_error(401, "unauthorized", why, headers={"WWW-Authenticate": "Bearer"})
            version = request.query_params.get("$version")
            if not version:
                return api_error(400, "badRequest", "The query parameter $version is required.")
            if not VERSION_RE.match(version):
                return api_error(
                    400, "badRequest", f"'{version}' is not a valid $version (expected YYYY-MM-DD)."
                )
            self.engine.api_url = str(request.base_url).rstrip("/") + API_PREFIX
            self.engine.advance()
            try:
                result: Response = await handler(ApiCall(request, account, version))
            except VersionError as exc:
                return api_error(400, "badRequest", str(exc))
            return result

        return endpoint

    # ---- token service ------------------------------------------------------------------

    async def discovery(self, request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        return JSONResponse(openid_configuration(base, request.path_params["tenant"]))

    async def token(self, request: Request, *, v1: bool = False) -> Response:
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        base = str(request.base_url).rstrip("/")
        try:
            body = self.tokens.issue(form, base, request.path_params["tenant"], v1=v1)
        except TokenError as exc:
            return JSONResponse(exc.body(), status_code=exc.status)
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    async def token_v1(self, request: Request) -> Response:
        """The v1 request the documentation shows: ``resource`` instead of ``scope``."""
        return await self.token(request, v1=True)

    # ---- configure and jobs -------------------------------------------------------------

    async def configure(self, call: ApiCall) -> Response:
        try:
            body = json.loads(await call.request.body())
        except ValueError:
            return api_error(400, "badRequest", "The request body is not valid JSON.")
        resources, findings = check_configure(body)
        if findings:
            stale: Fault | None = call.request.scope.get("state", {}).get("fault")
            if stale is not None:
                self.faults.refund(stale)
            return api_error(
                400, "badRequest", "Invalid configuration: schema validation failed", findings
            )
        fault: Fault | None = call.request.scope.get("state", {}).get("fault")
        offers = sum(1 for r in resources if "privateOfferType" in r)
        if offers > 1 and self.config.multi_offer_requests == "refused":
            if fault is not None:
                self.faults.refund(fault)
            # Every documented sample sends one offer (docs/api-unknowns.md): a setting.
            return api_error(
                400,
                "badRequest",
                "Invalid configuration: one request may carry one private offer.",
                [
                    {
                        "code": "collectionLimitExceeded",
                        "message": f"The request holds {offers} private offers; send one per "
                        "request (with the price resources it references).",
                        "target": "resources",
                    }
                ],
            )
        fail = {"code": fault.code, "message": fault.message} if fault is not None else None
        if offers > 1 and self.config.multi_offer_requests == "failed" and fail is None:
            # Accepted, then refused inside its job: nothing of the request is applied.
            fail = {
                "code": "collectionLimitExceeded",
                "message": f"The request holds {offers} private offers; send one per request "
                "(with the price resources it references).",
            }
        job = self.engine.submit(call.account, body, resources, fail)
        return JSONResponse(self.engine.job_view(job, call.version), status_code=202)

    def _job(self, call: ApiCall) -> JobRecord | None:
        job = self.store.get_job(call.request.path_params["job"])
        if job is None or job.account != call.account.name:
            return None
        return job

    async def job_status(self, call: ApiCall) -> Response:
        job = self._job(call)
        if job is None:
            return api_error(
                404, "notFound", f"Job '{call.request.path_params['job']}' was not found."
            )
        return JSONResponse(self.engine.job_view(job, call.version))

    async def job_detail(self, call: ApiCall) -> Response:
        job = self._job(call)
        if job is None:
            return api_error(
                404, "notFound", f"Job '{call.request.path_params['job']}' was not found."
            )
        if job.status != "completed":
            return api_error(
                409,
                "conflict",
                "The job has not completed yet; its resources are available once it completes.",
            )
        return JSONResponse(
            {
                "$schema": schema_url("configure-detail", call.version),
                "resources": [self.engine.detail_view(r, call.version) for r in job.detail],
            }
        )

    async def job_cancel(self, call: ApiCall) -> Response:
        job = self._job(call)
        if job is None:
            return api_error(
                404, "notFound", f"Job '{call.request.path_params['job']}' was not found."
            )
        if job.status == "completed":
            return api_error(400, "badRequest", "Cannot cancel job, job has already completed.")
        job = self.engine.cancel(job)
        return JSONResponse(self.engine.job_view(job, call.version))

    # ---- private offers -----------------------------------------------------------------

    async def list_offers(self, call: ApiCall) -> Response:
        params = call.request.query_params
        size = self.config.page_size
        if "$maxpagesize" in params and self.config.query_page_size == "refuse":
            # Documented for product and plan lists only (docs/api-unknowns.md).
            return api_error(
                400, "badRequest", "The query parameter $maxpagesize is not supported here."
            )
        after = 0
        token = params.get("continuationToken")
        if token:
            try:
                after = int(base64.urlsafe_b64decode(token.encode() + b"==").decode())
            except (ValueError, binascii.Error):
                return api_error(400, "badRequest", "The continuationToken is not valid.")
        rows = self.store.list_offers(call.account.name, after, size + 1)
        page = rows[:size]
        body: dict[str, object] = {
            self.config.list_key: [
                self.engine.list_item(r, call.account.name, call.version) for _, r in page
            ]
        }
        if len(rows) > size:
            next_token = base64.urlsafe_b64encode(str(page[-1][0]).encode()).decode().rstrip("=")
            link = (
                f"private-offer/query?$version={quote(call.version)}&continuationToken={next_token}"
            )
            if self.config.next_link_form == "absolute":
                link = str(call.request.base_url).rstrip("/") + API_PREFIX + "/" + link
            body[self.config.next_link_key] = link
        return JSONResponse(body)

    async def get_offer(self, call: ApiCall) -> Response:
        guid = call.request.path_params["guid"]
        record = self.store.get_offer(guid) if GUID_RE.match(guid) else None
        if record is None or self.engine.role(record, call.account.name) is None:
            return api_error(
                404, "notFound", f"Private offer 'private-offer/{guid}' was not found."
            )
        if record["state"] == "deleted" and self.config.deleted_offer_get == "notFound":
            return api_error(
                404, "notFound", f"Private offer 'private-offer/{guid}' was not found."
            )
        return JSONResponse(self.engine.offer_view(record, call.account.name, call.version))

    # ---- prices and catalogue -----------------------------------------------------------

    async def get_price(self, call: ApiCall) -> Response:
        params = call.request.path_params
        durable_id = (
            f"price-and-availability-private-offer-plan/{params['product']}/{params['pid']}"
        )
        doc = self.store.get_price(durable_id)
        if doc is None or doc.get("_owner") != call.account.name:
            return api_error(404, "notFound", f"Resource '{durable_id}' was not found.")
        return JSONResponse(self.engine.price_view(doc, call.version))


def create_app(config: EmulatorConfig) -> EmulatorApp:
    return EmulatorApp(config)
