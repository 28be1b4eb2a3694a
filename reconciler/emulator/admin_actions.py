"""What the emulator's controls do behind the API's back: a customer accepts, an offer drifts,
the selling partner withdraws.

A part of the engine (see :mod:`reconciler.emulator.engine`): it calls only the store and the
clock (touch) it is given.
"""

from __future__ import annotations

from reconciler.emulator.base import Clock, RuleError
from reconciler.emulator.store import Store


class AdminActions:
    """The world outside the API acting on stored offers (the ``/_emulator/`` controls)."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def accept(self, guid: str) -> dict[str, object]:
        record = self._store.get_offer(guid)
        if record is None:
            raise RuleError("notFound", f"Private offer '{guid}' does not exist.")
        partner = record.get("partner")
        customer_live = record["state"] == "live" and (
            partner is None or partner["state"] == "live"
        )
        if not customer_live:
            raise RuleError(
                "invalidState", "Only an offer that is live for the customer can be accepted."
            )
        record["accepted"] = True
        self._clock.touch(record)
        self._store.put_offer(guid, record)
        return record

    def edit(
        self, guid: str, patch: dict[str, object], state: str | None = None
    ) -> dict[str, object]:
        """Change an offer behind the API's back (drift): None removes a field."""
        record = self._store.get_offer(guid)
        if record is None:
            raise RuleError("notFound", f"Private offer '{guid}' does not exist.")
        for key, value in patch.items():
            if value is None:
                record["fields"].pop(key, None)
            else:
                record["fields"][key] = value
        if state is not None:
            record["state"] = state
        self._clock.touch(record)
        self._store.put_offer(guid, record)
        return record

    def partner_withdraw(self, guid: str) -> dict[str, object]:
        """The selling partner withdraws its published view (what its API call would do)."""
        record = self._store.get_offer(guid)
        if record is None:
            raise RuleError("notFound", f"Private offer '{guid}' does not exist.")
        partner = record.get("partner")
        if partner is None or partner.get("state") != "live":
            raise RuleError(
                "invalidState", "Only a multiparty offer the partner published can be withdrawn."
            )
        if record.get("accepted"):
            raise RuleError(
                "invalidState", "The customer accepted this private offer: it cannot be withdrawn."
            )
        partner["state"] = "withdrawn"
        self._clock.touch(record)
        self._store.put_offer(guid, record)
        return record
