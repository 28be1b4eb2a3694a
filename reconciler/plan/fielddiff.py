"""Essences -> readable field changes: keyed containers, paths, ignore rules and the diff.

:func:`diff` compares two essences with deepdiff (tree view, ``threshold_to_diff_deeper=0``
so a nested dict is never reported as one opaque change) and turns each difference into
a :class:`~reconciler.plan.changes.FieldChange`, dropping those matched by ``ignore``
rules. Ignore rules are globs on the readable path: ``*`` matches any characters except
``[`` and ``]``, and a rule also covers everything below the path it matches
(``notificationContacts``, ``pricing[*].discountPercentage``, ``beneficiaries[*]``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache

from deepdiff import DeepDiff

from reconciler.plan.changes import FieldChange


class Keyed(dict[str, object]):
    """A list normalised into ``{stable key: item}``; paths render as ``name[key]``."""


class KeySet(Keyed):
    """A list of scalars compared as a set (``{value: value}``)."""


# ---------------------------------------------------------------------------------------
# Paths


def _child(node: object, part: object) -> object:
    if isinstance(node, Mapping):
        return node.get(part, MISSING) if part in node else MISSING
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return MISSING


def format_path(parts: Sequence[object], trees: Iterable[object]) -> str:
    """``['pricing', 'product/x/plan/1', 'discountPercentage']`` -> readable keyed path.

    Whether a segment is a key of a :class:`Keyed` container is read from the essences
    themselves (from whichever of *trees* holds the path).
    """
    text = ""
    nodes = list(trees)
    for part in parts:
        keyed = any(isinstance(n, Keyed) for n in nodes)
        indexed = isinstance(part, int) and any(isinstance(n, list) for n in nodes)
        if keyed or indexed:
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
        nodes = [c for c in (_child(n, part) for n in nodes) if c is not MISSING]
    return text


MISSING: object = object()


def lookup(tree: object, parts: Sequence[object]) -> object:
    """The value at *parts* in an essence, or :data:`MISSING`."""
    node = tree
    for part in parts:
        node = _child(node, part)
        if node is MISSING:
            return MISSING
    return node


@cache
def _ignore_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    for ch in pattern.strip():
        out += "[^\\[\\]]*" if ch == "*" else re.escape(ch)
    return re.compile(out + r"(?=$|[.\[])")


def is_ignored(path: str, rules: Iterable[str]) -> bool:
    return any(_ignore_regex(rule).match(path) for rule in rules if rule.strip())


def plain(value: object) -> object:
    """An essence value as plain JSON data (Keyed dicts stay dicts, sets become lists)."""
    if isinstance(value, KeySet):
        return sorted(value.values(), key=str)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def leaves(tree: Mapping[str, object]) -> list[RawChange]:
    """Every leaf of an essence as an ``add`` (how a create is shown: one line per value)."""
    out: list[RawChange] = []

    def walk(node: object, parts: list[object]) -> None:
        if isinstance(node, KeySet) or not isinstance(node, Mapping | list) or not node:
            out.append(RawChange(parts, format_path(parts, [tree]), "add", MISSING, node))
            return
        if isinstance(node, list):
            if all(not isinstance(i, Mapping | list) for i in node):
                out.append(RawChange(parts, format_path(parts, [tree]), "add", MISSING, node))
                return
            for i, item in enumerate(node):
                walk(item, [*parts, i])
            return
        for key, value in node.items():
            walk(value, [*parts, key])

    walk(tree, [])
    return out


# ---------------------------------------------------------------------------------------
# Diff


class RawChange:
    """A difference before origin classification: path parts plus the readable path."""

    __slots__ = ("new", "old", "op", "parts", "path")

    def __init__(self, parts: list[object], path: str, op: str, old: object, new: object) -> None:
        self.parts = parts
        self.path = path
        self.op = op
        self.old = old
        self.new = new

    def field_change(self, origin: str = "unknown") -> FieldChange:
        return FieldChange(
            path=self.path,
            old=None if self.old is MISSING else plain(self.old),
            new=None if self.new is MISSING else plain(self.new),
            origin=origin,
            op=self.op,
        )


_ADDED = ("dictionary_item_added", "iterable_item_added", "attribute_added")
_REMOVED = ("dictionary_item_removed", "iterable_item_removed", "attribute_removed")


def diff(
    live: Mapping[str, object], desired: Mapping[str, object], ignore: Iterable[str] = ()
) -> list[RawChange]:
    """Field-level differences from *live* to *desired*, sorted by path."""
    # Most offers of a large account are unchanged; plain equality (5 == 5.0 like
    # ignore_numeric_type_changes) settles them without building a DeepDiff tree.
    if live == desired:
        return []
    rules = list(ignore)
    tree = DeepDiff(
        dict(live),
        dict(desired),
        view="tree",
        threshold_to_diff_deeper=0,
        ignore_numeric_type_changes=True,
    )
    changes: list[RawChange] = []
    for report, levels in tree.items():
        for level in levels:
            parts = list(level.path(output_format="list"))
            path = format_path(parts, [live, desired])
            if is_ignored(path, rules):
                continue
            if report in _ADDED:
                op, old, new = "add", MISSING, level.t2
            elif report in _REMOVED:
                op, old, new = "remove", level.t1, MISSING
            else:
                op, old, new = "change", level.t1, level.t2
            changes.append(RawChange(parts, path, op, old, new))
    changes.sort(key=lambda c: c.path)
    return changes
