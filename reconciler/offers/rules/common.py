"""What every offer rule shares: the finding type, the documented limits and id formats."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from reconciler.offers.domain import plan_key

Path = tuple[str | int, ...]

# Limits (docs/validation.md); the JSON Schema states the same numbers.
MAX_PRICING_ENTRIES = 10
MAX_NOTIFICATION_CONTACTS = 5
MAX_CHANNEL_PARTNERS = 1
MAX_CUSTOMER_BENEFICIARIES = 1
MAX_RECIPIENTS_PER_CSP_PARTNER = 25
MAX_CSP_PARTNERS = 150  # the schema dump; the UI FAQ says 400 CSP tenants (documented conflict)
MAX_NAME_LENGTH = 128
MAX_NOTES_LENGTH = 60
MAX_TERMS_DOCS = 5
RESOURCE_NAME_LENGTH = (1, 50)
DISCOUNT_RANGE = (0.01, 100)
MARKUP_MAX = 100
GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
OFFER_ID = re.compile(rf"^private-offer/{GUID}$")
PRODUCT_ID = re.compile(rf"^product/{GUID}$")
PLAN_ID = re.compile(r"^plan/[A-Za-z0-9][A-Za-z0-9_-]{0,49}(/[A-Za-z0-9_-]{1,50})?$")
TENANT_ID = re.compile(rf"^{GUID}$")
BILLING_ACCOUNT_ID = re.compile(rf"^{GUID}:{GUID}_\d{{4}}-\d{{2}}-\d{{2}}$")
EMAIL = re.compile(
    r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)
# Customer/CSP/originator names: no ! < > ^ [ ] @ # % /, no control characters, nothing
# from 0x7E up (C-GUIDE pattern).
NAME_FORBIDDEN = set("!<>^[]@#%/")
# The channel partner's pattern: printable ASCII, not ending in one of these.
PARTNER_NAME_BAD_LAST = set("!>^[@#%/")


@dataclass(frozen=True)
class Finding:
    path: Path
    message: str
    rule: str
    severity: str = "error"


def duplicates(keys: Sequence[object], base: Path, field: str, what: str) -> Iterator[Finding]:
    seen: dict[object, int] = {}
    for i, key in enumerate(keys):
        if key in seen:
            yield Finding(
                (*base, i, field),
                f"duplicate {what}: same as entry {seen[key]}",
                f"duplicate-{what.replace(' ', '-')}",
            )
        else:
            seen[key] = i


def plan_ref(product: str, plan: str | None) -> str | None:
    """A plan reference as one key, whichever documented form it is written in."""
    return plan_key(plan, product) if plan else plan
