"""Price resources (``price-and-availability-private-offer-plan``): their rules and their view.

A part of the engine (see :mod:`reconciler.emulator.engine`): it calls the catalogue lookup
and the version ceiling it is given, and the store.
"""

from __future__ import annotations

import secrets
from typing import Any

from reconciler.emulator.base import PRICE_PREFIX, Ceiling, JobContext, RuleError, _detail
from reconciler.emulator.lookup import CatalogueLookup
from reconciler.emulator.store import Store
from reconciler.emulator.versions import NEWEST, schema_url


class PriceRules:
    """Creates or replaces an account's price resources, checked against the catalogue."""

    def __init__(self, store: Store, lookup: CatalogueLookup, ceiling: Ceiling) -> None:
        self._store = store
        self._lookup = lookup
        self._ceiling = ceiling

    def apply(self, ctx: JobContext, res: dict[str, Any]) -> dict[str, Any]:
        product_id = res["product"]
        product = self._lookup.product(product_id, "product")
        self._lookup.resolve_plan(product_id, res["plan"], "plan")
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
            existing = self._store.get_price(durable_id)
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
        doc["plan"] = self._lookup.canonical_plan(product_id, doc["plan"])
        doc = {"id": durable_id, **doc, "_owner": ctx.account.name}
        self._store.put_price(durable_id, ctx.account.name, doc)
        if res.get("resourceName"):
            ctx.names[res["resourceName"]] = durable_id
        return self.view(doc, NEWEST)  # GET configure/{jobId} answers its $version

    def view(self, doc: dict[str, object], version: str) -> dict[str, object]:
        body = {k: v for k, v in doc.items() if not k.startswith("_")}
        kind = "price-and-availability-private-offer-plan"
        return {"$schema": schema_url(kind, self._ceiling.capped(kind, version)), **body}
