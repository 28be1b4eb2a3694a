"""Business validation of a private offer's fields: dates, pricing entries, partners.

A part of the engine (see :mod:`reconciler.emulator.engine`): it calls the catalogue lookup,
the clock (today) and the store (price resources) it is given.
"""

from __future__ import annotations

import calendar
from typing import Any

from reconciler.emulator.base import (
    Clock,
    JobContext,
    RuleError,
    _detail,
)
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.lookup import CatalogueLookup
from reconciler.emulator.store import Store
from reconciler.emulator.validation_base import parse_date
from reconciler.emulator.vocabulary import (
    CSP,
    ORIGINATOR,
)


class OfferRules:
    """Checks a private offer's fields against the catalogue, the job and the day."""

    def __init__(
        self, config: EmulatorConfig, store: Store, clock: Clock, lookup: CatalogueLookup
    ) -> None:
        self._config = config
        self._store = store
        self._clock = clock
        self._lookup = lookup

    def _check_dates(self, fields: dict[str, Any]) -> list[dict[str, Any]]:
        problems = []
        start = parse_date(fields["start"]) if fields.get("start") else None
        end = parse_date(fields["end"]) if fields.get("end") else None
        accept_by = parse_date(fields["acceptBy"]) if fields.get("acceptBy") else None
        if start and end and end < start:
            problems.append(
                _detail(
                    "businessValidationError",
                    "The end date must not be before the start date.",
                    "end",
                )
            )
        if start is None and fields.get("variableStartDate") is not True:
            # "The start date should be defined": a failed job, as documented, not a 400.
            problems.append(
                _detail(
                    "businessValidationError",
                    "The start date should be defined unless variableStartDate is true.",
                    "start",
                )
            )
        if accept_by and end and accept_by > end and self._config.accept_by_within_term:
            problems.append(
                _detail(
                    "businessValidationError",
                    "The accept-by date must not be after the end date.",
                    "acceptBy",
                )
            )
        if self._config.strict_dates:
            if accept_by and accept_by < self._clock.today():
                problems.append(
                    _detail(
                        "businessValidationError",
                        "The accept-by date must not be in the past.",
                        "acceptBy",
                    )
                )
            if start and start.day != 1:
                problems.append(
                    _detail(
                        "businessValidationError",
                        "The start date must be the first day of a month.",
                        "start",
                    )
                )
            if end and end.day != calendar.monthrange(end.year, end.month)[1]:
                problems.append(
                    _detail(
                        "businessValidationError",
                        "The end date must be the last day of a month.",
                        "end",
                    )
                )
        return problems

    def _generated_plan(self, entry: dict[str, object]) -> dict[str, str]:
        # "... will be system generated and available in the response of the job when
        # completed" (docs/api-unknowns.md): stable per base plan, so a re-send keeps it.
        ref = str(entry.get("basePlan") or entry.get("plan") or "")
        base = self._lookup.plan_external_id(str(entry.get("product", "")), ref)
        return {
            "name": f"Software reservation {base}",
            "description": f"Software reservation of plan {base}",
        }

    def _resolve_pricing(
        self, ctx: JobContext, kind: str, fields: dict[str, Any]
    ) -> list[dict[str, object]]:
        problems: list[dict[str, object]] = []
        pricing_type = fields.get("offerPricingType", "editExistingOfferPricingOnly")
        resolved = []
        for i, raw in enumerate(fields.get("pricing") or []):
            entry = {k: v for k, v in raw.items() if k not in ("productName", "planName")}
            where = f"pricing[{i}]"
            try:
                product = self._lookup.product(entry["product"], where)
                for key in ("plan", "basePlan"):
                    if key in entry:
                        self._lookup.resolve_plan(entry["product"], entry[key], f"{where}.{key}")
                        entry[key] = self._lookup.canonical_plan(entry["product"], entry[key])
                is_vm = product["type"] == "azureVirtualMachine"
                if (
                    is_vm
                    and entry.get("discountType") == "absolute"
                    and pricing_type != "vmSoftwareReservations"
                ):
                    raise RuleError(
                        "businessValidationError",
                        f"{where}: absolute prices for a virtual machine product need "
                        "offerPricingType vmSoftwareReservations.",
                    )
                if pricing_type == "vmSoftwareReservations" and not is_vm:
                    raise RuleError(
                        "businessValidationError",
                        f"{where}: vmSoftwareReservations needs an Azure virtual machine product.",
                    )
                if pricing_type == "vmSoftwareReservations" and kind == CSP:
                    raise RuleError(
                        "businessValidationError",
                        f"{where}: CSP private offers do not support vmSoftwareReservations.",
                    )
                details = entry.get("priceDetails")
                if isinstance(details, dict):
                    name = details["resourceName"]
                    if name in ctx.failed_names:
                        raise RuleError(
                            "resourceNotFound",
                            f"{where}: the referenced price resource '{name}' failed.",
                        )
                    if name not in ctx.names:
                        raise RuleError(
                            "resourceNotFound",
                            f"{where}: no resource named '{name}' in this request.",
                        )
                    entry["priceDetails"] = ctx.names[name]
                if isinstance(entry.get("priceDetails"), str):
                    price = self._store.get_price(entry["priceDetails"])
                    if price is None or price.get("_owner") != ctx.account.name:
                        raise RuleError(
                            "resourceNotFound",
                            f"{where}: price resource '{entry['priceDetails']}' does not exist.",
                        )
                    if price["product"] != entry["product"]:
                        raise RuleError(
                            "businessValidationError",
                            f"{where}: the price resource is for {price['product']}, not "
                            f"{entry['product']}.",
                        )
            except RuleError as exc:
                problems.append(_detail(exc.code, exc.message, where))
                continue
            if pricing_type == "vmSoftwareReservations" and self._config.vmsr_plan_details == (
                "generated"
            ):
                entry["newPlanDetails"] = self._generated_plan(entry)
            resolved.append(entry)
        if problems:
            raise RuleError(
                "businessValidationError", "One or more pricing entries are not valid.", problems
            )
        return resolved

    def validate_fields(self, ctx: JobContext, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        fields = dict(fields)
        problems = self._check_dates(fields)
        if problems:
            raise RuleError("businessValidationError", "The offer dates are not valid.", problems)
        if "pricing" in fields:
            fields["pricing"] = self._resolve_pricing(ctx, kind, fields)
        if kind == ORIGINATOR and fields.get("partners"):
            partner_id = fields["partners"][0]["id"]
            partner = self._config.account_by_partner_id(partner_id)
            if partner is None:
                raise RuleError(
                    "businessValidationError",
                    f"Selling partner '{partner_id}' is not a known partner account.",
                    [
                        _detail(
                            "invalidResource",
                            f"Unknown partner id '{partner_id}'.",
                            "partners[0].id",
                        )
                    ],
                )
            if partner.name == ctx.account.name:
                raise RuleError(
                    "businessValidationError", "The originator cannot be its own selling partner."
                )
        return fields
