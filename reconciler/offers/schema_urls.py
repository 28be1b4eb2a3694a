"""``$schema`` URLs of the Product Ingestion API resources the reconciler writes.

The file format never needs a ``$schema``: the plan layer stamps these on the request
bodies, at the versions of the ``api.versions`` setting (default: the newest documented,
see :data:`OFFER_VERSION`). A file may still carry one (copied from the docs); it is
accepted only when it names a private-offer schema, see :data:`PRIVATE_OFFER_SCHEMA_PATTERN`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

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


def reported_versions(resources: Iterable[Mapping[str, object]]) -> dict[str, str]:
    """The newest version per resource type named by the ``$schema`` of *resources*
    (what the service answered): ``{"private-offer": ..., PRICE_RESOURCE: ...}``."""
    found: dict[str, str] = {}
    for resource in resources:
        schema = str(resource.get("$schema", ""))
        if PRIVATE_OFFER_SCHEMA_PATTERN.match(schema):
            kind = OFFER_RESOURCE
        elif PRICE_SCHEMA_PATTERN.match(schema):
            kind = PRICE_RESOURCE
        else:
            continue
        version = schema_version(schema)
        if version > found.get(kind, ""):
            found[kind] = version
    return found


def write_versions(
    configured: tuple[str, str], pinned: Iterable[str], reported: Mapping[str, str]
) -> tuple[str, str]:
    """The (offer, price) versions to write: the newest the service reports for each
    resource type, unless the ``api.versions`` setting names one (*pinned*: "offer",
    "price"); the configured default when the service has shown none."""
    offer, price = configured
    fixed = set(pinned)
    if "offer" not in fixed and reported.get(OFFER_RESOURCE):
        offer = reported[OFFER_RESOURCE]
    if "price" not in fixed and reported.get(PRICE_RESOURCE):
        price = reported[PRICE_RESOURCE]
    return offer, price


def version_hint(message: str) -> str:
    """What to change when the service refused a message's schema version ("" otherwise)."""
    if "$schema" not in message and "version" not in message.lower():
        return ""
    return (
        f" (the schema versions written come from the {OFFER_VERSION_SETTING} and "
        f"{PRICE_VERSION_SETTING} settings; unset, the newest the service answers with)"
    )
