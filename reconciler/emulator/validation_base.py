"""The schema checker's ground: field patterns and enums of the resources, and primitives.

See :mod:`reconciler.emulator.validation` for what is checked when.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

SCHEMA_HOSTS = r"https://(?:schema\.mp\.microsoft\.com|product-ingestion\.azureedge\.net)/schema/"
_VERSION = r"/(\d{4}-\d{2}-\d{2}(?:-dev|-preview\d+)?)$"
CONFIGURE_RE = re.compile(SCHEMA_HOSTS + "configure" + _VERSION)
OFFER_RE = re.compile(
    SCHEMA_HOSTS
    + r"(private-offer(?:-customer|-csp|-mpo-originator|-mpo-channel-partner)?)"
    + _VERSION
)
PRICE_RE = re.compile(SCHEMA_HOSTS + "price-and-availability-private-offer-plan" + _VERSION)

GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
OFFER_ID_RE = re.compile(rf"^private-offer/{GUID}$")
PRODUCT_RE = re.compile(rf"^product/{GUID}$")
PLAN_RE = re.compile(rf"^plan/(?:{GUID}/)?[A-Za-z0-9_-]{{1,50}}$")
PRICE_ID_RE = re.compile(rf"^price-and-availability-private-offer-plan/{GUID}/[A-Za-z0-9-]+$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CUSTOMER_BENEFICIARY_RE = re.compile(rf"^{GUID}:{GUID}_\d{{4}}-\d{{2}}-\d{{2}}$")
GUID_RE = re.compile(rf"^{GUID}$")
PARTNER_ID_RE = re.compile(r"^[0-9]{1,12}$")
# Customer/CSP offer names: no ! < > ^ [ ] @ # % / or control characters. Non-ASCII letters
# and "~" are allowed: no Microsoft source refuses them (docs/api-unknowns.md).
NAME_RE = re.compile(r"^[^!<>^\[\]@#%/\x00-\x1f\x7f]+$")
NAME_PARTNER_RE = re.compile(r"^[^\x00-\x1f\x7f]*[^!>^\[@#%/\x00-\x1f\x7f]$")
SAS_RE = re.compile(r"^https://\S+$")


PRICING_ENTRY_FIELDS = {
    "product", "plan", "basePlan", "newPlanDetails", "discountType", "discountPercentage",
    "priceDetails", "productName", "planName",
}  # fmt: skip
PRICE_FIELDS = {
    "$schema", "resourceName", "id", "product", "plan", "offerPricingType", "pricing",
    "softwareReservation", "validations", "planName",
}  # fmt: skip


def parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


class FieldChecker:
    """Collects findings; typed primitive checks every resource check is built from.

    One object is shared by the offer and price checkers of a request, so their findings
    land in one list in the order the body is read.
    """

    def __init__(self) -> None:
        self.findings: list[dict[str, object]] = []
        # The resourceName of the resource being checked: every finding names it.
        self.resource_name: str | None = None

    def fail(self, target: str, message: str) -> None:
        detail: dict[str, object] = {
            "code": "schemaValidationError",
            "message": message,
            "target": target,
        }
        if self.resource_name:
            detail["resourceName"] = self.resource_name
        self.findings.append(detail)

    # ---- primitives ---------------------------------------------------------------------

    def string(self, obj: dict[str, object], key: str, where: str, *, required: bool = False,
               pattern: re.Pattern[str] | None = None, max_len: int | None = None,
               enum: tuple[str, ...] | None = None, min_len: int = 0) -> str | None:  # fmt: skip
        target = f"{where}.{key}"
        if key not in obj or obj[key] is None:
            if required:
                self.fail(target, f"Required property '{key}' is missing.")
            return None
        value = obj[key]
        if not isinstance(value, str):
            self.fail(target, f"'{key}' must be a string, got {type(value).__name__}.")
            return None
        if len(value) < min_len:
            self.fail(target, f"'{key}' must be at least {min_len} character(s) long.")
        if max_len is not None and len(value) > max_len:
            self.fail(target, f"'{key}' is longer than {max_len} characters.")
        if enum is not None and value not in enum:
            self.fail(target, f"'{key}' value '{value}' is not one of: {', '.join(enum)}.")
        if pattern is not None and not pattern.match(value):
            self.fail(target, f"'{key}' value '{value}' does not match the expected format.")
        return value

    def date(self, obj: dict[str, object], key: str, where: str) -> None:
        value = self.string(obj, key, where, pattern=DATE_RE)
        if value is not None and DATE_RE.match(value) and parse_date(value) is None:
            self.fail(f"{where}.{key}", f"'{key}' value '{value}' is not a valid date.")

    def boolean(self, obj: dict[str, object], key: str, where: str) -> None:
        if key in obj and obj[key] is not None and not isinstance(obj[key], bool):
            self.fail(f"{where}.{key}", f"'{key}' must be a boolean.")

    def number(self, obj: dict[str, object], key: str, where: str, *, required: bool = False,
               minimum: float | None = None, maximum: float | None = None,
               exclusive_min: bool = False) -> None:  # fmt: skip
        target = f"{where}.{key}"
        if key not in obj or obj[key] is None:
            if required:
                self.fail(target, f"Required property '{key}' is missing.")
            return
        value = obj[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(target, f"'{key}' must be a number.")
            return
        if minimum is not None and (value <= minimum if exclusive_min else value < minimum):
            bound = "greater than" if exclusive_min else "at least"
            self.fail(target, f"'{key}' must be {bound} {minimum}.")
        if maximum is not None and value > maximum:
            self.fail(target, f"'{key}' must be at most {maximum}.")

    def array(self, obj: dict[str, object], key: str, where: str, *, max_items: int | None = None,
              min_items: int = 0) -> list[Any] | None:  # fmt: skip
        if key not in obj or obj[key] is None:
            return None
        value = obj[key]
        if not isinstance(value, list):
            self.fail(f"{where}.{key}", f"'{key}' must be an array.")
            return None
        if len(value) < min_items:
            self.fail(f"{where}.{key}", f"'{key}' needs at least {min_items} item(s).")
        if max_items is not None and len(value) > max_items:
            self.fail(f"{where}.{key}", f"'{key}' allows at most {max_items} item(s).")
        return value

    def obj(
        self, value: object, where: str, allowed: set[str], required: tuple[str, ...] = ()
    ) -> bool:
        if not isinstance(value, dict):
            self.fail(where, "Expected an object.")
            return False
        for key in sorted(set(value) - allowed):
            self.fail(f"{where}.{key}", f"Property '{key}' is not allowed here.")
        for key in required:
            if key not in value:
                self.fail(f"{where}.{key}", f"Required property '{key}' is missing.")
        return True
