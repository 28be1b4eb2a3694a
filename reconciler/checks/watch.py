"""Expiry and acceptance watch of the scheduled drift run: offers about to lapse, ended, accepted.

From the live offers the drift run already lists (no extra request):

* ``expiring``  -- live, not accepted, ``acceptBy`` within the next N days (default 14,
  ``plan.watch-days``): the customer must accept on or before that day or the offer expires;
* ``lapsed``    -- live, not accepted, ``acceptBy`` already past;
* ``ended``     -- live with an ``end`` already past;
* ``accepted``  -- accepted since the last run.

"Since the last run" needs memory, and it is kept in one small JSON file, the *watch
state* (``plan.watch-state``, default ``.reconciler/watch-state.json``, next to the apply
journal): the ids of the offers seen accepted. Each drift run reads it, reports the
acceptances it does not list, and writes it back. A run without the file reports no
acceptance and says so (``first_run``); a scheduled workflow keeps the file between runs
by caching the ``.reconciler`` folder.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reconciler.errors import ReconcilerError
from reconciler.offers.domain import OfferState, is_accepted, offer_key

WatchSchema = Literal["offers-watch/1"]
WATCH_SCHEMA: WatchSchema = "offers-watch/1"
STATE_SCHEMA = "offers-watch-state/1"


class WatchedOffer(BaseModel):
    id: str
    name: str
    kind: str | None = None
    sub_state: str | None = None
    accept_by: dt.date | None = None
    end: dt.date | None = None
    days_left: int | None = None  # until acceptBy (expiring) or since end (negative, ended)
    managed: bool = False  # a file declares it


class WatchState(BaseModel):
    updated_at: str
    accepted: list[str] = []  # ids of the offers seen accepted


class WatchReport(BaseModel):
    """The watch section of a drift report (``offers-watch/1``)."""

    # ``schema`` would shadow a BaseModel method; the file spells it ``schema``.
    model_config = ConfigDict(
        validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )

    version: WatchSchema = Field(default=WATCH_SCHEMA, alias="schema")
    today: dt.date
    days: int
    state_file: str
    first_run: bool = False
    expiring: list[WatchedOffer] = []
    lapsed: list[WatchedOffer] = []
    ended: list[WatchedOffer] = []
    accepted: list[WatchedOffer] = []

    @property
    def has_news(self) -> bool:
        return bool(self.expiring or self.lapsed or self.ended or self.accepted)

    def to_data(self) -> dict[str, object]:
        return self.model_dump(mode="json")


def load_state(path: Path) -> WatchState | None:
    """The previous run's state; None when there is none yet. A broken file is an error."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ReconcilerError(f"{path}: cannot read the watch state: {exc.strerror}") from None
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("schema") != STATE_SCHEMA:
            raise ValueError(f"expected schema {STATE_SCHEMA!r}")
        return WatchState.model_validate({k: v for k, v in data.items() if k != "schema"})
    except (ValueError, ValidationError) as exc:
        raise ReconcilerError(
            f"{path}: not a watch state file ({exc.__class__.__name__}); delete it to start over"
        ) from None


def save_state(path: Path, state: WatchState) -> None:
    """Write atomically: a killed run leaves the old state, never half a file."""
    data = {"schema": STATE_SCHEMA, "updated_at": state.updated_at, "accepted": state.accepted}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise ReconcilerError(f"{path}: cannot write the watch state: {exc.strerror}") from None


def watch(
    offers: Iterable[Mapping[str, object]],
    *,
    today: dt.date,
    days: int,
    previous: WatchState | None,
    managed: Callable[[dict[str, object]], bool],
    state_file: str,
) -> tuple[WatchReport, WatchState]:
    """Sort the live offers into the watch lists; the new state to remember."""
    report = WatchReport(today=today, days=days, state_file=state_file, first_run=previous is None)
    seen = {offer_key(i) for i in previous.accepted} if previous else set()
    accepted_now: list[str] = []
    for offer in offers:
        offer_id = str(offer.get("id") or "")
        if not offer_id or offer.get("state") != OfferState.LIVE:
            continue
        sub_state = offer.get("subState")
        accept_by, end = as_date(offer.get("acceptBy")), as_date(offer.get("end"))
        item = WatchedOffer(
            id=offer_id,
            name=str(offer.get("name") or ""),
            kind=offer.get("privateOfferType"),
            sub_state=sub_state,
            accept_by=accept_by,
            end=end,
            managed=managed(dict(offer)),
        )
        if is_accepted(offer):
            accepted_now.append(offer_id)
            if previous is not None and offer_key(offer_id) not in seen:
                report.accepted.append(item)
        elif accept_by is not None and not (end is not None and end < today):
            left = (accept_by - today).days
            if 0 <= left <= days:
                report.expiring.append(item.model_copy(update={"days_left": left}))
            elif left < 0:
                report.lapsed.append(item.model_copy(update={"days_left": left}))
        if end is not None and end < today:
            report.ended.append(item.model_copy(update={"days_left": (end - today).days}))
    for group in (report.expiring, report.lapsed, report.ended, report.accepted):
        group.sort(key=lambda o: (o.accept_by or o.end or today, o.name, o.id))
    state = WatchState(updated_at=today.isoformat(), accepted=sorted(accepted_now))
    return report, state


def as_date(value: object) -> dt.date | None:
    """A date from a file (a date) or from the API (``YYYY-MM-DD``, perhaps with a time)."""
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None
