"""What each account sees of an offer: the originator's view, the selling partner's view.

A part of the engine (see :mod:`reconciler.emulator.engine`): it reads the store, the clock
(an offer past its acceptBy) and the version ceiling it is given; it changes nothing.
"""

from __future__ import annotations

from typing import Any

from reconciler.emulator.base import Ceiling, Clock
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.store import Store
from reconciler.emulator.versions import schema_url
from reconciler.emulator.vocabulary import (
    CUSTOMER,
)

# Fields absent from older private-offer schemas: customerContractRenewal is not in the
# 2023-07-15 schema and appears in the 2024-09-30 samples (docs/api-unknowns.md, seeds).
FIELDS_SINCE = {"customerContractRenewal": "2024-09-30"}


# The fields of a list item in the only public fixture of GET private-offer/query.
SUMMARY_FIELDS = ("id", "name", "privateOfferType", "state")


class Views:
    """What each account reads of an offer record, at the ``$version`` it asks for."""

    def __init__(
        self, config: EmulatorConfig, store: Store, clock: Clock, ceiling: Ceiling
    ) -> None:
        self._config = config
        self._store = store
        self._clock = clock
        self._ceiling = ceiling

    def list_item(self, record: dict[str, object], account: str, version: str) -> dict[str, object]:
        """One offer as the list shows it: the full view, or its summary (``list_shape``)."""
        view = self.offer_view(record, account, version)
        if self._config.list_shape == "summary":
            return {k: view[k] for k in SUMMARY_FIELDS if k in view}
        return view

    def detail_view(self, resource: dict[str, Any], version: str) -> dict[str, Any]:
        """A job's resource as ``GET configure/{jobId}`` answers it at ``$version=version``.

        The ceiling rule holds as on the other routes: the closest older schema, without the
        fields newer than it, and 400 below every version of the resource.
        """
        offer = "privateOfferType" in resource
        kind = "private-offer" if offer else "price-and-availability-private-offer-plan"
        capped = self._ceiling.capped(kind, version)
        out = {**resource, "$schema": schema_url(kind, capped)}
        for key, since in FIELDS_SINCE.items():
            if offer and capped < since:
                out.pop(key, None)
        return out

    def _awaiting(self, record: dict[str, Any]) -> str:
        """The subState of an offer out to its customer: accepted, waiting, or expired."""
        if record.get("accepted"):
            return "accepted"
        # "Your private offer expired before the customer accepted it" (docs/api-unknowns.md):
        # past its acceptBy nobody can accept it any more.
        accept_by = record["fields"].get("acceptBy")
        if (
            self._config.expired_sub_state == "expired"
            and isinstance(accept_by, str)
            and accept_by < self._clock.today().isoformat()
        ):
            return "expired"
        return "pendingAcceptance"

    def role(self, record: dict[str, Any], account: str) -> str | None:
        if record["owner"] == account:
            return "owner"
        partner = record.get("partner")
        if partner and partner.get("account") == account and partner.get("visible"):
            return "partner"
        return None

    def _names(self, entry: dict[str, Any]) -> dict[str, Any]:
        out = dict(entry)
        plan_ref = entry.get("plan") or entry.get("basePlan")
        names = self._store.aliases(entry["product"], str(plan_ref or ""))
        if names.product:
            out["productName"] = names.product_alias
            if names.plan:
                out["planName"] = names.plan_alias
        return out

    def _links(self, record: dict[str, Any]) -> list[dict[str, str]]:
        return [
            {
                "beneficiaryId": b["id"],
                "link": "https://portal.azure.com/#view/Microsoft_Azure_Marketplace/"
                f"PrivateOfferAcceptance.ReactView/privateOfferId/{record['guid']}",
            }
            for b in record["fields"].get("beneficiaries") or []
        ]

    def offer_view(self, record: dict[str, Any], account: str, version: str) -> dict[str, Any]:
        version = self._ceiling.capped("private-offer", version)
        role = self.role(record, account)
        view: dict[str, object] = {
            "$schema": schema_url("private-offer", version),
            "id": record["id"],
        }
        partner = record.get("partner")
        if role == "partner" and partner is not None:
            customer_live = self._partner_view(view, record, partner)
        else:
            customer_live = self._owner_view(view, record, partner)
        for key, since in FIELDS_SINCE.items():
            # A field newer than the version asked for is not in that version's schema.
            if key in view and version < since:
                del view[key]
        view["eTag"] = record["eTag"]
        view["lastModified"] = record["lastModified"]
        if customer_live:
            view["acceptanceLinks"] = self._links(record)
        return view

    def _partner_view(
        self, view: dict[str, object], record: dict[str, Any], partner: dict[str, Any]
    ) -> bool:
        """The selling partner's view: the originator's part read-only, its own beside it."""
        fields = record["fields"]
        spelling = self._config.channel_partner_spelling
        view.update(name=fields.get("name"), privateOfferType=spelling, state=partner["state"])
        customer_live: bool = partner["state"] == "live"
        if customer_live:
            view["subState"] = self._awaiting(record)
        for key in (
            "offerPricingType",
            "customerContractRenewal",
            "variableStartDate",
            "start",
            "end",
            "acceptBy",
        ):
            if key in fields:
                view[key] = fields[key]
        for key in ("preparedBy", "notificationContacts"):
            if key in partner["fields"]:
                view[key] = partner["fields"][key]
        if "termsAndConditionsDocs" in fields:
            view["originatorTermsAndConditionsDocs"] = fields["termsAndConditionsDocs"]
        if "termsAndConditionsDocs" in partner["fields"]:
            view["termsAndConditionsDocs"] = partner["fields"]["termsAndConditionsDocs"]
        for key in ("beneficiaries", "partners"):
            if key in fields:
                view[key] = fields[key]
        pricing = []
        for i, entry in enumerate(fields.get("pricing") or []):
            item = self._names(entry)
            markup = partner["markups"][i] if i < len(partner["markups"]) else None
            if markup is not None:
                item["markupPercentage"] = markup
            pricing.append(item)
        view["originatorPricing"] = pricing
        if "notes" in partner["fields"]:
            view["notes"] = partner["fields"]["notes"]
        return customer_live

    def _owner_view(
        self, view: dict[str, object], record: dict[str, Any], partner: dict[str, Any] | None
    ) -> bool:
        """The originator's (or a customer or CSP offer's owner's) view: its fields as stored."""
        fields = record["fields"]
        customer_live = False
        view.update(name=fields.get("name"), privateOfferType=record["type"], state=record["state"])
        if record["state"] == "live" and record["type"] == CUSTOMER:
            view["subState"] = self._awaiting(record)
            customer_live = True
        if record["state"] == "live" and partner is not None:
            customer_live = partner["state"] == "live"
            if customer_live:
                view["subState"] = self._awaiting(record)
            else:
                view["subState"] = "pendingPartnerAction"
        for key, value in fields.items():
            if key == "name":
                continue
            view[key] = [self._names(e) for e in value] if key == "pricing" else value
        return customer_live
