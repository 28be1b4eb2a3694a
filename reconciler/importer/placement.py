"""Which file each imported offer goes to: existing files by pinned id, then by name; new
files named after the offer (channel-partner files in ``partner/``)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml.comments import CommentedMap

from reconciler.importer.yamltext import TreeError, load_tree
from reconciler.offers.domain import is_channel_partner, name_key
from reconciler.offers.loader import discover_offer_files
from reconciler.plan.live import short_id

PARTNER_DIR = "partner"
MAX_SLUG = 60


@dataclass
class ExistingFile:
    """An offer file already under the output folder, as read for matching."""

    path: Path
    text: str
    tree: CommentedMap
    id: str | None
    name: str | None
    partner: bool


def ambiguous_names(offers: list[dict[str, object]]) -> set[str]:
    """Names several of the account's (not deleted) offers share."""
    seen: dict[str, int] = {}
    for offer in offers:
        if offer.get("state") != "deleted":
            key = name_key(offer.get("name"))
            seen[key] = seen.get(key, 0) + 1
    return {k for k, n in seen.items() if n > 1}


def pin_id(offer: Mapping[str, object], target: ExistingFile | None, ambiguous: set[str]) -> bool:
    """Whether the file pins the offer id.

    Publisher files always do. A channel-partner file shares the offer id with the
    originator's file, and ids must be unique across all files (one repository may hold
    both sides, as offers/ does), so it is found by name -- unless it pins the id already
    or the name alone is ambiguous for the planner.
    """
    if not is_channel_partner(offer.get("privateOfferType")):
        return True
    if target is not None and target.id is not None:
        return True
    return name_key(offer.get("name")) in ambiguous


def display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def index_files(out: Path) -> tuple[list[ExistingFile], list[str]]:
    found: list[ExistingFile] = []
    warnings: list[str] = []
    if not out.is_dir():
        return found, warnings
    for path in discover_offer_files([out]):
        try:
            text = path.read_text(encoding="utf-8-sig")
            tree = load_tree(text)
        except (OSError, UnicodeDecodeError, TreeError) as exc:
            warnings.append(f"{display(path)}: {exc}; not matched with any offer")
            continue
        oid, name, kind = tree.get("id"), tree.get("name"), tree.get("privateOfferType")
        found.append(
            ExistingFile(
                path=path,
                text=text,
                tree=tree,
                id=str(oid) if isinstance(oid, str) else None,
                name=str(name) if isinstance(name, str) else None,
                partner=is_channel_partner(kind),
            )
        )
    return found, warnings


def match_files(
    offers: list[dict[str, object]], existing: list[ExistingFile]
) -> dict[str, ExistingFile]:
    """short offer id -> the existing file that manages it (pinned id first, then name)."""
    # The originator's and the selling partner's views share the offer id: match per side.
    by_id: dict[tuple[bool, str], ExistingFile] = {}
    for e in existing:
        if e.id:
            by_id.setdefault((e.partner, short_id(e.id)), e)
    result: dict[str, ExistingFile] = {}
    claimed: set[Path] = set()
    for offer in offers:
        oid = short_id(str(offer.get("id")))
        found = by_id.get((is_channel_partner(offer.get("privateOfferType")), oid))
        if found is not None:
            result[oid] = found
            claimed.add(found.path)
    for offer in offers:
        oid = short_id(str(offer.get("id")))
        if oid in result:
            continue
        side = is_channel_partner(offer.get("privateOfferType"))
        name = name_key(offer.get("name"))
        for e in existing:
            # a file pinned to another offer never takes this one by name
            if (
                e.id is None
                and e.path not in claimed
                and e.partner == side
                and e.name is not None
                and name_key(e.name) == name
            ):
                result[oid] = e
                claimed.add(e.path)
                break
    return result


def slug(name: str) -> str:
    """A file name stem from an offer name: lowercase ASCII letters, digits and dashes."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return text[:MAX_SLUG].rstrip("-") or "offer"


def new_paths(offers: list[dict[str, object]], out: Path, taken: set[Path]) -> dict[str, Path]:
    wanted: dict[str, Path] = {}
    for offer in offers:
        folder = out / PARTNER_DIR if is_channel_partner(offer.get("privateOfferType")) else out
        wanted[short_id(str(offer.get("id")))] = folder / f"{slug(str(offer.get('name', '')))}.yaml"
    counts: dict[Path, int] = {}
    for path in wanted.values():
        counts[path] = counts.get(path, 0) + 1
    result: dict[str, Path] = {}
    for oid, path in wanted.items():
        if counts[path] > 1 or path in taken or path.exists():
            path = path.with_name(f"{path.stem}-{oid[:8]}.yaml")
            if path in taken or path.exists():
                path = path.with_name(f"{path.stem.rsplit('-', 1)[0]}-{oid}.yaml")
        result[oid] = path
    return result
