"""The emulator's own light, strict schema checker for ``POST configure`` bodies.

It runs synchronously, before a job exists, as the service's JSON-schema validation does;
every finding becomes one ``schemaValidationError`` detail of the 400 answer. It knows the
fields of the private-offer resource per ``privateOfferType`` and of the absolute price
resource, their types, enums, formats and the schema-level conditionals documented in
docs/product-ingestion-api.md §4 and §7. Business rules (catalogue, lifecycle, eTags,
cross-references, dates beyond their format) are checked later, inside the job.

This is deliberately independent of the reconciler's own offer model.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from reconciler.emulator.versions import SCHEMAS

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
# Customer/CSP offer names: no ! < > ^ [ ] @ # % /, control characters or chars >= 0x7E.
NAME_RE = re.compile(r"^[^!<>^\[\]@#%/\x00-\x1f\x7e-\uffff]+$")
NAME_PARTNER_RE = re.compile(r"^[\x20-\x7d]*[^!>^\[@#%/\x00-\x1f\x7e-\uffff]$")
SAS_RE = re.compile(r"^https://\S+$")

OFFER_TYPES = (
    "customerPromotion",
    "cspPromotion",
    "multipartyPromotionOriginator",
    "multipartyPromotionChannelPartner",
)
PARTNER_TYPE_SPELLINGS = ("multipartyPromotionChannelPartner", "multiPartyPromotionChannelPartner")
STATES = ("draft", "live", "withdrawn", "deleted")
PRICING_TYPES = (
    "editExistingOfferPricingOnly",
    "saasNewCustomizedPlans",
    "vmSoftwareReservations",
    "newCustomizedPlans",
)
TERM_TYPES = ("month", "year")

_COMMON = {
    "$schema", "id", "resourceName", "name", "privateOfferType", "state", "variableStartDate",
    "start", "end", "notificationContacts", "beneficiaries", "eTag",
    # read-only fields a client may echo from a GET; accepted and ignored
    "lastModified", "subState", "acceptanceLinks", "validations",
}  # fmt: skip
ALLOWED = {
    "customerPromotion": _COMMON | {
        "offerPricingType", "acceptBy", "preparedBy", "termsAndConditionsDocSasUrl", "pricing",
        "upgradedFrom", "customerContractRenewal",
    },
    "cspPromotion": _COMMON | {"preparedBy", "pricing", "upgradedFrom", "customerContractRenewal"},
    "multipartyPromotionOriginator": _COMMON | {
        "offerPricingType", "acceptBy", "termsAndConditionsDocs", "partners", "pricing", "notes",
        "customerContractRenewal",
    },
    "multipartyPromotionChannelPartner": _COMMON | {
        "offerPricingType", "acceptBy", "preparedBy", "termsAndConditionsDocs",
        "originatorTermsAndConditionsDocs", "partners", "originatorPricing", "notes",
        "customerContractRenewal",
    },
}  # fmt: skip
PRICING_ENTRY_FIELDS = {
    "product", "plan", "basePlan", "newPlanDetails", "discountType", "discountPercentage",
    "priceDetails", "productName", "planName",
}  # fmt: skip
PRICE_FIELDS = {
    "$schema", "resourceName", "id", "product", "plan", "offerPricingType", "pricing",
    "softwareReservation", "validations", "planName",
}  # fmt: skip


def normalize_type(value: Any) -> Any:
    return "multipartyPromotionChannelPartner" if value in PARTNER_TYPE_SPELLINGS else value


def parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


class Checker:
    def __init__(self) -> None:
        self.findings: list[dict[str, Any]] = []
        self._resource_name: str | None = None

    def fail(self, target: str, message: str) -> None:
        detail: dict[str, Any] = {
            "code": "schemaValidationError",
            "message": message,
            "target": target,
        }
        if self._resource_name:
            detail["resourceName"] = self._resource_name
        self.findings.append(detail)

    # ---- primitives ---------------------------------------------------------------------

    def string(self, obj: dict[str, Any], key: str, where: str, *, required: bool = False,
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

    def date(self, obj: dict[str, Any], key: str, where: str) -> None:
        value = self.string(obj, key, where, pattern=DATE_RE)
        if value is not None and DATE_RE.match(value) and parse_date(value) is None:
            self.fail(f"{where}.{key}", f"'{key}' value '{value}' is not a valid date.")

    def boolean(self, obj: dict[str, Any], key: str, where: str) -> None:
        if key in obj and obj[key] is not None and not isinstance(obj[key], bool):
            self.fail(f"{where}.{key}", f"'{key}' must be a boolean.")

    def number(self, obj: dict[str, Any], key: str, where: str, *, required: bool = False,
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

    def array(self, obj: dict[str, Any], key: str, where: str, *, max_items: int | None = None,
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
        self, value: Any, where: str, allowed: set[str], required: tuple[str, ...] = ()
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

    # ---- envelope -----------------------------------------------------------------------

    def envelope(self, body: Any) -> list[dict[str, Any]]:
        if not isinstance(body, dict):
            self.fail("$", "The request body must be a JSON object.")
            return []
        for key in sorted(set(body) - {"$schema", "resources"}):
            self.fail(key, f"Property '{key}' is not allowed in the configure envelope.")
        schema = body.get("$schema")
        if not isinstance(schema, str) or not CONFIGURE_RE.match(schema):
            self.fail(
                "$schema",
                "'$schema' must be a configure schema URL, e.g. https://schema.mp.microsoft.com/schema/configure/2022-07-01.",
            )
        resources = body.get("resources")
        if not isinstance(resources, list) or not resources:
            self.fail("resources", "'resources' must be a non-empty array.")
            return []
        names: set[str] = set()
        for index, resource in enumerate(resources):
            where = f"resources[{index}]"
            if not isinstance(resource, dict):
                self.fail(where, "Each resource must be an object.")
                continue
            name = resource.get("resourceName")
            self._resource_name = name if isinstance(name, str) else None
            if isinstance(name, str):
                if name in names:
                    self.fail(f"{where}.resourceName", f"resourceName '{name}' is used twice.")
                names.add(name)
            schema = resource.get("$schema")
            if not isinstance(schema, str):
                self.fail(f"{where}.$schema", "Required property '$schema' is missing.")
            elif not self.known_version(schema, where):
                pass
            elif OFFER_RE.match(schema):
                self.offer(resource, where)
            elif PRICE_RE.match(schema):
                self.price(resource, where)
            else:
                self.fail(
                    f"{where}.$schema",
                    f"Unsupported resource schema '{schema}': this API serves private-offer and "
                    "price-and-availability-private-offer-plan resources.",
                )
            self._resource_name = None
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
        self.fail(
            f"{where}.$schema",
            f"Unknown schema version '{version}' of {family} (known: {', '.join(known)}).",
        )
        return False

    # ---- private offer ------------------------------------------------------------------

    def offer(self, res: dict[str, Any], where: str) -> None:
        kind = normalize_type(res.get("privateOfferType"))
        self.string(
            res,
            "privateOfferType",
            where,
            required=True,
            enum=(*OFFER_TYPES, "multiPartyPromotionChannelPartner"),
        )
        if kind not in OFFER_TYPES:
            return
        partner_view = kind == "multipartyPromotionChannelPartner"
        self.obj(res, where, ALLOWED[kind])
        self.string(res, "resourceName", where, min_len=1, max_len=50)
        self.string(res, "id", where, pattern=OFFER_ID_RE)
        self.string(
            res,
            "name",
            where,
            required=True,
            max_len=128,
            pattern=NAME_PARTNER_RE if partner_view else NAME_RE,
            min_len=1,
        )
        state = self.string(res, "state", where, required=True, enum=STATES)
        self.string(res, "eTag", where)
        if state in ("withdrawn", "deleted"):
            if "id" not in res:
                self.fail(f"{where}.id", f"'id' is required to set state '{state}'.")
            return  # a withdraw/delete body only names the offer
        self.boolean(res, "variableStartDate", where)
        self.boolean(res, "customerContractRenewal", where)
        for key in ("start", "end", "acceptBy"):
            self.date(res, key, where)
        if res.get("variableStartDate") is True and res.get("start") is not None:
            self.fail(f"{where}.start", "'start' must not be set when 'variableStartDate' is true.")
        if (
            res.get("variableStartDate") is not True
            and res.get("start") is None
            and not partner_view
        ):
            self.fail(f"{where}.start", "'start' is required unless 'variableStartDate' is true.")
        self.string(res, "offerPricingType", where, enum=PRICING_TYPES)
        self.string(res, "preparedBy", where, pattern=EMAIL_RE)
        self.string(res, "notes", where, max_len=60)
        self.string(res, "termsAndConditionsDocSasUrl", where, pattern=SAS_RE)
        contacts = self.array(res, "notificationContacts", where, max_items=5) or []
        for i, contact in enumerate(contacts):
            if not isinstance(contact, str) or not EMAIL_RE.match(contact):
                self.fail(
                    f"{where}.notificationContacts[{i}]", f"'{contact}' is not an email address."
                )
        for key in ("termsAndConditionsDocs", "originatorTermsAndConditionsDocs"):
            docs = self.array(res, key, where, max_items=5) or []
            for i, doc in enumerate(docs):
                w = f"{where}.{key}[{i}]"
                if self.obj(
                    doc,
                    w,
                    {"sasUrl", "fileName", "customerFacingDocumentName"},
                    ("sasUrl", "fileName"),
                ):
                    self.string(doc, "sasUrl", w, pattern=SAS_RE)
                    self.string(doc, "fileName", w, max_len=255)
                    self.string(doc, "customerFacingDocumentName", w, max_len=255)
        if "upgradedFrom" in res and self.obj(
            res["upgradedFrom"], f"{where}.upgradedFrom", {"id", "name"}, ("id",)
        ):
            self.string(res["upgradedFrom"], "id", f"{where}.upgradedFrom", pattern=OFFER_ID_RE)
        self.beneficiaries(res, kind, where)
        partners = self.array(res, "partners", where, max_items=1) or []
        for i, partner in enumerate(partners):
            w = f"{where}.partners[{i}]"
            if self.obj(partner, w, {"id", "partnerName", "location"}, ("id",)):
                self.string(partner, "id", w, pattern=PARTNER_ID_RE)
                self.string(partner, "partnerName", w)
                self.string(partner, "location", w)
        pricing_key = "originatorPricing" if partner_view else "pricing"
        entries = self.array(res, pricing_key, where, max_items=10) or []
        pricing_type = res.get("offerPricingType", "editExistingOfferPricingOnly")
        for i, entry in enumerate(entries):
            self.pricing_entry(entry, f"{where}.{pricing_key}[{i}]", kind, pricing_type)
        if state == "live" and not partner_view:
            if res.get("end") is None:
                self.fail(f"{where}.end", "'end' is required when state is 'live'.")
            if kind != "cspPromotion" and res.get("acceptBy") is None:
                self.fail(f"{where}.acceptBy", "'acceptBy' is required when state is 'live'.")
            if not res.get("beneficiaries"):
                self.fail(
                    f"{where}.beneficiaries",
                    "At least one beneficiary is required when state is 'live'.",
                )
            if not entries:
                self.fail(
                    f"{where}.pricing",
                    "At least one pricing entry is required when state is 'live'.",
                )
        if kind == "multipartyPromotionOriginator" and state == "live" and not partners:
            self.fail(
                f"{where}.partners", "A multiparty offer needs its selling partner in 'partners'."
            )

    def beneficiaries(self, res: dict[str, Any], kind: str, where: str) -> None:
        max_items = 150 if kind == "cspPromotion" else 1
        items = self.array(res, "beneficiaries", where, max_items=max_items) or []
        for i, item in enumerate(items):
            w = f"{where}.beneficiaries[{i}]"
            if not self.obj(item, w, {"id", "description", "beneficiaryRecipients"}, ("id",)):
                continue
            if kind == "cspPromotion":
                self.string(item, "id", w, pattern=GUID_RE)
            else:
                self.string(item, "id", w, pattern=CUSTOMER_BENEFICIARY_RE)
            self.string(item, "description", w, max_len=256)
            recipients = self.array(item, "beneficiaryRecipients", w, max_items=25) or []
            expected = "cspCustomer" if kind == "cspPromotion" else "billingGroup"
            for j, recipient in enumerate(recipients):
                rw = f"{w}.beneficiaryRecipients[{j}]"
                if self.obj(recipient, rw, {"id", "recipientType"}, ("id", "recipientType")):
                    self.string(recipient, "id", rw)
                    self.string(recipient, "recipientType", rw, enum=(expected,))

    def pricing_entry(self, entry: Any, where: str, kind: str, pricing_type: str) -> None:
        allowed = set(PRICING_ENTRY_FIELDS)
        if kind == "multipartyPromotionChannelPartner":
            allowed.add("markupPercentage")
        if not self.obj(entry, where, allowed, ("product",)):
            return
        self.string(entry, "product", where, pattern=PRODUCT_RE)
        self.string(entry, "plan", where, pattern=PLAN_RE)
        self.string(entry, "basePlan", where, pattern=PLAN_RE)
        discount = self.string(
            entry, "discountType", where, required=True, enum=("percentage", "absolute")
        )
        if "markupPercentage" in entry:
            self.number(
                entry, "markupPercentage", where, minimum=0, maximum=100, exclusive_min=True
            )
        if discount == "percentage":
            self.number(
                entry, "discountPercentage", where, required=True, minimum=0.01, maximum=100
            )
            if "priceDetails" in entry:
                self.fail(
                    f"{where}.priceDetails",
                    "'priceDetails' is only allowed with discountType 'absolute'.",
                )
        elif discount == "absolute":
            if "discountPercentage" in entry:
                self.fail(
                    f"{where}.discountPercentage",
                    "'discountPercentage' is only allowed with discountType 'percentage'.",
                )
            details = entry.get("priceDetails")
            if details is None:
                self.fail(
                    f"{where}.priceDetails",
                    "'priceDetails' is required with discountType 'absolute'.",
                )
            elif isinstance(details, str):
                if not PRICE_ID_RE.match(details):
                    self.fail(
                        f"{where}.priceDetails",
                        f"'{details}' is not a price-and-availability-private-offer-plan durable "
                        "id.",
                    )
            elif self.obj(details, f"{where}.priceDetails", {"resourceName"}, ("resourceName",)):
                self.string(details, "resourceName", f"{where}.priceDetails", min_len=1, max_len=50)
        if pricing_type == "editExistingOfferPricingOnly":
            for key in ("basePlan", "newPlanDetails"):
                if key in entry:
                    self.fail(
                        f"{where}.{key}",
                        f"'{key}' is not used with offerPricingType "
                        "'editExistingOfferPricingOnly'.",
                    )
            if discount == "absolute" and "plan" not in entry:
                self.fail(f"{where}.plan", "'plan' is required for an absolute price.")
        elif pricing_type in (
            "saasNewCustomizedPlans",
            "vmSoftwareReservations",
            "newCustomizedPlans",
        ):
            if "plan" in entry:
                self.fail(
                    f"{where}.plan",
                    f"Use 'basePlan', not 'plan', with offerPricingType '{pricing_type}'.",
                )
            if "basePlan" not in entry:
                self.fail(
                    f"{where}.basePlan",
                    f"'basePlan' is required with offerPricingType '{pricing_type}'.",
                )
            if discount != "absolute" and kind != "multipartyPromotionChannelPartner":
                self.fail(
                    f"{where}.discountType",
                    f"offerPricingType '{pricing_type}' needs absolute prices.",
                )
            details = entry.get("newPlanDetails")
            if pricing_type == "vmSoftwareReservations":
                if isinstance(details, dict) and ("name" in details or "description" in details):
                    self.fail(
                        f"{where}.newPlanDetails",
                        "newPlanDetails is generated by the system for vmSoftwareReservations.",
                    )
            elif details is None:
                self.fail(
                    f"{where}.newPlanDetails",
                    f"'newPlanDetails' is required with offerPricingType '{pricing_type}'.",
                )
            elif self.obj(
                details, f"{where}.newPlanDetails", {"name", "description", "id"}, ("name",)
            ):
                self.string(details, "name", f"{where}.newPlanDetails", min_len=1, max_len=200)
                self.string(details, "description", f"{where}.newPlanDetails", max_len=2000)

    # ---- absolute price resource --------------------------------------------------------

    def price(self, res: dict[str, Any], where: str) -> None:
        self.obj(res, where, PRICE_FIELDS, ("product", "offerPricingType"))
        if "id" not in res:
            self.string(res, "resourceName", where, required=True, min_len=1, max_len=50)
        self.string(res, "id", where, pattern=PRICE_ID_RE)
        self.string(res, "product", where, pattern=PRODUCT_RE)
        self.string(res, "plan", where, required=True, pattern=PLAN_RE)
        pricing_type = self.string(res, "offerPricingType", where, enum=PRICING_TYPES)
        has_pricing, has_reservation = "pricing" in res, "softwareReservation" in res
        if has_pricing == has_reservation:
            self.fail(where, "Exactly one of 'pricing' and 'softwareReservation' is required.")
        if has_reservation and pricing_type != "vmSoftwareReservations":
            self.fail(
                f"{where}.softwareReservation",
                "'softwareReservation' is only for offerPricingType 'vmSoftwareReservations'.",
            )
        if has_pricing and pricing_type == "vmSoftwareReservations":
            self.fail(
                f"{where}.pricing",
                "offerPricingType 'vmSoftwareReservations' takes 'softwareReservation'.",
            )
        if has_pricing:
            self.pricing_block(res["pricing"], f"{where}.pricing")
        if has_reservation:
            self.reservation(res["softwareReservation"], f"{where}.softwareReservation")

    def term(self, value: Any, where: str) -> None:
        if self.obj(value, where, {"type", "value"}, ("type", "value")):
            self.string(value, "type", where, enum=TERM_TYPES)
            self.number(value, "value", where, minimum=1, maximum=5)

    def pricing_block(self, value: Any, where: str) -> None:
        if not self.obj(value, where, {"recurrentPrice", "customMeters"}):
            return
        if "recurrentPrice" not in value and "customMeters" not in value:
            self.fail(where, "A price needs 'recurrentPrice' and/or 'customMeters'.")
        recurrent = value.get("recurrentPrice")
        if recurrent is not None:
            w = f"{where}.recurrentPrice"
            if self.obj(
                recurrent,
                w,
                {"recurrentPriceMode", "priceInputOption", "userLimits", "prices"},
                ("priceInputOption", "prices"),
            ):
                self.string(recurrent, "recurrentPriceMode", w, enum=("flatRate", "perUser"))
                self.string(recurrent, "priceInputOption", w, enum=("usd",))
                if "userLimits" in recurrent and self.obj(
                    recurrent["userLimits"], f"{w}.userLimits", {"min", "max"}, ("min", "max")
                ):
                    self.number(recurrent["userLimits"], "min", f"{w}.userLimits", minimum=1)
                    self.number(recurrent["userLimits"], "max", f"{w}.userLimits", minimum=1)
                prices = self.array(recurrent, "prices", w, min_items=1) or []
                for i, price in enumerate(prices):
                    pw = f"{w}.prices[{i}]"
                    if self.obj(
                        price,
                        pw,
                        {"billingTerm", "paymentOption", "pricePerPaymentInUsd"},
                        ("billingTerm", "pricePerPaymentInUsd"),
                    ):
                        self.term(price["billingTerm"], f"{pw}.billingTerm")
                        if "paymentOption" in price:
                            self.term(price["paymentOption"], f"{pw}.paymentOption")
                        self.number(price, "pricePerPaymentInUsd", pw, minimum=0)
        meters = value.get("customMeters")
        if meters is not None:
            w = f"{where}.customMeters"
            if self.obj(meters, w, {"priceInputOption", "meters"}, ("priceInputOption", "meters")):
                self.string(meters, "priceInputOption", w, enum=("usd",))
                table = meters.get("meters")
                if not isinstance(table, dict):
                    self.fail(f"{w}.meters", "'meters' must be an object keyed by meter id.")
                    return
                for meter_id, meter in table.items():
                    mw = f"{w}.meters.{meter_id}"
                    if not self.obj(meter, mw, {"pricePerPaymentInUsd", "includedQuantities"}):
                        continue
                    if ("pricePerPaymentInUsd" in meter) == ("includedQuantities" in meter):
                        self.fail(
                            mw,
                            "A meter takes either 'pricePerPaymentInUsd' or 'includedQuantities'.",
                        )
                    self.number(meter, "pricePerPaymentInUsd", mw, minimum=0)
                    for j, quantity in enumerate(
                        self.array(meter, "includedQuantities", mw, min_items=1) or []
                    ):
                        qw = f"{mw}.includedQuantities[{j}]"
                        if self.obj(
                            quantity,
                            qw,
                            {"billingTerm", "quantity", "isInfinite"},
                            ("billingTerm",),
                        ):
                            self.term(quantity["billingTerm"], f"{qw}.billingTerm")
                            self.number(quantity, "quantity", qw, minimum=0)
                            self.boolean(quantity, "isInfinite", qw)
                            if (
                                quantity.get("isInfinite") is not True
                                and "quantity" not in quantity
                            ):
                                self.fail(
                                    f"{qw}.quantity",
                                    "'quantity' is required unless 'isInfinite' is true.",
                                )

    def reservation(self, value: Any, where: str) -> None:
        if not self.obj(
            value,
            where,
            {"reservationDuration", "paymentSchedule", "vmPrices"},
            ("reservationDuration", "paymentSchedule", "vmPrices"),
        ):
            return
        self.term(value["reservationDuration"], f"{where}.reservationDuration")
        self.term(value["paymentSchedule"], f"{where}.paymentSchedule")
        prices = value["vmPrices"]
        if not isinstance(prices, dict) or not prices:
            self.fail(
                f"{where}.vmPrices", "'vmPrices' must be a non-empty object keyed by VM size."
            )
            return
        for size, price in prices.items():
            w = f"{where}.vmPrices.{size}"
            if self.obj(
                price,
                w,
                {"quantity", "unitPricePerPaymentPeriodInUsd"},
                ("quantity", "unitPricePerPaymentPeriodInUsd"),
            ):
                self.number(price, "quantity", w, minimum=0, exclusive_min=True)
                self.number(price, "unitPricePerPaymentPeriodInUsd", w, minimum=0)


def check_configure(body: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(resources, findings) for a configure body; any finding means HTTP 400."""
    checker = Checker()
    resources = checker.envelope(body)
    return resources, checker.findings
