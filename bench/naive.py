"""The naive baseline: what a user scripting the documented API calls would do.

It follows the documentation literally, with the same HTTP client as the tool (so the
comparison is about the strategy, not the transport):

* validate: load each file with ruamel's default (round-trip) loader and check it against
  the published JSON Schema (``schemas/offer.schema.json``) with jsonschema, as
  ``check-jsonschema`` would;
* plan: list the offers to learn their ids, then ``GET private-offer/{id}`` for every
  offer and ``GET`` every absolute price resource each offer refers to, then compare each
  file with its offer field by field;
* apply: one ``POST configure`` per changed offer (per step of it), then poll that job's
  status every few seconds until it is done, before sending the next one (every 0.5 s in
  the bench; in its 1/10-scale row that is a script polling every 5 s against jobs of a
  minute).

The sequential apply takes ``changes x latency``: 200 changes at 2 s are 7 minutes. So
by default it really applies a *sample* of the changes and extrapolates linearly, which
is exact for the request counts (every change costs the same requests) and a close
estimate for the time (every change waits the same latency); the report says so.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from reconciler.api.client import ProductIngestionClient
from reconciler.offers.loader import discover_offer_files, load_offer_files
from reconciler.plan.plan import Plan
from reconciler.plan.planner import role_kinds
from reconciler.settings import Settings

SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "offer.schema.json"


def validate(files_dir: Path) -> dict[str, Any]:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    yaml = YAML()
    errors = 0
    paths = discover_offer_files([files_dir])
    for path in paths:
        data = yaml.load(path.read_text(encoding="utf-8"))
        # JSON's view of the data (dates as text), as a schema checker sees it.
        plain = json.loads(json.dumps(data, default=str))
        errors += sum(1 for _ in validator.iter_errors(plain))
    return {"files": len(paths), "schema_errors": errors}


def _inline_prices(client: ProductIngestionClient, offer: dict[str, Any]) -> dict[str, Any]:
    """The offer with each price resource id replaced by the resource's price fields."""
    pricing = []
    for entry in offer.get("pricing") or []:
        details = entry.get("priceDetails")
        if isinstance(details, str):
            resource = client.get_resource(details)
            entry = {
                **entry,
                "priceDetails": {
                    k: v for k, v in resource.items() if k in ("pricing", "softwareReservation")
                },
            }
        pricing.append(entry)
    return {**offer, "pricing": pricing} if pricing else offer


def _differs(desired: Any, live: Any) -> bool:
    """Field-by-field: only what the file says counts; live-only fields are ignored."""
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            return True
        return any(_differs(v, live.get(k)) for k, v in desired.items())
    if isinstance(desired, list):
        if not isinstance(live, list) or len(live) != len(desired):
            return True
        return any(_differs(d, lv) for d, lv in zip(desired, live, strict=True))
    return bool(desired != live)


def plan(
    client: ProductIngestionClient,
    settings: Settings,
    files_dir: Path,
    *,
    sample: int | None = None,
) -> dict[str, Any]:
    """The documented way; with *sample*, only that many offers are really read one by one
    and that part is scaled to all of them (at 100 ms a request the full run takes minutes)."""
    start = time.perf_counter()
    files = load_offer_files([files_dir], settings)
    mine = [f for f in files if f.kind in role_kinds("publisher")]
    ids = [str(o["id"]) for o in client.list_offers() if o.get("id")]
    before = client.stats.total
    fixed = time.perf_counter() - start
    chosen = ids if sample is None else ids[:sample]
    mark = time.perf_counter()
    by_id: dict[str, dict[str, Any]] = {}
    by_name: dict[str, dict[str, Any]] = {}
    for offer_id in chosen:
        offer = _inline_prices(client, client.get_offer(offer_id))
        by_id[offer_id.lower()] = offer
        by_name[str(offer.get("name"))] = offer
    per_offer = time.perf_counter() - mark
    reads = client.stats.total - before
    changed = 0
    for f in mine:
        live = by_id.get((f.id or "").lower()) or by_name.get(f.name)
        if live is None:
            changed += 1
            continue
        desired = {k: v for k, v in f.api_body().items() if k != "id"}
        if _differs(desired, live):
            changed += 1
    result: dict[str, Any] = {"files": len(files), "changed": changed}
    if sample is not None and chosen and len(chosen) < len(ids):
        scale = len(ids) / len(chosen)
        compare = time.perf_counter() - mark - per_offer
        result["estimate"] = {
            "wall": fixed + per_offer * scale + compare * scale,
            "requests": before + reads * scale,
            "read_offers": len(chosen),
            "offers": len(ids),
        }
        result["changed"] = None  # only a sample was compared
    return result


def apply(
    client: ProductIngestionClient, the_plan: Plan, *, interval: float, sample: int | None
) -> dict[str, Any]:
    changes = the_plan.actionable
    chosen = changes if sample is None else changes[:sample]
    failed = 0
    for change in chosen:
        for step in change.steps:
            status = client.configure(step.resources)
            while True:
                # The documented advice: wait, then ask (at most once per interval).
                time.sleep(interval)
                status = client.job_status(status.job_id)
                if status.done:
                    break
            if not status.succeeded:
                failed += 1
                break
    return {
        "changes": len(changes),
        "applied": len(chosen),
        "failed": failed,
        "scale": len(changes) / len(chosen) if chosen else 1.0,
    }
