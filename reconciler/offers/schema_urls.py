"""``$schema`` URLs of the Product Ingestion API resources the reconciler writes.

The file format never needs a ``$schema``: the plan layer stamps these on the request
bodies. A file may still carry one (copied from the docs); it is accepted only when it
names a private-offer schema, see :data:`PRIVATE_OFFER_SCHEMA_PATTERN`.
"""

from __future__ import annotations

import re

OFFER_SCHEMA = "https://schema.mp.microsoft.com/schema/private-offer/2024-09-30"
PRICE_SCHEMA = (
    "https://schema.mp.microsoft.com/schema/price-and-availability-private-offer-plan/2023-07-15"
)
CONFIGURE_SCHEMA = "https://schema.mp.microsoft.com/schema/configure/2022-07-01"

# Both hosts are interchangeable per the API's `schema-uri` pattern; the per-kind
# sub-schemas (private-offer-customer, ...) are valid `$schema` values too.
PRIVATE_OFFER_SCHEMA_PATTERN = re.compile(
    r"^https://(schema\.mp\.microsoft\.com|product-ingestion\.azureedge\.net)/schema/"
    r"private-offer(-customer|-csp|-mpo-originator|-mpo-channel-partner)?/"
    r"\d{4}-\d{2}-\d{2}(-dev|-preview\d+)?$"
)
