"""The emulator engine's shared ground: constants, rule errors, job context, clock, versions.

The lowest layer of the engine (see :mod:`reconciler.emulator.engine`): it imports no other
part of it.
"""

from __future__ import annotations

import copy
import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from reconciler.emulator.config import Account, EmulatorConfig

NOT_STORED = {
    "$schema", "id", "resourceName", "state", "eTag", "lastModified", "subState",
    "acceptanceLinks", "validations", "privateOfferType",
}  # fmt: skip
PRICE_PREFIX = "price-and-availability-private-offer-plan/"
JOB_END_UNSET = "0001-01-01T00:00:00"


@dataclass
class RuleError(Exception):
    code: str
    message: str
    details: list[dict[str, object]] = field(default_factory=list)


def _detail(code: str, message: str, target: str | None = None) -> dict[str, object]:
    item: dict[str, object] = {"code": code, "message": message, "details": []}
    if target:
        item["target"] = target
    return item


def job_timestamp(when: float) -> str:
    """ISO-8601 UTC with 7 fractional digits, as the service writes ``jobStart``."""
    moment = dt.datetime.fromtimestamp(when, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


def new_etag() -> str:
    return f'"{uuid.uuid4()}"'


@dataclass
class JobContext:
    account: Account
    version: str
    names: dict[str, str] = field(default_factory=dict)  # resourceName -> price durable id
    failed_names: set[str] = field(default_factory=set)


def _faster(clock: Callable[[], float], rate: float) -> Callable[[], float]:
    """A clock that starts at *clock*'s now and runs *rate* times faster."""
    anchor = clock()
    return lambda: anchor + (clock() - anchor) * rate


def user_fields(res: dict[str, object]) -> dict[str, object]:
    """The fields of a sent resource a user sets (never the service's own)."""
    return {k: copy.deepcopy(v) for k, v in res.items() if k not in NOT_STORED}


class Clock:
    """The engine's time: now (``clock_rate`` times faster), today, and a record's touch."""

    def __init__(self, config: EmulatorConfig, clock: Callable[[], float] = time.time) -> None:
        self._config = config
        self._now = _faster(clock, config.clock_rate) if config.clock_rate != 1.0 else clock

    def now(self) -> float:
        return self._now()

    def today(self) -> dt.date:
        # A pinned day (``today``) is the day whatever the clock says: date rules stay
        # reproducible in tests and demos.
        if self._config.today:
            return dt.date.fromisoformat(self._config.today)
        return dt.datetime.now(dt.UTC).date()

    def touch(self, record: dict[str, object]) -> None:
        """A changed offer gets a new eTag and today's lastModified."""
        record["eTag"] = new_etag()
        record["lastModified"] = self.today().isoformat()


class Ceiling:
    """Schema versions: the newest one the service has of a resource, and the ceiling rule."""

    def __init__(self, config: EmulatorConfig) -> None:
        self._config = config

    def newest(self, resource: str) -> str | None:
        """The newest version of *resource* this service has (None: every known one)."""
        if resource == "private-offer":
            return self._config.newest_offer_version
        if resource == "price-and-availability-private-offer-plan":
            return self._config.newest_price_version
        return None

    def capped(self, resource: str, version: str) -> str:
        """The version a read of *resource* at ``$version=version`` is answered with."""
        newest = self.newest(resource)
        return min(version, newest) if newest else version
