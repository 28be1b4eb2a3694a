"""Schema checks of a private-offer resource: fields per type, beneficiaries, pricing entries.

It calls only the shared :class:`FieldChecker` it is given (findings and primitives).
"""

from __future__ import annotations

from typing import Any

from reconciler.emulator.offer_fields import ALLOWED, OFFER_FIELDS
from reconciler.emulator.validation_base import (
    CUSTOMER_BENEFICIARY_RE,
    EMAIL_RE,
    GUID_RE,
    NAME_PARTNER_RE,
    NAME_RE,
    OFFER_ID_RE,
    PARTNER_ID_RE,
    PLAN_RE,
    PRICE_ID_RE,
    PRICING_ENTRY_FIELDS,
    PRODUCT_RE,
    SAS_RE,
    FieldChecker,
)
from reconciler.emulator.vocabulary import (
    CHANNEL,
    CHANNEL_CAPITAL_P,
    CSP,
    OFFER_TYPES,
    ORIGINATOR,
    STATES,
    normalize_type,
)


class OfferChecks:
    def __init__(self, check: FieldChecker) -> None:
        self.check = check  # the request's shared findings and primitive checks

    def table_fields(self, res: dict[str, object], where: str) -> None:
        """The checks of :data:`OFFER_FIELDS` (every field whose check is not by hand)."""
        for key, rule in OFFER_FIELDS.items():
            if rule.check == "boolean":
                self.check.boolean(res, key, where)
            elif rule.check == "date":
                self.check.date(res, key, where)
            elif rule.check == "string":
                self.check.string(
                    res, key, where, max_len=rule.max_len, pattern=rule.pattern, enum=rule.enum
                )

    def offer(self, res: dict[str, Any], where: str) -> None:
        kind = normalize_type(res.get("privateOfferType"))
        self.check.string(
            res,
            "privateOfferType",
            where,
            required=True,
            enum=(*OFFER_TYPES, CHANNEL_CAPITAL_P),
        )
        if kind not in OFFER_TYPES:
            return
        partner_view = kind == CHANNEL
        self.check.obj(res, where, ALLOWED[kind])
        self.check.string(res, "resourceName", where, min_len=1, max_len=50)
        self.check.string(res, "id", where, pattern=OFFER_ID_RE)
        self.check.string(
            res,
            "name",
            where,
            required=True,
            max_len=128,
            pattern=NAME_PARTNER_RE if partner_view else NAME_RE,
            min_len=1,
        )
        state = self.check.string(res, "state", where, required=True, enum=STATES)
        self.check.string(res, "eTag", where)
        if state in ("withdrawn", "deleted"):
            if "id" not in res:
                self.check.fail(f"{where}.id", f"'id' is required to set state '{state}'.")
            return  # a withdraw/delete body only names the offer
        self.table_fields(res, where)
        self.start_rule(res, where, partner_view)
        self.documents(res, where)
        self.beneficiaries(res, kind, where)
        partners = self.partners(res, where)
        pricing_key = "originatorPricing" if partner_view else "pricing"
        entries = self.check.array(res, pricing_key, where, max_items=10) or []
        pricing_type = res.get("offerPricingType", "editExistingOfferPricingOnly")
        for i, entry in enumerate(entries):
            self.pricing_entry(entry, f"{where}.{pricing_key}[{i}]", kind, pricing_type)
        if state == "live" and not partner_view:
            self.live_requirements(res, where, kind, bool(entries))
        if kind == ORIGINATOR and state == "live" and not partners:
            self.check.fail(
                f"{where}.partners", "A multiparty offer needs its selling partner in 'partners'."
            )

    def start_rule(self, res: dict[str, object], where: str, partner_view: bool) -> None:
        """``start`` goes with a fixed start date, never with ``variableStartDate: true``."""
        if res.get("variableStartDate") is True and res.get("start") is not None:
            self.check.fail(
                f"{where}.start", "'start' must not be set when 'variableStartDate' is true."
            )
        # A missing start is a failed job ("The start date should be defined"), not a 400.

    def documents(self, res: dict[str, Any], where: str) -> None:
        """Contacts, terms documents and the offer it upgrades from."""
        contacts = self.check.array(res, "notificationContacts", where, max_items=5) or []
        for i, contact in enumerate(contacts):
            if not isinstance(contact, str) or not EMAIL_RE.match(contact):
                self.check.fail(
                    f"{where}.notificationContacts[{i}]", f"'{contact}' is not an email address."
                )
        for key in ("termsAndConditionsDocs", "originatorTermsAndConditionsDocs"):
            docs = self.check.array(res, key, where, max_items=5) or []
            for i, doc in enumerate(docs):
                w = f"{where}.{key}[{i}]"
                if self.check.obj(
                    doc,
                    w,
                    {"sasUrl", "fileName", "customerFacingDocumentName"},
                    ("sasUrl", "fileName"),
                ):
                    self.check.string(doc, "sasUrl", w, pattern=SAS_RE)
                    self.check.string(doc, "fileName", w, max_len=255)
                    self.check.string(doc, "customerFacingDocumentName", w, max_len=255)
        if "upgradedFrom" in res and self.check.obj(
            res["upgradedFrom"], f"{where}.upgradedFrom", {"id", "name"}, ("id",)
        ):
            self.check.string(
                res["upgradedFrom"], "id", f"{where}.upgradedFrom", pattern=OFFER_ID_RE
            )

    def partners(self, res: dict[str, object], where: str) -> list[object]:
        """The selling partner of a multiparty offer (one at most)."""
        partners = self.check.array(res, "partners", where, max_items=1) or []
        for i, partner in enumerate(partners):
            w = f"{where}.partners[{i}]"
            if self.check.obj(partner, w, {"id", "partnerName", "location"}, ("id",)):
                self.check.string(partner, "id", w, pattern=PARTNER_ID_RE)
                self.check.string(partner, "partnerName", w)
                self.check.string(partner, "location", w)
        return partners

    def live_requirements(
        self, res: dict[str, object], where: str, kind: str, priced: bool
    ) -> None:
        """What a live offer must have: an end, an acceptBy, a beneficiary, a price."""
        if res.get("end") is None:
            self.check.fail(f"{where}.end", "'end' is required when state is 'live'.")
        if kind != CSP and res.get("acceptBy") is None:
            self.check.fail(f"{where}.acceptBy", "'acceptBy' is required when state is 'live'.")
        if not res.get("beneficiaries"):
            self.check.fail(
                f"{where}.beneficiaries",
                "At least one beneficiary is required when state is 'live'.",
            )
        if not priced:
            self.check.fail(
                f"{where}.pricing",
                "At least one pricing entry is required when state is 'live'.",
            )

    def beneficiaries(self, res: dict[str, object], kind: str, where: str) -> None:
        # "a maximum of 400 CSP partners tenants" (Partner Center UI page for CSP offers)
        max_items = 400 if kind == CSP else 1
        items = self.check.array(res, "beneficiaries", where, max_items=max_items) or []
        for i, item in enumerate(items):
            w = f"{where}.beneficiaries[{i}]"
            if not self.check.obj(item, w, {"id", "description", "beneficiaryRecipients"}, ("id",)):
                continue
            if kind == CSP:
                self.check.string(item, "id", w, pattern=GUID_RE)
            else:
                self.check.string(item, "id", w, pattern=CUSTOMER_BENEFICIARY_RE)
            self.check.string(item, "description", w, max_len=256)
            recipients = self.check.array(item, "beneficiaryRecipients", w, max_items=25) or []
            expected = "cspCustomer" if kind == CSP else "billingGroup"
            for j, recipient in enumerate(recipients):
                rw = f"{w}.beneficiaryRecipients[{j}]"
                if self.check.obj(recipient, rw, {"id", "recipientType"}, ("id", "recipientType")):
                    self.check.string(recipient, "id", rw)
                    self.check.string(recipient, "recipientType", rw, enum=(expected,))

    def pricing_entry(self, entry: Any, where: str, kind: str, pricing_type: str) -> None:
        allowed = set(PRICING_ENTRY_FIELDS)
        if kind == CHANNEL:
            allowed.add("markupPercentage")
        if not self.check.obj(entry, where, allowed, ("product",)):
            return
        self.check.string(entry, "product", where, pattern=PRODUCT_RE)
        self.check.string(entry, "plan", where, pattern=PLAN_RE)
        self.check.string(entry, "basePlan", where, pattern=PLAN_RE)
        discount = self.check.string(
            entry, "discountType", where, required=True, enum=("percentage", "absolute")
        )
        if "markupPercentage" in entry:
            self.check.number(
                entry, "markupPercentage", where, minimum=0, maximum=100, exclusive_min=True
            )
        self.discount_fields(entry, where, discount)
        self.pricing_type_fields(entry, where, kind, pricing_type, discount)

    def discount_fields(self, entry: dict[str, Any], where: str, discount: str | None) -> None:
        """A percentage, or an absolute price (inline, or the price resource's durable id)."""
        if discount == "percentage":
            self.check.number(
                entry, "discountPercentage", where, required=True, minimum=0.01, maximum=100
            )
            if "priceDetails" in entry:
                self.check.fail(
                    f"{where}.priceDetails",
                    "'priceDetails' is only allowed with discountType 'absolute'.",
                )
        elif discount == "absolute":
            if "discountPercentage" in entry:
                self.check.fail(
                    f"{where}.discountPercentage",
                    "'discountPercentage' is only allowed with discountType 'percentage'.",
                )
            details = entry.get("priceDetails")
            if details is None:
                self.check.fail(
                    f"{where}.priceDetails",
                    "'priceDetails' is required with discountType 'absolute'.",
                )
            elif isinstance(details, str):
                if not PRICE_ID_RE.match(details):
                    self.check.fail(
                        f"{where}.priceDetails",
                        f"'{details}' is not a price-and-availability-private-offer-plan durable "
                        "id.",
                    )
            elif self.check.obj(
                details, f"{where}.priceDetails", {"resourceName"}, ("resourceName",)
            ):
                self.check.string(
                    details, "resourceName", f"{where}.priceDetails", min_len=1, max_len=50
                )

    def pricing_type_fields(
        self, entry: dict[str, Any], where: str, kind: str, pricing_type: str, discount: str | None
    ) -> None:
        """What the offer's pricing type asks of an entry: a plan, or a base plan and new plan."""
        if pricing_type == "editExistingOfferPricingOnly":
            for key in ("basePlan", "newPlanDetails"):
                if key in entry:
                    self.check.fail(
                        f"{where}.{key}",
                        f"'{key}' is not used with offerPricingType "
                        "'editExistingOfferPricingOnly'.",
                    )
            if discount == "absolute" and "plan" not in entry:
                self.check.fail(f"{where}.plan", "'plan' is required for an absolute price.")
        elif pricing_type in (
            "saasNewCustomizedPlans",
            "vmSoftwareReservations",
            "newCustomizedPlans",
        ):
            if "plan" in entry:
                self.check.fail(
                    f"{where}.plan",
                    f"Use 'basePlan', not 'plan', with offerPricingType '{pricing_type}'.",
                )
            if "basePlan" not in entry:
                self.check.fail(
                    f"{where}.basePlan",
                    f"'basePlan' is required with offerPricingType '{pricing_type}'.",
                )
            if discount != "absolute" and kind != CHANNEL:
                self.check.fail(
                    f"{where}.discountType",
                    f"offerPricingType '{pricing_type}' needs absolute prices.",
                )
            details = entry.get("newPlanDetails")
            if pricing_type == "vmSoftwareReservations":
                if isinstance(details, dict) and ("name" in details or "description" in details):
                    self.check.fail(
                        f"{where}.newPlanDetails",
                        "newPlanDetails is generated by the system for vmSoftwareReservations.",
                    )
            elif details is None:
                self.check.fail(
                    f"{where}.newPlanDetails",
                    f"'newPlanDetails' is required with offerPricingType '{pricing_type}'.",
                )
            elif self.check.obj(
                details, f"{where}.newPlanDetails", {"name", "description", "id"}, ("name",)
            ):
                self.check.string(
                    details, "name", f"{where}.newPlanDetails", min_len=1, max_len=200
                )
                self.check.string(details, "description", f"{where}.newPlanDetails", max_len=2000)
