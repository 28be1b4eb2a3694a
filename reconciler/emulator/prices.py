"""Price resources (``price-and-availability-private-offer-plan``) and catalogue lookups."""

from __future__ import annotations

import secrets
from typing import Any

from reconciler.emulator.base import PRICE_PREFIX, EngineBase, JobContext, RuleError, _detail
from reconciler.emulator.versions import NEWEST, schema_url


def durable_plan_id(product_id: str, plan: dict[str, Any]) -> str:
    """``plan/<productGuid>/<planGuid>``, as ``GET plan`` names a plan."""
    return f"plan/{product_id.split('/', 1)[1]}/{plan['planGuid']}"


class PriceRules(EngineBase):
    def _resolve_plan(self, product_id: str, plan_ref: str, where: str) -> dict[str, Any]:
        parts = plan_ref.split("/")
        if len(parts) == 3 and f"product/{parts[1].lower()}" != product_id.lower():
            raise RuleError(
                "businessValidationError",
                f"{where}: plan '{plan_ref}' belongs to another product than '{product_id}'.",
            )
        plan = self.store.find_plan(product_id, plan_ref)
        if plan is None:
            raise RuleError(
                "resourceNotFound", f"{where}: plan '{plan_ref}' does not exist in '{product_id}'."
            )
        return plan

    def _product(self, product_id: str, where: str) -> dict[str, Any]:
        product = self.store.product(product_id)
        if product is None:
            raise RuleError("resourceNotFound", f"{where}: product '{product_id}' does not exist.")
        return product

    def canonical_plan(self, product_id: str, plan_ref: str) -> str:
        """The form a read answers: the durable ``plan/<productGuid>/<planGuid>`` (``GET plan``
        answers that id; no page shows a pricing entry read back in the form it was sent), or
        as sent with ``canonical_plan_ids`` off (docs/api-unknowns.md)."""
        if not self.config.canonical_plan_ids:
            return plan_ref
        plan = self.store.find_plan(product_id, plan_ref)
        if plan is None:
            return plan_ref
        return durable_plan_id(product_id, plan)

    def plan_external_id(self, product_id: str, plan_ref: str) -> str:
        """The plan's external id (its ``planId``), whichever form *plan_ref* is in."""
        plan = self.store.find_plan(product_id, plan_ref)
        return str(plan["planId"]) if plan is not None else plan_ref.rsplit("/", 1)[-1]

    def _apply_price(self, ctx: JobContext, res: dict[str, Any]) -> dict[str, Any]:
        product_id = res["product"]
        product = self._product(product_id, "product")
        self._resolve_plan(product_id, res["plan"], "plan")
        pricing_type = res["offerPricingType"]
        is_vm = product["type"] == "azureVirtualMachine"
        if pricing_type == "vmSoftwareReservations" and not is_vm:
            raise RuleError(
                "businessValidationError",
                "vmSoftwareReservations prices need an Azure virtual machine product.",
            )
        if is_vm and pricing_type != "vmSoftwareReservations":
            raise RuleError(
                "businessValidationError",
                "Absolute prices for a virtual machine product use offerPricingType "
                "vmSoftwareReservations.",
            )
        problems: list[dict[str, object]] = []
        meters = (res.get("pricing") or {}).get("customMeters", {}).get("meters", {})
        for meter in meters:
            if meter not in product.get("meters", []):
                problems.append(
                    _detail(
                        "invalidResource",
                        f"Meter '{meter}' is not defined in {product_id}.",
                        f"pricing.customMeters.meters.{meter}",
                    )
                )
        limits = (res.get("pricing") or {}).get("recurrentPrice", {}).get("userLimits")
        if limits and limits["min"] > limits["max"]:
            problems.append(
                _detail(
                    "businessValidationError",
                    "userLimits.min must not exceed userLimits.max.",
                    "pricing.recurrentPrice.userLimits",
                )
            )
        for size in (res.get("softwareReservation") or {}).get("vmPrices", {}):
            if size not in product.get("vmSizes", []):
                problems.append(
                    _detail(
                        "invalidResource",
                        f"VM size '{size}' is not available in {product_id}.",
                        f"softwareReservation.vmPrices.{size}",
                    )
                )
        if problems:
            raise RuleError(
                "businessValidationError",
                "The price resource is not valid for the catalogue.",
                problems,
            )
        if res.get("id"):
            durable_id = str(res["id"])
            existing = self.store.get_price(durable_id)
            if existing is None or existing.get("_owner") != ctx.account.name:
                raise RuleError(
                    "resourceNotFound", f"Price resource '{durable_id}' does not exist."
                )
        else:
            number = secrets.randbelow(9 * 10**18) + 10**18  # 19 digits, like the docs' ids
            durable_id = f"{PRICE_PREFIX}{product_id.split('/', 1)[1]}/{number}"
        doc = {
            k: v
            for k, v in res.items()
            if k not in ("$schema", "resourceName", "id", "validations", "planName")
        }
        doc["plan"] = self.canonical_plan(product_id, doc["plan"])
        doc = {"id": durable_id, **doc, "_owner": ctx.account.name}
        self.store.put_price(durable_id, ctx.account.name, doc)
        if res.get("resourceName"):
            ctx.names[res["resourceName"]] = durable_id
        return self.price_view(doc, NEWEST)  # GET configure/{jobId} answers its $version

    def price_view(self, doc: dict[str, object], version: str) -> dict[str, object]:
        body = {k: v for k, v in doc.items() if not k.startswith("_")}
        kind = "price-and-availability-private-offer-plan"
        return {"$schema": schema_url(kind, self.capped(kind, version)), **body}
