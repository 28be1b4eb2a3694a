"""``$schema`` URLs of the Product Ingestion API resources the reconciler writes.

The file format never needs a ``$schema``: the plan layer stamps these on the request
bodies, at the versions of the ``api.versions`` setting (default: the newest documented,
see :data:`OFFER_VERSION`). A file may still carry one (copied from the docs); it is
accepted only when it names a private-offer schema, see :data:`PRIVATE_OFFER_SCHEMA_PATTERN`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SCHEMA_BASE = "https://schema.mp.microsoft.com/schema"
# The documented change log: private-offer 2024-09-30 -> 2026-02-01 and
# price-and-availability-private-offer-plan 2023-07-15 -> 2025-06-01, effective 2026-04-17.
OFFER_VERSION = "2026-02-01"
PRICE_VERSION = "2025-06-01"
OFFER_RESOURCE = "private-offer"
PRICE_RESOURCE = "price-and-availability-private-offer-plan"
# Setting names as a user writes them, for errors that say what to change.
OFFER_VERSION_SETTING = "api.versions.offer"
PRICE_VERSION_SETTING = "api.versions.price"


def offer_schema(version: str = OFFER_VERSION) -> str:
    return f"{SCHEMA_BASE}/{OFFER_RESOURCE}/{version}"


def price_schema(version: str = PRICE_VERSION) -> str:
    return f"{SCHEMA_BASE}/{PRICE_RESOURCE}/{version}"


OFFER_SCHEMA = offer_schema()
PRICE_SCHEMA = price_schema()
CONFIGURE_SCHEMA = "https://schema.mp.microsoft.com/schema/configure/2022-07-01"

# Both hosts are interchangeable per the API's `schema-uri` pattern; the per-kind
# sub-schemas (private-offer-customer, ...) are valid `$schema` values too.
PRIVATE_OFFER_SCHEMA_PATTERN = re.compile(
    r"^https://(schema\.mp\.microsoft\.com|product-ingestion\.azureedge\.net)/schema/"
    r"private-offer(-customer|-csp|-mpo-originator|-mpo-channel-partner)?/"
    r"\d{4}-\d{2}-\d{2}(-dev|-preview\d+)?$"
)
PRICE_SCHEMA_PATTERN = re.compile(
    r"^https://(schema\.mp\.microsoft\.com|product-ingestion\.azureedge\.net)/schema/"
    r"price-and-availability-private-offer-plan/\d{4}-\d{2}-\d{2}(-dev|-preview\d+)?$"
)


def stamp_versions(
    resources: Iterable[dict[str, object]], offer_version: str, price_version: str
) -> None:
    """Set the ``$schema`` of every offer and price resource to the chosen versions."""
    for resource in resources:
        schema = str(resource.get("$schema", ""))
        if PRIVATE_OFFER_SCHEMA_PATTERN.match(schema):
            resource["$schema"] = offer_schema(offer_version)
        elif PRICE_SCHEMA_PATTERN.match(schema):
            resource["$schema"] = price_schema(price_version)


def schema_version(schema: str) -> str:
    """``.../private-offer/2026-02-01`` -> ``2026-02-01``."""
    return schema.rstrip("/").rsplit("/", 1)[-1]
