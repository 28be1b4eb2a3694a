"""The cache of live ids by name: what the last full run saw, so a targeted plan rarely lists.

Every full plan (all offer files against the whole account) rewrites it: for each managed
offer its name key (:func:`~reconciler.offers.domain.name_key`) and live id, plus how many
offers were managed and how many of those active -- the population a targeted plan's
safety thresholds count against. One file per endpoint and role, in the state directory
(``apply.journal-dir``, default ``.reconciler/``), owner-only. A missing or unreadable cache
is no error: the targeted plan then falls back to a full one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, ValidationError

from reconciler.offers.domain import name_key
from reconciler.settings import is_loopback_host
from reconciler.state.files import atomic_write, private_dir

CACHE_SCHEMA = "offer-ids/1"


class IdCache(BaseModel):
    """Live ids by name key for one endpoint and role, as of ``refreshed_at``."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal["offer-ids/1"] = "offer-ids/1"
    endpoint: str
    role: str
    refreshed_at: str
    managed: int  # live offers claimed by a file (not deleted)
    active: int  # of those, not withdrawn
    ids: dict[str, str]  # name key -> live id

    def id_for(self, name: str) -> str | None:
        return self.ids.get(name_key(name))

    @property
    def population(self) -> tuple[int, int]:
        return self.managed, self.active


def cache_key(endpoint: str) -> str:
    """The endpoint a cache belongs to; a loopback emulator's port changes on every start,
    so it does not count (a stale id is caught anyway: every cached id is read back and
    its name checked before it is used)."""
    parts = urlsplit(endpoint.rstrip("/"))
    if parts.hostname and is_loopback_host(parts.hostname):
        return parts._replace(netloc=parts.hostname).geturl()
    return endpoint.rstrip("/")


def cache_path(directory: Path, endpoint: str, role: str) -> Path:
    # Hashed: the endpoint is a URL, not a file name, and must not leak into a listing.
    digest = hashlib.sha256(f"{cache_key(endpoint)}\n{role}".encode()).hexdigest()[:16]
    return directory / f"ids-{digest}.json"


def load_cache(directory: Path, endpoint: str, role: str) -> IdCache | None:
    path = cache_path(directory, endpoint, role)
    try:
        cache = IdCache.model_validate_json(path.read_bytes())
    except (OSError, ValidationError, ValueError):
        return None
    if cache.endpoint != cache_key(endpoint) or cache.role != role:
        return None
    return cache


def save_cache(
    directory: Path,
    *,
    endpoint: str,
    role: str,
    refreshed_at: str,
    ids: Mapping[str, str],
    managed: int,
    active: int,
) -> Path:
    """Replace the cache atomically (readers see the old file or the whole new one)."""
    cache = IdCache(
        endpoint=cache_key(endpoint),
        role=role,
        refreshed_at=refreshed_at,
        managed=managed,
        active=active,
        ids={name_key(name): offer_id for name, offer_id in ids.items()},
    )
    private_dir(directory)
    path = cache_path(directory, endpoint, role)
    atomic_write(path, cache.model_dump_json())
    return path
