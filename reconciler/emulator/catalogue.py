"""Products and plans a user adds to the emulator's catalogue (a file, or POST to the controls).

The shape is the packaged ``data/catalogue.json``: ``{"products": [{"id", "alias", "type",
"externalId", "meters", "vmSizes", "plans": [{"planId", "planGuid", "alias",
"template"}]}]}``. Only ``id`` (``product/<guid>`` or a bare guid) and each plan's
``planId`` are required; the rest defaults so a user can say just which products and plans
their offer files price.

A plan has two names, as in the Product Ingestion API: its external id ``planId`` (the
"plan ID" a publisher chose, which the documentation's samples write as ``plan/123456``;
``externalId`` is read as a synonym) and its durable id ``plan/<productGuid>/<planGuid>``
(``GET plan`` answers ``"id":"plan/<productGuid>/<planGuid>"``). Without a ``planGuid`` the
GUID is derived from the product and the plan id, so it is the same on every start.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
PLAN_ID = re.compile(r"^[A-Za-z0-9_-]{1,50}$")
PRODUCT_TYPES = ("softwareAsAService", "azureVirtualMachine", "azureApplication", "azureContainer")


class CatalogueError(ValueError):
    """A catalogue entry the emulator cannot use; the message names the entry and field."""


def _product(raw: object, where: str) -> dict[str, object]:
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: expected an object")
    ident = str(raw.get("id", ""))
    guid = ident.split("/", 1)[1] if ident.startswith("product/") else ident
    if not GUID.match(guid):
        raise CatalogueError(f"{where}.id: expected product/<guid>, got {ident!r}")
    kind = raw.get("type", "softwareAsAService")
    if kind not in PRODUCT_TYPES:
        raise CatalogueError(f"{where}.type: {kind!r} is not one of {', '.join(PRODUCT_TYPES)}")
    plans_raw = raw.get("plans", [])
    if not isinstance(plans_raw, list) or not plans_raw:
        raise CatalogueError(f"{where}.plans: expected a non-empty list of plans")
    plans = []
    for i, plan in enumerate(plans_raw):
        at = f"{where}.plans[{i}]"
        if not isinstance(plan, dict):
            raise CatalogueError(f"{at}: expected an object")
        plan_id = str(plan.get("planId", plan.get("externalId", ""))).split("/")[-1]
        if not PLAN_ID.match(plan_id):
            raise CatalogueError(f"{at}.planId: expected letters, digits, - or _, got {plan_id!r}")
        plan_guid = str(plan.get("planGuid") or uuid.uuid5(uuid.UUID(guid), plan_id)).lower()
        if not GUID.match(plan_guid):
            raise CatalogueError(f"{at}.planGuid: expected a guid, got {plan_guid!r}")
        template = plan.get("template", {"pricing": {}})
        if not isinstance(template, dict):
            raise CatalogueError(f"{at}.template: expected an object")
        plans.append(
            {
                "planId": plan_id,
                "planGuid": plan_guid,
                "alias": str(plan.get("alias", plan_id)),
                "template": template,
            }
        )
    return {
        "id": f"product/{guid.lower()}",
        "alias": str(raw.get("alias", guid)),
        "externalId": str(raw.get("externalId", guid.lower())),
        "type": kind,
        "meters": [str(m) for m in raw.get("meters", [])],
        "vmSizes": [str(s) for s in raw.get("vmSizes", [])],
        "plans": plans,
    }


def parse_catalogue(data: object, source: str = "catalogue") -> list[dict[str, object]]:
    """The products of *data* (``{"products": [...]}``), checked and completed."""
    if not isinstance(data, dict) or not isinstance(data.get("products"), list):
        raise CatalogueError(f"{source}: expected an object with a 'products' list")
    return [_product(p, f"{source}: products[{i}]") for i, p in enumerate(data["products"])]


def read_catalogue(path: Path) -> list[dict[str, object]]:
    """The products of a catalogue JSON file."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise CatalogueError(f"{path}: cannot read: {exc.strerror}") from None
    except ValueError as exc:
        raise CatalogueError(f"{path}: not valid JSON: {exc}") from None
    return parse_catalogue(data, str(path))
