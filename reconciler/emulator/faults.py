"""Fault injection and request statistics for the emulated API.

A :class:`Fault` targets a method and a path pattern (an ``fnmatch`` glob on the path under
``/rp/product-ingestion/``, e.g. ``configure``, ``configure/*/status``, ``private-offer/*``)
and applies to the next ``count`` matching requests, to a ``share`` of them (drawn from a
seeded random generator, so runs are reproducible), or to all of them. Kinds:

* ``status``  -- answer ``status`` (429 adds ``Retry-After``; 5xx) without touching state;
* ``delay``   -- wait ``delay`` seconds, then answer normally;
* ``drop``    -- read the request, then close the connection without any answer;
* ``drop_after_accept`` -- process the request (a ``POST configure`` creates its job), then
  close the connection instead of answering: the job exists but the client never learns it;
* ``fail_job`` -- ``POST configure`` is accepted, and the job completes ``failed`` with
  ``code``/``message`` and no change applied.

Request statistics count every API request received, by ``"METHOD endpoint"`` with ids
replaced by placeholders (``GET configure/{id}/status``), like the client's own stats.
"""

from __future__ import annotations

import fnmatch
import random
import re
import threading
import uuid
from collections import Counter
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

FaultKind = Literal["status", "delay", "drop", "drop_after_accept", "fail_job"]


class Fault(BaseModel):
    """One injected fault, as the admin API takes it (``POST /faults``) and lists it."""

    # Unknown keys are ignored, as they always were (a newer test client's options).
    model_config = ConfigDict(extra="ignore")

    kind: FaultKind
    path: str = "*"
    method: str = "*"
    status: int = 500
    retry_after: float | None = None
    delay: float = 0.0
    share: float | None = Field(default=None, ge=0, le=1)
    count: int | None = Field(default=None, ge=0)
    code: str = "internalServerError"
    message: str = "Injected failure."
    # Set by the emulator, never by the caller:
    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    hits: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Fault:
        """A caller's fault; a ValueError names the first bad field."""
        try:
            return cls.model_validate({k: v for k, v in data.items() if k not in ("id", "hits")})
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ValueError(f"{where}: {first['msg']}") from None

    def to_dict(self) -> dict[str, object]:
        return self.model_dump(mode="json")


_ENDPOINTS = [
    (re.compile(r"^configure/[^/]+/status$"), "configure/{id}/status"),
    (re.compile(r"^configure/[^/]+/cancel$"), "configure/{id}/cancel"),
    (re.compile(r"^configure/[^/]+$"), "configure/{id}"),
    (re.compile(r"^private-offer/query$"), "private-offer/query"),
    (re.compile(r"^private-offer/[^/]+$"), "private-offer/{id}"),
    (re.compile(r"^price-and-availability-private-offer-plan/[^/]+/[^/]+$"),
     "price-and-availability-private-offer-plan/{product}/{id}"),
    (re.compile(r"^price-and-availability-private-offer-plan/[^/]+$"),
     "price-and-availability-private-offer-plan/{product}"),
    (re.compile(r"^product/[^/]+$"), "product/{id}"),
]  # fmt: skip


def endpoint_key(method: str, relative_path: str) -> str:
    for pattern, name in _ENDPOINTS:
        if pattern.match(relative_path):
            return f"{method} {name}"
    return f"{method} {relative_path}"


class Faults:
    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._random = random.Random(seed)  # noqa: S311 - reproducible test faults, not security
        self.stats: Counter[str] = Counter()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def list(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def record(self, key: str) -> None:
        with self._lock:
            self.stats[key] += 1

    def reset_stats(self) -> None:
        with self._lock:
            self.stats.clear()

    def refund(self, fault: Fault) -> None:
        """A ``fail_job`` fault whose request made no job (refused with 400) stays armed."""
        with self._lock:
            fault.hits = max(0, fault.hits - 1)

    def match(self, method: str, relative_path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method not in ("*", method):
                    continue
                if not fnmatch.fnmatchcase(relative_path, fault.path):
                    continue
                if fault.count is not None and fault.hits >= fault.count:
                    continue
                if fault.share is not None and self._random.random() >= fault.share:
                    continue
                fault.hits += 1
                return fault
        return None
