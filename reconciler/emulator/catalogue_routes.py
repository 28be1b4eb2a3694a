"""The catalogue's read routes: products, plans and the price template of a public plan.

A plan is named two ways (docs/api-unknowns.md): by its durable id
``plan/<productGuid>/<planGuid>`` -- ``GET plan`` answers ``"id":"plan/<productGuid>/<planGuid>"``
-- and by its external id, which the documentation's samples write as ``plan/123456``.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response

from reconciler.emulator.api_call import ApiCall
from reconciler.emulator.engine import Engine
from reconciler.emulator.lookup import durable_plan_id
from reconciler.emulator.responses import api_error
from reconciler.emulator.store import Store
from reconciler.emulator.versions import schema_url

PRICE = "price-and-availability-private-offer-plan"


class CatalogueRoutes:
    def __init__(self, store: Store, engine: Engine) -> None:
        self.store = store
        self.engine = engine

    async def price_template(self, call: ApiCall) -> Response:
        """``GET price-and-availability-private-offer-plan/{productId}?plan={planId}``: the
        documentation does not say which form ``planId`` takes, so either is accepted."""
        product_id = "product/" + call.request.path_params["product"].lower()
        plan_ref = call.request.query_params.get("plan")
        if not plan_ref:
            return api_error(400, "badRequest", "The query parameter 'plan' is required.")
        product = self.store.product(product_id)
        plan = self.store.find_plan(product_id, plan_ref) if product else None
        if product is None or plan is None:
            return api_error(404, "notFound", f"No plan '{plan_ref}' in '{product_id}'.")
        is_vm = product["type"] == "azureVirtualMachine"
        body = {
            "$schema": schema_url(PRICE, self.engine.capped(PRICE, call.version)),
            "product": product_id,
            "plan": self.engine.canonical_plan(product_id, f"plan/{plan['planId']}"),
            "offerPricingType": "vmSoftwareReservations"
            if is_vm
            else "editExistingOfferPricingOnly",
            **plan["template"],
        }
        return JSONResponse(body)

    def _product_view(self, product: dict[str, object], version: str) -> dict[str, object]:
        return {
            "$schema": schema_url("product", version),
            "id": product["id"],
            "identity": {"externalId": product["externalId"]},
            "type": product["type"],
            "alias": product["alias"],
        }

    async def list_products(self, call: ApiCall) -> Response:
        params = call.request.query_params
        wanted_type = params.get("type")
        external = params.get("externalId") or params.get("externalID")
        items = [
            self._product_view(p, call.version)
            for p in self.store.products()
            if (not wanted_type or p["type"] == wanted_type)
            and (not external or p["externalId"] == external)
        ]
        return JSONResponse({"value": items})

    async def get_product(self, call: ApiCall) -> Response:
        product = self.store.product("product/" + call.request.path_params["guid"])
        if product is None:
            return api_error(404, "notFound", "Product not found.")
        return JSONResponse(self._product_view(product, call.version))

    async def list_plans(self, call: ApiCall) -> Response:
        """``GET plan?product=<product-durableId>`` (``externalId`` filters, as documented)."""
        params = call.request.query_params
        product_id = params.get("product")
        if not product_id:
            return api_error(400, "badRequest", "The query parameter 'product' is required.")
        if self.store.product(product_id) is None:
            return api_error(404, "notFound", f"Product '{product_id}' was not found.")
        external = params.get("externalId") or params.get("externalID")
        plans: list[dict[str, Any]] = self.store.plans(product_id)
        items = [
            {
                "$schema": schema_url("plan", call.version),
                "product": product_id,
                "id": durable_plan_id(product_id, plan),
                "identity": {"externalId": plan["planId"]},
                "alias": plan["alias"],
            }
            for plan in plans
            if not external or plan["planId"] == external
        ]
        return JSONResponse({"value": items})
