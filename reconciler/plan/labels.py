"""What a reviewer recognises beside a change's paths: names, unchanged counts, the file.

* **Names.** A pricing entry is keyed ``product/<guid>/plan/<id>``; the live offers'
  pricing entries carry the catalogue's ``productName`` and ``planName`` (read-only fields
  the API adds), so every offer of the account teaches us the names of the plans it uses,
  and a new offer on a known plan is named too. Beneficiaries and other keyed items are
  named by their ``description`` (or ``name``).
* **Unchanged counts.** For each block that holds a change, how many of its fields did
  not change ("3 unchanged"), so the diff shows only what moved without hiding that more
  is there.
* **Source.** A create shows the offer file's own text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from reconciler.plan.changes import Change
from reconciler.plan.inputs import OfferFileLike
from reconciler.plan.normalize import KEYED_LISTS, pricing_key, short_plan
from reconciler.plan.paths import split_path

_PRICING_LISTS = ("pricing", "originatorPricing")
_NAME_FIELDS = ("description", "name")
# An item's identity: shown as its label, so never counted as an unchanged field.
_IDENTITY = frozenset({"id", "product", "plan", "basePlan"})


def catalogue_names(offers: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """pricing key -> ``Product · Plan``, from the names the API adds to live offers."""
    names: dict[str, str] = {}
    for offer in offers:
        for list_name in _PRICING_LISTS:
            for entry in offer.get(list_name) or []:
                if not isinstance(entry, Mapping) or not entry.get("productName"):
                    continue
                product = str(entry.get("product") or "")
                ref = dict(entry)
                for key in ("plan", "basePlan"):
                    if isinstance(ref.get(key), str):
                        ref[key] = short_plan(product, ref[key])
                label = str(entry["productName"])
                if entry.get("planName"):
                    label += f" · {entry['planName']}"
                names.setdefault(pricing_key(ref), label)
    return names


def _node(tree: object, parts: list[str]) -> object:
    node = tree
    for part in parts:
        key = part[1:-1] if part.startswith("[") else part
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _item_names(tree: object, out: dict[str, str]) -> None:
    """Keyed items with a description or name, anywhere in an essence."""
    if not isinstance(tree, Mapping):
        return
    for key, value in tree.items():
        if isinstance(value, Mapping):
            for field in _NAME_FIELDS:
                text = value.get(field)
                if isinstance(text, str) and text.strip() and str(key) not in out:
                    out[str(key)] = text.strip()
                    break
            _item_names(value, out)


def _prefix(parts: list[str]) -> str:
    text = ""
    for part in parts:
        text = text + part if part.startswith("[") or not text else f"{text}.{part}"
    return text


def unchanged_counts(
    change: Change, desired: Mapping[str, object], live: Mapping[str, object]
) -> dict[str, int]:
    """block path -> how many of its fields (or items) no change touches."""
    touched: dict[str, set[str]] = {}
    for fc in change.field_changes:
        parts = split_path(fc.path)
        for depth in range(len(parts)):
            touched.setdefault(_prefix(parts[:depth]), set()).add(
                parts[depth][1:-1] if parts[depth].startswith("[") else parts[depth]
            )
    counts: dict[str, int] = {}
    for prefix, children in touched.items():
        parts = split_path(prefix) if prefix else []
        node = _node(desired, parts)
        if not isinstance(node, Mapping):
            node = _node(live, parts)
        if isinstance(node, Mapping):
            rest = len([k for k in node if str(k) not in children and k not in _IDENTITY])
            if rest:
                counts[prefix] = rest
    return counts


def describe(
    change: Change,
    *,
    desired: Mapping[str, object],
    live: Mapping[str, object],
    names: Mapping[str, str],
    path: Path | None = None,
) -> None:
    """Fill *change*'s ``labels``, ``unchanged`` and (for a create) ``source``."""
    keys = {
        part[1:-1]
        for fc in change.field_changes
        for part in split_path(fc.path)
        if part.startswith("[")
    }
    items: dict[str, str] = {}
    _item_names(live, items)
    _item_names(desired, items)
    labels = {k: names[k] for k in keys if k in names}
    labels.update({k: items[k] for k in keys if k in items and k not in labels})
    change.labels = dict(sorted(labels.items()))
    if change.action != "create":
        change.unchanged = unchanged_counts(change, desired, live)
    elif path is not None:
        try:
            change.source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            change.source = None  # the tree of values is shown instead


def file_parts(body: Mapping[str, object], path: str) -> list[str | int]:
    """A keyed field path as the file's own keys and list indexes (as far as it resolves)."""
    parts: list[str | int] = []
    node: object = body
    list_name = ""
    for part in split_path(path):
        if part.startswith("["):
            key = part[1:-1]
            if not isinstance(node, list):
                break
            keyer = KEYED_LISTS.get(list_name)
            found = None
            for i, item in enumerate(node):
                if isinstance(item, Mapping):
                    if keyer is not None and keyer(item) == key:
                        found = i
                elif str(item).strip().lower() == key.strip().lower():
                    found = i
            if found is None:
                break
            parts.append(found)
            node = node[found]
            continue
        parts.append(part)
        if not isinstance(node, Mapping) or part not in node:
            break
        node, list_name = node[part], part
    return parts


def field_line(f: OfferFileLike, change: Change) -> int:
    """The line of the field a blocked change is about: the state, the id, or what changed."""
    reason = (change.blocked_reason or "").lower()
    if "pins id" in reason:
        target: list[str | int] = ["id"]
    elif change.wanted in ("withdraw", "delete", "publish") or not change.field_changes:
        target = ["state"]
    else:
        first = next((fc for fc in change.field_changes if fc.path != "state"), None)
        target = file_parts(f.api_body(), first.path) if first else ["state"]
    line = f.position(target)[0]
    return line or change.line
