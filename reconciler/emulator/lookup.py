"""Catalogue lookups of the engine: a product, a plan by either of its names, the plan id forms.

A part of the engine (see :mod:`reconciler.emulator.engine`) above the shared ground only.
"""

from __future__ import annotations

from typing import Any

from reconciler.emulator.base import RuleError
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.store import Store


def durable_plan_id(product_id: str, plan: dict[str, Any]) -> str:
    """``plan/<productGuid>/<planGuid>``, as ``GET plan`` names a plan."""
    return f"plan/{product_id.split('/', 1)[1]}/{plan['planGuid']}"


class CatalogueLookup:
    """Finds the catalogue's products and plans for the rules; a miss is a job error."""

    def __init__(self, config: EmulatorConfig, store: Store) -> None:
        self._config = config
        self._store = store

    def resolve_plan(self, product_id: str, plan_ref: str, where: str) -> dict[str, Any]:
        parts = plan_ref.split("/")
        if len(parts) == 3 and f"product/{parts[1].lower()}" != product_id.lower():
            raise RuleError(
                "businessValidationError",
                f"{where}: plan '{plan_ref}' belongs to another product than '{product_id}'.",
            )
        plan = self._store.find_plan(product_id, plan_ref)
        if plan is None:
            raise RuleError(
                "resourceNotFound", f"{where}: plan '{plan_ref}' does not exist in '{product_id}'."
            )
        return plan

    def product(self, product_id: str, where: str) -> dict[str, Any]:
        product = self._store.product(product_id)
        if product is None:
            raise RuleError("resourceNotFound", f"{where}: product '{product_id}' does not exist.")
        return product

    def canonical_plan(self, product_id: str, plan_ref: str) -> str:
        """The form a read answers: the durable ``plan/<productGuid>/<planGuid>`` (``GET plan``
        answers that id; no page shows a pricing entry read back in the form it was sent), or
        as sent with ``canonical_plan_ids`` off (docs/api-unknowns.md)."""
        if not self._config.canonical_plan_ids:
            return plan_ref
        plan = self._store.find_plan(product_id, plan_ref)
        if plan is None:
            return plan_ref
        return durable_plan_id(product_id, plan)

    def plan_external_id(self, product_id: str, plan_ref: str) -> str:
        """The plan's external id (its ``planId``), whichever form *plan_ref* is in."""
        plan = self._store.find_plan(product_id, plan_ref)
        return str(plan["planId"]) if plan is not None else plan_ref.rsplit("/", 1)[-1]
