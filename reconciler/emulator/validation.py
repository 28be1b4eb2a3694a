"""The emulator's own light, strict schema checker for ``POST configure`` bodies.

It runs synchronously, before a job exists, as the service's JSON-schema validation does;
every finding becomes one ``schemaValidationError`` detail of the 400 answer. It knows the
fields of the private-offer resource per ``privateOfferType`` and of the absolute price
resource, their types, enums, formats and the schema-level conditionals documented in
docs/validation.md and docs/api-unknowns.md. Business rules (catalogue, lifecycle, eTags,
cross-references, dates beyond their format) are checked later, inside the job.

This is deliberately independent of the reconciler's own offer model.

Its parts, by composition (each arrow: "calls"; nothing points back up)::

    Checker (the envelope, $schema versions)
      -> OfferChecks (validation_offer.py)  -> FieldChecker (validation_base.py)
      -> PriceChecks (validation_price.py)  -> FieldChecker
                                               (findings and typed primitives, shared)
"""

from __future__ import annotations

from reconciler.emulator.validation_base import (
    CONFIGURE_RE,
    GUID_RE,
    OFFER_RE,
    PRICE_RE,
    FieldChecker,
    parse_date,
)
from reconciler.emulator.validation_offer import OfferChecks
from reconciler.emulator.validation_price import PriceChecks
from reconciler.emulator.versions import SCHEMAS
from reconciler.emulator.vocabulary import (
    normalize_type,
)

__all__ = ["GUID_RE", "check_configure", "normalize_type", "parse_date"]


class Checker:
    """One request's check: the envelope here, each resource by the offer or price checker."""

    def __init__(self) -> None:
        self.check = FieldChecker()
        self.offers = OfferChecks(self.check)
        self.prices = PriceChecks(self.check)

    @property
    def findings(self) -> list[dict[str, object]]:
        return self.check.findings

    def envelope(self, body: object) -> list[dict[str, object]]:
        if not isinstance(body, dict):
            self.check.fail("$", "The request body must be a JSON object.")
            return []
        for key in sorted(set(body) - {"$schema", "resources"}):
            self.check.fail(key, f"Property '{key}' is not allowed in the configure envelope.")
        schema = body.get("$schema")
        if not isinstance(schema, str) or not CONFIGURE_RE.match(schema):
            self.check.fail(
                "$schema",
                "'$schema' must be a configure schema URL, e.g. https://schema.mp.microsoft.com/schema/configure/2022-07-01.",
            )
        resources = body.get("resources")
        if not isinstance(resources, list) or not resources:
            self.check.fail("resources", "'resources' must be a non-empty array.")
            return []
        names: set[str] = set()
        for index, resource in enumerate(resources):
            where = f"resources[{index}]"
            if not isinstance(resource, dict):
                self.check.fail(where, "Each resource must be an object.")
                continue
            name = resource.get("resourceName")
            self.check.resource_name = name if isinstance(name, str) else None
            if isinstance(name, str):
                if name in names:
                    self.check.fail(
                        f"{where}.resourceName", f"resourceName '{name}' is used twice."
                    )
                names.add(name)
            schema = resource.get("$schema")
            if not isinstance(schema, str):
                self.check.fail(f"{where}.$schema", "Required property '$schema' is missing.")
            elif not self.known_version(schema, where):
                pass
            elif OFFER_RE.match(schema):
                self.offers.offer(resource, where)
            elif PRICE_RE.match(schema):
                self.prices.price(resource, where)
            else:
                self.check.fail(
                    f"{where}.$schema",
                    f"Unsupported resource schema '{schema}': this API serves private-offer and "
                    "price-and-availability-private-offer-plan resources.",
                )
            self.check.resource_name = None
        return [r for r in resources if isinstance(r, dict)]

    def known_version(self, schema: str, where: str) -> bool:
        """A ``$schema`` naming a version the service does not have fails validation."""
        match = OFFER_RE.match(schema) or PRICE_RE.match(schema)
        if match is None:
            return True
        resource = schema.split("/schema/", 1)[1].rsplit("/", 1)[0]
        family = "private-offer" if resource.startswith("private-offer") else resource
        version = match.groups()[-1]
        known = [v for v, _ in SCHEMAS.get(family, [])]
        if version.removesuffix("-dev") in known:
            return True
        self.check.fail(
            f"{where}.$schema",
            f"Unknown schema version '{version}' of {family} (known: {', '.join(known)}).",
        )
        return False


def check_configure(body: object) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """(resources, findings) for a configure body; any finding means HTTP 400."""
    checker = Checker()
    resources = checker.envelope(body)
    return resources, checker.findings
