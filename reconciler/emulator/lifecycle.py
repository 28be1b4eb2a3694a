"""Lifecycle of a private offer: publish, edit, withdraw, delete, partner completion.

A part of the engine (see :mod:`reconciler.emulator.engine`): it calls the offer rules (an
edit's fields), the views (what the partner read) and the clock (touch) it is given.
"""

from __future__ import annotations

import copy
from typing import Any

from reconciler.emulator.base import (
    Clock,
    JobContext,
    RuleError,
    _detail,
    user_fields,
)
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.offer_rules import OfferRules
from reconciler.emulator.store import Store
from reconciler.emulator.views import Views
from reconciler.emulator.vocabulary import (
    CHANNEL,
    CSP,
    ORIGINATOR,
    PARTNER_OWN,
    PARTNER_READ_ONLY,
)


class Lifecycle:
    """An update of an existing offer by its owner or its selling partner, and publishing."""

    def __init__(
        self,
        config: EmulatorConfig,
        store: Store,
        clock: Clock,
        rules: OfferRules,
        views: Views,
    ) -> None:
        self._config = config
        self._store = store
        self._clock = clock
        self._rules = rules
        self._views = views

    def _comparable(self, entry: dict[str, Any], strip: tuple[str, ...]) -> dict[str, Any]:
        """A pricing entry without *strip*, its plan ids in one form (both forms are sent)."""
        out = {k: v for k, v in entry.items() if k not in strip}
        for key in ("plan", "basePlan"):
            if isinstance(out.get(key), str) and "product" in out:
                plan = self._store.find_plan(str(out["product"]), out[key])
                out[key] = plan["planGuid"] if plan is not None else out[key]
        return out

    def publish(self, record: dict[str, Any]) -> None:
        record["state"] = "live"
        partner = record.get("partner")
        if partner is not None:
            if partner["account"] is None:
                raise RuleError(
                    "businessValidationError",
                    "A multiparty offer needs a selling partner before it goes live.",
                )
            partner["visible"] = True
            partner["state"] = "draft"
            partner["markups"] = [None] * len(record["fields"].get("pricing") or [])

    def owner_update(
        self,
        ctx: JobContext,
        record: dict[str, object],
        kind: str,
        target: str,
        res: dict[str, object],
    ) -> None:
        if kind != record["type"]:
            raise RuleError(
                "invalidRequest",
                f"privateOfferType cannot change from '{record['type']}' to '{kind}'.",
            )
        if record.get("accepted"):
            self._owner_accepted(ctx, record, target, res)
        elif target == "deleted":
            self._owner_delete(record, kind)
        elif target == "withdrawn":
            self._owner_withdraw(record, kind)
        else:
            self._owner_edit(ctx, record, kind, target, res)

    def _owner_accepted(
        self, ctx: JobContext, record: dict[str, object], target: str, res: dict[str, object]
    ) -> None:
        """An accepted offer is a contract: only re-sending it unchanged succeeds."""
        if target == "withdrawn":
            raise RuleError(
                "invalidState",
                "The customer accepted this private offer: it can no longer be withdrawn.",
            )
        if target == "live" and self._unchanged(ctx, record, res):
            return
        raise RuleError(
            "invalidState",
            "The customer accepted this private offer: it is a contract and cannot be changed.",
        )

    def _owner_delete(self, record: dict[str, Any], kind: str) -> None:
        """Only a draft (or withdrawn) offer is deleted; the partner's view goes with it."""
        state, partner = record["state"], record.get("partner")
        # Delete is documented "while it's still in draft state": a withdrawn CSP offer never
        # returns to draft, so its delete is refused unless the setting allows it.
        if state == "withdrawn" and kind == CSP and self._config.csp_withdrawn_delete == "refused":
            raise RuleError(
                "invalidState",
                "Only draft private offers can be deleted; a withdrawn CSP private offer "
                "stays withdrawn.",
            )
        if state not in ("draft", "withdrawn"):
            raise RuleError(
                "invalidState",
                f"Only draft private offers can be deleted; this one is '{state}' (withdraw "
                "it first).",
            )
        record["state"] = "deleted"
        if partner is not None:
            partner.update(visible=False, state=None)
        self._clock.touch(record)

    def _owner_withdraw(self, record: dict[str, Any], kind: str) -> None:
        """A live offer is withdrawn (back to draft, by the setting); again is a no-op."""
        state, partner = record["state"], record.get("partner")
        if state == "withdrawn" or (state == "draft" and record.get("withdrawn")):
            return
        if state != "live":
            raise RuleError(
                "invalidState",
                f"Only a live private offer can be withdrawn; this one is '{state}'.",
            )
        if kind == CSP and record.get("accepted"):
            raise RuleError(
                "invalidState",
                "A CSP partner has transacted this private offer: it can no longer be withdrawn.",
            )
        if partner is not None and partner["state"] == "live":
            raise RuleError(
                "invalidState",
                "The selling partner has published this multiparty offer; the partner must "
                "withdraw it before the originator can.",
            )
        # "a withdrawn offer goes back to Draft" (docs/api-unknowns.md); CSP offers cannot be
        # edited again, so they keep the withdrawn state.
        back_to_draft = self._config.withdrawn_state == "draft" and kind != CSP
        record["state"] = "draft" if back_to_draft else "withdrawn"
        record["withdrawn"] = True
        if partner is not None:
            partner.update(visible=False, state=None)
        self._clock.touch(record)

    def _owner_edit(
        self, ctx: JobContext, record: dict[str, Any], kind: str, target: str, res: dict[str, Any]
    ) -> None:
        """Target draft or live: an edit of the user-settable fields (a live offer is locked)."""
        state, partner = record["state"], record.get("partner")
        if state == "live":
            if target == "live" and self._unchanged(ctx, record, res):
                return
            if kind == CSP:
                raise RuleError(
                    "invalidState",
                    "A live CSP private offer cannot be edited or extended; create a new offer "
                    "instead.",
                )
            raise RuleError(
                "invalidState",
                "A live private offer is locked: withdraw it before editing (accepted offers "
                "cannot change).",
            )
        if state == "withdrawn" and kind == CSP:
            raise RuleError(
                "invalidState",
                "A CSP private offer cannot be edited after it went live; create a new offer "
                "instead.",
            )
        if target == "live":
            self._may_publish_again(record)
        fields = user_fields(res)
        if self._config.update_mode == "merge":
            fields = {**record["fields"], **fields}
        record["fields"] = self._rules.validate_fields(ctx, kind, fields)
        if kind == ORIGINATOR and partner is not None:
            partners = record["fields"].get("partners") or []
            account = self._config.account_by_partner_id(partners[0]["id"]) if partners else None
            partner["account"] = account.name if account else None
        record["state"] = "draft"
        if target == "live":
            self.publish(record)
        self._clock.touch(record)

    def _may_publish_again(self, record: dict[str, Any]) -> None:
        """The 2022 API's limits, each a setting (off by default): no publishing of an offer
        that was withdrawn, no publishing of a draft (docs/api-unknowns.md)."""
        if record.get("withdrawn") and self._config.republish == "refused":
            raise RuleError(
                "invalidState",
                "A withdrawn private offer cannot be published again: create a new offer.",
            )
        if not record.get("withdrawn") and self._config.drafts == "refused":
            raise RuleError(
                "invalidState",
                "Private offers cannot be published from a draft through the API: create it "
                "with state 'live'.",
            )

    def _unchanged(self, ctx: JobContext, record: dict[str, Any], res: dict[str, Any]) -> bool:
        try:
            fields = self._rules.validate_fields(ctx, record["type"], user_fields(res))
        except RuleError:
            return False
        return bool(fields == record["fields"])

    def partner_update(
        self, ctx: JobContext, record: dict[str, Any], kind: str, target: str, res: dict[str, Any]
    ) -> None:
        partner = record["partner"]
        if kind != CHANNEL:
            raise RuleError(
                "invalidRequest",
                "The selling partner updates a multiparty offer with privateOfferType "
                f"'{CHANNEL}'.",
            )
        if record.get("accepted"):
            raise RuleError(
                "invalidState",
                "The customer accepted this private offer: it can no longer change or be "
                "withdrawn.",
            )
        if target == "deleted":
            raise RuleError(
                "invalidRequest", "Only the originator can delete a multiparty private offer."
            )
        current = self._views.offer_view(record, ctx.account.name, ctx.version)
        markups = self._partner_markups(current, res, list(partner["markups"]))
        if target == "withdrawn":
            self._partner_withdraw(record)
            return
        own = {k: copy.deepcopy(res[k]) for k in PARTNER_OWN if k in res}
        if self._config.update_mode == "merge":
            own = {**partner["fields"], **own}
        if partner["state"] == "live":
            if target == "live" and own == partner["fields"] and markups == partner["markups"]:
                return
            raise RuleError(
                "invalidState",
                "The selling partner published this offer: withdraw it before editing.",
            )
        if target == "live":
            _ready_to_publish(own, markups)
        partner["fields"] = own
        partner["markups"] = markups
        partner["state"] = target
        self._clock.touch(record)

    def _partner_markups(
        self, current: dict[str, Any], res: dict[str, Any], markups: list[object]
    ) -> list[object]:
        """The markups the partner sends; any other change of the originator's part fails."""
        problems = []
        for key in PARTNER_READ_ONLY:
            if key in res and res[key] != current.get(key):
                problems.append(
                    _detail("invalidRequest", f"'{key}' is read-only for the selling partner.", key)
                )
        if "originatorPricing" in res:
            given = res["originatorPricing"]
            mine = current.get("originatorPricing") or []
            strip: tuple[str, ...] = ("markupPercentage", "productName", "planName")
            if current.get("offerPricingType") == "vmSoftwareReservations":
                # Generated by the service, "not applicable for the request body".
                strip += ("newPlanDetails",)
            if len(given) != len(mine):
                problems.append(
                    _detail(
                        "invalidRequest",
                        "originatorPricing entries cannot be added or removed by the selling "
                        "partner.",
                        "originatorPricing",
                    )
                )
            else:
                for i, (a, b) in enumerate(zip(given, mine, strict=True)):
                    if self._comparable(a, strip) != self._comparable(b, strip):
                        problems.append(
                            _detail(
                                "invalidRequest",
                                "Only markupPercentage can be set on an originatorPricing entry.",
                                f"originatorPricing[{i}]",
                            )
                        )
                markups = [entry.get("markupPercentage") for entry in given]
        if problems:
            raise RuleError(
                "businessValidationError", "The selling partner changed read-only fields.", problems
            )
        return markups

    def _partner_withdraw(self, record: dict[str, Any]) -> None:
        """The partner withdraws its published side; again is a no-op."""
        partner = record["partner"]
        state = partner["state"]
        if state == "withdrawn":
            return
        if state != "live":
            raise RuleError(
                "invalidState",
                f"Only a live private offer can be withdrawn; the partner's view is '{state}'.",
            )
        partner["state"] = "withdrawn"
        self._clock.touch(record)


def _ready_to_publish(own: dict[str, object], markups: list[object]) -> None:
    """The partner publishes only with preparedBy and a markup on every entry."""
    missing = []
    if not own.get("preparedBy"):
        missing.append(
            _detail(
                "businessValidationError",
                "The selling partner must provide preparedBy.",
                "preparedBy",
            )
        )
    for i, markup in enumerate(markups):
        if markup is None:
            missing.append(
                _detail(
                    "businessValidationError",
                    "markupPercentage is required on every originatorPricing entry.",
                    f"originatorPricing[{i}].markupPercentage",
                )
            )
    if missing:
        raise RuleError(
            "businessValidationError",
            "The offer is not ready to publish to the customer.",
            missing,
        )
