"""``$version`` handling: the ceiling rule and the ``$schema`` URLs the emulator echoes.

The service answers with the newest schema version that is not newer than the requested
``$version`` (docs/api-unknowns.md). A request older than every version of a
resource is refused with 400 rather than silently upgraded.
"""

from __future__ import annotations

import re

MP = "https://schema.mp.microsoft.com/schema"
EDGE = "https://product-ingestion.azureedge.net/schema"

# Above every version: a view made at it holds every field, to be capped when read.
NEWEST = "9999-12-31"

VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:-dev|-preview\d+)?$")

SCHEMAS: dict[str, list[tuple[str, str]]] = {
    "configure-status": [("2022-03-01-preview2", EDGE), ("2022-07-01", MP)],
    "configure-detail": [("2022-03-01-preview2", EDGE)],
    "private-offer": [
        ("2022-03-01-preview2", EDGE),
        ("2022-07-01", MP),
        ("2023-07-15", MP),
        ("2024-09-30", MP),
        ("2026-02-01", MP),
    ],
    "price-and-availability-private-offer-plan": [
        ("2022-03-01-preview2", EDGE),
        ("2022-07-01", MP),
        ("2023-07-15", MP),
        ("2025-06-01", MP),
    ],
    "product": [("2022-03-01-preview2", EDGE), ("2022-07-01", MP)],
    "plan": [("2022-03-01-preview2", EDGE), ("2022-07-01", MP)],
}


class VersionError(ValueError):
    pass


def schema_url(resource: str, requested: str) -> str:
    """The ``$schema`` of *resource* for a request made with ``$version=requested``."""
    # configure-detail has one known version; the documented samples request 2023-07-15.
    candidates = [(v, host) for v, host in SCHEMAS[resource] if v <= requested]
    if not candidates:
        if resource == "configure-detail":
            candidates = SCHEMAS[resource]
        else:
            oldest = SCHEMAS[resource][0][0]
            raise VersionError(
                f"$version {requested} is older than every version of {resource} "
                f"(oldest: {oldest})."
            )
    version, host = candidates[-1]
    return f"{host}/{resource}/{version}"
