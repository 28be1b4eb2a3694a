"""A plan's two names: its durable id and its external id (docs/api-unknowns.md, "Plan ids").

The API names a plan ``plan/<productGuid>/<planGuid>`` (``GET plan?product=...`` answers
``"id":"plan/<productGuid>/<planGuid>", "identity":{"externalId"}``) while the
documentation's requests write ``plan/123456``: the plan ID the publisher chose, its
external id. A file may use either; a live offer may answer either. Both are brought to one
key, ``plan/<externalId>`` -- the form a user writes and reads in Partner Center -- with the
plan list of each product the files price, read once per product for the run.

Without a product's list (a reader that has none, or a list the account may not read) only
the text tells: ``plan/<productGuid>/<id>`` equals ``plan/<id>`` unless ``<id>`` is a GUID,
and a durable id equals only itself (:func:`reconciler.offers.domain.plan_key`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from reconciler.errors import ForbiddenError, NotFoundError, Problem
from reconciler.offers.domain import product_guid

PRICING_KEYS = ("pricing", "originatorPricing")
PLAN_KEYS = ("plan", "basePlan")


@dataclass
class PlanIds:
    """Per product (its guid, lower case): every name of each plan -> ``plan/<externalId>``."""

    products: dict[str, dict[str, str]] = field(default_factory=dict)
    tried: set[str] = field(default_factory=set)  # products whose list was asked for

    def add(self, product: str, plans: Iterable[Mapping[str, object]]) -> None:
        names: dict[str, str] = {}
        for plan in plans:
            identity = plan.get("identity")
            external = identity.get("externalId") if isinstance(identity, Mapping) else None
            durable = plan.get("id")
            if not isinstance(external, str) or not external:
                continue
            key = f"plan/{external}"
            names[key.lower()] = key
            if isinstance(durable, str) and durable:
                names[durable.lower()] = key
        if names:  # an empty list tells nothing (a reader without lists): the old rule stands
            self.products[product_guid(product).lower()] = names

    def knows(self, product: str) -> bool:
        return product_guid(product).lower() in self.products

    def key(self, product: str, ref: str) -> str | None:
        """``plan/<externalId>`` of the plan *ref* names, or None (unknown, or no list)."""
        names = self.products.get(product_guid(product).lower())
        if names is None:
            return None
        found = names.get(ref.lower())
        if found is None and "/" not in ref:
            found = names.get(f"plan/{ref}".lower())
        return found

    def external_ids(self, product: str) -> list[str]:
        names = self.products.get(product_guid(product).lower(), {})
        return sorted(set(names.values()))

    def named(self, body: Mapping[str, object]) -> Mapping[str, object]:
        """*body* with each known plan reference of its pricing entries as ``plan/<externalId>``
        (*body* itself when nothing is renamed: most offers of a large plan)."""
        result: dict[str, object] | None = None
        for key in PRICING_KEYS:
            entries = body.get(key)
            if not isinstance(entries, list):
                continue
            renamed = [self._entry(e) for e in entries]
            if any(new is not old for new, old in zip(renamed, entries, strict=True)):
                result = dict(body) if result is None else result
                result[key] = renamed
        return body if result is None else result

    def named_all(self, offers: list[dict[str, object]]) -> list[dict[str, object]]:
        """:meth:`named` of each offer (the same list when no plan list was read)."""
        if not self.products:
            return offers
        out = []
        for offer in offers:
            named = self.named(offer)
            out.append(offer if named is offer else dict(named))
        return out

    def _entry(self, entry: object) -> object:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("product"), str):
            return entry
        product = str(entry["product"])
        out: dict[str, object] | None = None
        for key in PLAN_KEYS:
            ref = entry.get(key)
            if not isinstance(ref, str):
                continue
            name = self.key(product, ref)
            if name is not None and name != ref:
                out = dict(entry) if out is None else out
                out[key] = name
        return entry if out is None else out


def priced_products(bodies: Iterable[Mapping[str, Any]], *, durable_only: bool = False) -> set[str]:
    """``product/<guid>`` of every pricing entry of *bodies* that names a plan (with
    *durable_only*: by a durable id ``plan/<productGuid>/<planGuid>``)."""
    found: set[str] = set()
    for body in bodies:
        for key in PRICING_KEYS:
            entries = body.get(key)
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, Mapping) or not isinstance(entry.get("product"), str):
                    continue
                refs = [entry.get(k) for k in PLAN_KEYS if isinstance(entry.get(k), str)]
                if durable_only:
                    refs = [r for r in refs if str(r).count("/") == 2]
                if refs:
                    found.add(f"product/{product_guid(str(entry['product'])).lower()}")
    return found


def read_plan_ids(
    client: object, products: Iterable[str], *, workers: int = 1, into: PlanIds | None = None
) -> PlanIds:
    """The plan list of each of *products* not asked for yet (*into*), one ``GET plan`` each,
    side by side with *workers*. A reader without plan lists, and a product whose list the
    account may not read (403/404), leave that product to the old rule."""
    plans = PlanIds() if into is None else into
    lister = getattr(client, "list_plans", None)
    wanted = sorted(p for p in products if p not in plans.tried)
    if lister is None or not wanted:
        return plans
    plans.tried.update(wanted)

    def read(product: str) -> list[dict[str, object]] | None:
        try:
            found: list[dict[str, object]] = lister(product)
        except (NotFoundError, ForbiddenError):
            return None
        return found

    if workers > 1 and len(wanted) > 1:
        with ThreadPoolExecutor(min(workers, len(wanted)), thread_name_prefix="plans") as pool:
            lists = list(pool.map(read, wanted))
    else:
        lists = [read(p) for p in wanted]
    for product, found in zip(wanted, lists, strict=True):
        if found is not None:
            plans.add(product, found)
    return plans


class PricedFile(Protocol):
    @property
    def path(self) -> Path: ...
    def position(self, field_path: Sequence[str | int]) -> tuple[int, int]: ...


def unknown_plans(
    files: Iterable[tuple[PricedFile, Mapping[str, Any]]], plans: PlanIds
) -> list[Problem]:
    """A file's plan reference (in its body, given beside it) that is none of its product's
    plans (by either name)."""
    problems: list[Problem] = []
    for f, body in files:
        for key in PRICING_KEYS:
            entries = body.get(key)
            for i, entry in enumerate(entries if isinstance(entries, list) else []):
                if not isinstance(entry, Mapping) or not isinstance(entry.get("product"), str):
                    continue
                product = str(entry["product"])
                if not plans.knows(product):
                    continue
                for name in PLAN_KEYS:
                    ref = entry.get(name)
                    if not isinstance(ref, str) or plans.key(product, ref) is not None:
                        continue
                    line, col = f.position([key, i, name])
                    known = ", ".join(plans.external_ids(product)) or "none"
                    problems.append(
                        Problem(
                            file=f.path.as_posix(),
                            line=line,
                            col=col,
                            path=f"{key}[{i}].{name}",
                            message=(
                                f"{product} has no plan {ref!r} (by external id or durable id); "
                                f"its plans: {known}"
                            ),
                            rule="known-plan",
                        )
                    )
    return problems
