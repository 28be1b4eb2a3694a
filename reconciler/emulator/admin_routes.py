"""The emulator's test controls under ``/_emulator/``: off unless asked, token and Origin checked.

Every control needs ``Authorization: Bearer <admin token>`` (a random token the emulator
prints at start and writes to its env file) and refuses a request whose ``Origin`` is not
the emulator's own, so a web page in the user's browser cannot drive it.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from reconciler.emulator.base import RuleError
from reconciler.emulator.catalogue import CatalogueError, parse_catalogue
from reconciler.emulator.faults import Fault
from reconciler.emulator.hosts import origin_allowed
from reconciler.emulator.responses import api_error
from reconciler.emulator.validation import check_configure

if TYPE_CHECKING:
    from reconciler.emulator.app import EmulatorApp

ADMIN_PREFIX = "/_emulator"
API_PREFIX = "/rp/product-ingestion"
SETTABLE = {
    "job_latency": float, "token_lifetime": int, "strict_dates": bool, "require_etag": bool,
    "atomic_jobs": bool, "detail_resource_name": bool, "list_key": str, "page_size": int,
    "update_mode": str, "canonical_plan_ids": bool, "deleted_offer_get": str,
    "static_tokens": bool, "today": str, "next_link_key": str, "next_link_form": str,
    "query_page_size": str, "channel_partner_spelling": str, "withdrawn_state": str,
    "drafts": str, "multi_offer_requests": str, "request_latency": float,
    "list_shape": str, "price_order": str, "vmsr_plan_details": str,
    "newest_offer_version": str, "newest_price_version": str, "csp_withdrawn_delete": str,
    "expired_sub_state": str, "republish": str, "upgrade_source": str,
}  # fmt: skip

Handler = Callable[[Request], Awaitable[Response]]


class AdminRoutes:
    def __init__(self, app: EmulatorApp) -> None:
        self.app = app

    def routes(self) -> list[Route]:
        table: list[tuple[str, Handler, list[str]]] = [
            ("/reset", self.reset, ["POST"]),
            ("/stats", self.stats, ["GET", "DELETE"]),
            ("/faults", self.faults, ["GET", "POST", "DELETE"]),
            ("/settings", self.settings, ["GET", "POST"]),
            ("/offers/{guid}/accept", self.accept, ["POST"]),
            ("/offers/{guid}/edit", self.edit, ["POST"]),
            ("/offers/{guid}/partner-withdraw", self.partner_withdraw, ["POST"]),
            ("/catalogue", self.catalogue, ["GET", "POST"]),
            ("/seed", self.seed, ["POST"]),
        ]
        return [
            Route(ADMIN_PREFIX + path, self._guarded(handler), methods=methods)
            for path, handler, methods in table
        ]

    def _guarded(self, handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            # Against the names served, never the request's own Host (DNS rebinding).
            origin = request.headers.get("origin")
            port = request.url.port
            allowed = self.app.config.allowed_hosts
            if origin is not None and not origin_allowed(origin, port, allowed):
                return api_error(
                    403, "forbidden", "Cross-origin requests to the controls are refused."
                )
            expected = self.app.config.admin_token
            given = request.headers.get("authorization", "")
            token = given[7:] if given[:7].lower() == "bearer " else ""
            if expected and not hmac.compare_digest(token.encode(), expected.encode()):
                return api_error(
                    401,
                    "unauthorized",
                    "The emulator's controls need the admin token it printed at start "
                    "(Authorization: Bearer <token>).",
                )
            return await handler(request)

        return endpoint

    async def _json(self, request: Request) -> Any:
        raw = await request.body()
        return json.loads(raw) if raw else {}

    async def reset(self, request: Request) -> Response:
        self.app.store.reset()
        self.app.faults.clear()
        self.app.faults.reset_stats()
        return JSONResponse({"reset": True})

    async def stats(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.app.faults.reset_stats()
        return JSONResponse({"requests": dict(self.app.faults.stats)})

    async def faults(self, request: Request) -> Response:
        if request.method == "POST":
            try:
                fault = self.app.faults.add(Fault.from_dict(await self._json(request)))
            except (TypeError, ValueError) as exc:
                return api_error(400, "badRequest", f"Invalid fault: {exc}")
            return JSONResponse(fault.to_dict(), status_code=201)
        if request.method == "DELETE":
            self.app.faults.clear()
        return JSONResponse({"faults": [f.to_dict() for f in self.app.faults.list()]})

    async def settings(self, request: Request) -> Response:
        if request.method == "POST":
            changes = await self._json(request)
            for key, value in changes.items():
                kind = SETTABLE.get(key)
                if kind is None:
                    return api_error(400, "badRequest", f"'{key}' cannot be changed at run time.")
                setattr(self.app.config, key, None if value is None else kind(value))
        return JSONResponse({key: getattr(self.app.config, key) for key in SETTABLE})

    async def accept(self, request: Request) -> Response:
        self.app.engine.advance()
        try:
            record = self.app.engine.accept(request.path_params["guid"])
        except RuleError as exc:
            return api_error(404 if exc.code == "notFound" else 400, exc.code, exc.message)
        return JSONResponse({"id": record["id"], "eTag": record["eTag"], "accepted": True})

    async def edit(self, request: Request) -> Response:
        self.app.engine.advance()
        body = await self._json(request)
        try:
            record = self.app.engine.edit(
                request.path_params["guid"], body.get("fields", {}), body.get("state")
            )
        except RuleError as exc:
            return api_error(404, exc.code, exc.message)
        return JSONResponse({"id": record["id"], "eTag": record["eTag"]})

    async def seed(self, request: Request) -> Response:
        """Apply configure resources at once, bypassing jobs (for demos and benchmarks)."""
        self.app.engine.advance()
        body = await self._json(request)
        account = self.app.config.account(body.get("account", "publisher"))
        if account is None:
            return api_error(400, "badRequest", "Unknown account.")
        resources, findings = check_configure(
            {
                "$schema": "https://schema.mp.microsoft.com/schema/configure/2022-07-01",
                "resources": body.get("resources", []),
            }
        )
        if findings:
            return api_error(
                400, "badRequest", "Invalid configuration: schema validation failed", findings
            )
        self.app.engine.api_url = str(request.base_url).rstrip("/") + API_PREFIX
        with self.app.store.transaction():
            version = body.get("version", "2024-09-30")
            errors, detail = self.app.engine.process(account, resources, version)
            detail = [self.app.engine.detail_view(r, version) for r in detail]
        return JSONResponse(
            {"errors": errors, "resources": detail}, status_code=400 if errors else 200
        )

    async def partner_withdraw(self, request: Request) -> Response:
        """The selling partner withdraws its published multiparty offer."""
        self.app.engine.advance()
        try:
            record = self.app.engine.partner_withdraw(request.path_params["guid"])
        except RuleError as exc:
            return api_error(404 if exc.code == "notFound" else 400, exc.code, exc.message)
        return JSONResponse({"id": record["id"], "eTag": record["eTag"]})

    async def catalogue(self, request: Request) -> Response:
        """Add products and plans (``{"products": [...]}``); GET lists the catalogue."""
        if request.method == "POST":
            try:
                products = parse_catalogue(await self._json(request), "request body")
            except (CatalogueError, ValueError) as exc:
                return api_error(400, "badRequest", str(exc))
            self.app.store.add_products(products)
        return JSONResponse({"products": self.app.store.products()})
