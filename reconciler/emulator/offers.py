"""Private-offer resources in a job: create, or dispatch an update to its owner or partner.

A part of the engine (see :mod:`reconciler.emulator.engine`): it calls the lifecycle (an
update, publishing), the offer rules (a new offer's fields), the views (roles, the answer),
the catalogue lookup (an upgrade's plans), the clock and the store it is given.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from reconciler.emulator.base import (
    Clock,
    JobContext,
    RuleError,
    _detail,
    user_fields,
)
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.lifecycle import Lifecycle
from reconciler.emulator.lookup import CatalogueLookup
from reconciler.emulator.offer_rules import OfferRules
from reconciler.emulator.store import Store
from reconciler.emulator.versions import NEWEST
from reconciler.emulator.views import Views
from reconciler.emulator.vocabulary import (
    CHANNEL,
    ORIGINATOR,
    normalize_type,
)


class Offers:
    """A private-offer resource of a job: a new offer, or an update routed by the sender's role."""

    def __init__(
        self,
        config: EmulatorConfig,
        store: Store,
        clock: Clock,
        lookup: CatalogueLookup,
        rules: OfferRules,
        views: Views,
        lifecycle: Lifecycle,
    ) -> None:
        self._config = config
        self._store = store
        self._clock = clock
        self._lookup = lookup
        self._rules = rules
        self._views = views
        self._lifecycle = lifecycle

    def apply(self, ctx: JobContext, res: dict[str, Any]) -> dict[str, Any]:
        kind = normalize_type(res["privateOfferType"])
        target = res["state"]
        record: dict[str, Any] | None
        if not res.get("id") and kind == CHANNEL:
            res = self._partner_target(ctx, res)
        if not res.get("id"):
            record = self._create(ctx, kind, res)
        else:
            guid = str(res["id"]).split("/", 1)[1]
            record = self._store.get_offer(guid)
            if record is None or self._views.role(record, ctx.account.name) is None:
                raise RuleError("resourceNotFound", f"Private offer '{res['id']}' does not exist.")
            if record["state"] == "deleted":
                raise RuleError("invalidState", f"Private offer '{res['id']}' has been deleted.")
            etag = res.get("eTag")
            if etag is None and self._config.require_etag:
                raise RuleError(
                    "conflict",
                    "An eTag is required to update a private offer.",
                    [_detail("invalidRequest", "Send the eTag of the version you read.", "eTag")],
                )
            if etag is not None and etag != record["eTag"]:
                raise RuleError(
                    "conflict",
                    "The private offer was modified since it was read (eTag mismatch).",
                    [
                        _detail(
                            "conflict",
                            f"Current eTag is {record['eTag']}, the request has {etag}.",
                            "eTag",
                        )
                    ],
                )
            if self._views.role(record, ctx.account.name) == "partner":
                self._lifecycle.partner_update(ctx, record, kind, target, res)
            else:
                self._lifecycle.owner_update(ctx, record, kind, target, res)
        self._store.put_offer(record["guid"], record)
        # Kept at the newest version: GET configure/{jobId} answers it at its own $version.
        return self._views.offer_view(record, ctx.account.name, NEWEST)

    def _upgrade(self, ctx: JobContext, user: dict[str, Any]) -> dict[str, Any]:
        """An upgrade names an offer of this account; "pricing given in the request overrides
        the original per product/plan; anything not given carries over" (docs/api-unknowns.md)."""
        ref = user["upgradedFrom"]
        offer_id = str(ref.get("id", "")) if isinstance(ref, dict) else ""
        original = self._store.get_offer(offer_id.split("/", 1)[-1])
        if (
            original is None
            or original["owner"] != ctx.account.name
            or (original["state"] == "deleted")
        ):
            raise RuleError(
                "resourceNotFound",
                f"upgradedFrom names private offer '{offer_id}', which does not exist.",
            )
        if not original.get("accepted") and self._config.upgrade_source == "accepted":
            # "This allows you to upgrade an existing accepted private offer" (Partner
            # Center FAQ, docs/api-unknowns.md); the API page is silent, so: a setting.
            raise RuleError(
                "invalidState",
                f"upgradedFrom names private offer '{offer_id}', which its customer has not "
                "accepted: it cannot be upgraded.",
                [
                    _detail(
                        "invalidState",
                        "upgradedFrom.id: only an accepted private offer can be upgraded.",
                        "upgradedFrom.id",
                    )
                ],
            )

        def key(entry: dict[str, Any]) -> tuple[object, str]:
            # either name of a plan (durable or external id) is the same plan
            product = str(entry.get("product", ""))
            return product, self._lookup.plan_external_id(product, str(entry.get("plan", "")))

        given = list(user.get("pricing") or [])
        keys = {key(e) for e in given}
        kept = [e for e in original["fields"].get("pricing") or [] if key(e) not in keys]
        return {**user, "pricing": [*given, *copy.deepcopy(kept)]}

    def _partner_target(self, ctx: JobContext, res: dict[str, Any]) -> dict[str, Any]:
        """The documented partner completion sends no ``id``, only the ``eTag`` it read
        (docs/api-unknowns.md): the partner's offer with that eTag is the one completed."""
        etag = res.get("eTag")
        if etag is None:
            return res
        for _, record in self._store.list_offers(ctx.account.name, 0, 1_000_000):
            if (
                record.get("eTag") == etag
                and self._views.role(record, ctx.account.name) == "partner"
            ):
                return {**res, "id": record["id"]}
        return res

    def _create(self, ctx: JobContext, kind: str, res: dict[str, Any]) -> dict[str, Any]:
        target = res["state"]
        if kind == CHANNEL:
            raise RuleError(
                "invalidRequest",
                "A selling partner cannot create a multiparty private offer: the originator "
                "creates it and the partner completes it by id.",
            )
        if target == "draft" and self._config.drafts == "refused":
            # The 2022 API always published on create (docs/api-unknowns.md, drafts
            # through the API); a setting.
            raise RuleError(
                "invalidState",
                "Private offers cannot be created as drafts: create it with state 'live'.",
            )
        if target not in ("draft", "live"):
            raise RuleError(
                "invalidState",
                f"A new private offer must be created as 'draft' or 'live', not '{target}'.",
            )
        user = user_fields(res)
        if "upgradedFrom" in user:
            user = self._upgrade(ctx, user)
        fields = self._rules.validate_fields(ctx, kind, user)
        guid = str(uuid.uuid4())
        record: dict[str, object] = {
            "guid": guid,
            "id": f"private-offer/{guid}",
            "owner": ctx.account.name,
            "type": kind,
            "state": "draft",
            "accepted": False,
            "fields": fields,
        }
        if kind == ORIGINATOR:
            partner = (
                self._config.account_by_partner_id(fields["partners"][0]["id"])
                if fields.get("partners")
                else None
            )
            record["partner"] = {
                "account": partner.name if partner else None,
                "visible": False,
                "state": None,
                "fields": {},
                "markups": [],
            }
        if target == "live":
            self._lifecycle.publish(record)
        self._clock.touch(record)
        return record
