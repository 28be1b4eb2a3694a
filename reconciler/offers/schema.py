"""The JSON Schema of offer files, generated from the models.

``schemas/offer.schema.json`` is committed so editors (yaml-language-server) can complete
and check files; ``reconciler schema --check`` and a test keep it equal to what the models
generate. The schema adds to the models' own schema:

* the file-only keys ``$schema`` and ``reconciler`` on each offer kind;
* the documented limits and id formats of :mod:`reconciler.offers.rules`, so an editor
  flags them while typing. Cross-field rules (dates, pricing types) stay in the loader.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import TypeAdapter

from reconciler.offers import rules
from reconciler.offers.model import FileControls, PrivateOffer
from reconciler.offers.schema_urls import PRIVATE_OFFER_SCHEMA_PATTERN

OFFER_SCHEMA_FILE = "offer.schema.json"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

_KIND_DEFS = ("CustomerOffer", "CspOffer", "OriginatorOffer", "ChannelPartnerOffer")
_EMAIL = {"format": "email"}


def _pattern(regex: Any) -> dict[str, Any]:
    return {"pattern": regex.pattern}


# (definition, property) -> keywords added to the property's non-null schema.
_CONSTRAINTS: dict[tuple[str, str], dict[str, Any]] = {
    **{(kind, "name"): {"maxLength": rules.MAX_NAME_LENGTH, "minLength": 1} for kind in _KIND_DEFS},
    **{(kind, "id"): _pattern(rules.OFFER_ID) for kind in _KIND_DEFS},
    **{
        (kind, "resourceName"): {
            "minLength": rules.RESOURCE_NAME_LENGTH[0],
            "maxLength": rules.RESOURCE_NAME_LENGTH[1],
        }
        for kind in _KIND_DEFS
    },
    **{
        (kind, "notificationContacts"): {
            "maxItems": rules.MAX_NOTIFICATION_CONTACTS,
            "items": {"type": "string", **_EMAIL},
        }
        for kind in _KIND_DEFS
    },
    **{
        (kind, "pricing"): {"maxItems": rules.MAX_PRICING_ENTRIES}
        for kind in ("CustomerOffer", "CspOffer", "OriginatorOffer")
    },
    **{
        (kind, "notes"): {"maxLength": rules.MAX_NOTES_LENGTH}
        for kind in ("OriginatorOffer", "ChannelPartnerOffer")
    },
    **{
        (kind, "termsAndConditionsDocs"): {"maxItems": rules.MAX_TERMS_DOCS}
        for kind in ("OriginatorOffer", "ChannelPartnerOffer")
    },
    **{
        (kind, "preparedBy"): _EMAIL
        for kind in ("CustomerOffer", "CspOffer", "ChannelPartnerOffer")
    },
    ("CustomerOffer", "beneficiaries"): {"maxItems": rules.MAX_CUSTOMER_BENEFICIARIES},
    ("OriginatorOffer", "beneficiaries"): {"maxItems": rules.MAX_CUSTOMER_BENEFICIARIES},
    ("OriginatorOffer", "partners"): {"maxItems": rules.MAX_CHANNEL_PARTNERS},
    ("CspOffer", "beneficiaries"): {"maxItems": rules.MAX_CSP_PARTNERS},
    ("CspBeneficiary", "id"): _pattern(rules.TENANT_ID),
    ("CspBeneficiary", "beneficiaryRecipients"): {"maxItems": rules.MAX_RECIPIENTS_PER_CSP_PARTNER},
    ("CspRecipient", "id"): _pattern(rules.TENANT_ID),
    ("CustomerBeneficiary", "id"): _pattern(rules.BILLING_ACCOUNT_ID),
    ("UpgradedFrom", "id"): _pattern(rules.OFFER_ID),
    ("PricingEntry", "product"): _pattern(rules.PRODUCT_ID),
    ("PricingEntry", "plan"): _pattern(rules.PLAN_ID),
    ("PricingEntry", "basePlan"): _pattern(rules.PLAN_ID),
    ("PricingEntry", "discountPercentage"): {
        "minimum": rules.DISCOUNT_RANGE[0],
        "maximum": rules.DISCOUNT_RANGE[1],
    },
    ("OriginatorPricingEntry", "product"): _pattern(rules.PRODUCT_ID),
    ("OriginatorPricingEntry", "plan"): _pattern(rules.PLAN_ID),
    ("OriginatorPricingEntry", "basePlan"): _pattern(rules.PLAN_ID),
    ("OriginatorPricingEntry", "markupPercentage"): {
        "exclusiveMinimum": 0,
        "maximum": rules.MARKUP_MAX,
    },
}


def offer_file_schema() -> dict[str, object]:
    """The JSON Schema of one offer file."""
    schema = TypeAdapter(PrivateOffer).json_schema(by_alias=True)
    controls = TypeAdapter(FileControls).json_schema(by_alias=True)
    defs: dict[str, Any] = schema["$defs"]
    defs["FileControls"] = controls
    for kind in _KIND_DEFS:
        properties = defs[kind]["properties"]
        properties["$schema"] = {
            "type": "string",
            "pattern": PRIVATE_OFFER_SCHEMA_PATTERN.pattern,
            "description": "Optional: a private-offer schema URL (the reconciler adds one).",
        }
        properties["reconciler"] = {"$ref": "#/$defs/FileControls"}
    for (definition, prop), extra in _CONSTRAINTS.items():
        target = _non_null(defs[definition]["properties"][prop])
        target.update(extra)
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "title": "Private offer file",
        "description": (
            "One Microsoft commercial marketplace private offer, in the Product Ingestion "
            "API's own field names (see docs/offer-files.md)."
        ),
        **schema,
    }


def _non_null(prop: dict[str, Any]) -> dict[str, Any]:
    for branch in prop.get("anyOf", []):
        if isinstance(branch, dict) and branch.get("type") != "null":
            return branch
    return prop


def render_schemas() -> dict[str, str]:
    """File name -> exact text of every committed schema of the file format."""
    return {OFFER_SCHEMA_FILE: json.dumps(offer_file_schema(), indent=2, sort_keys=True) + "\n"}
