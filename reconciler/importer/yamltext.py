"""Offer data -> YAML text: new files, and in-place updates that keep a person's edits.

New files are dumped from :class:`CommentedMap` trees with the layout of the example
files (2-space mappings, list dashes indented by 2 under their key, ``{type, value}``
terms on one line, no line wrapping) below the ``yaml-language-server`` schema comment.

Existing files are loaded with ruamel.yaml's round-trip loader and *merged*: a value is
replaced only when it differs in meaning from the live one (``5`` equals ``5.0``; a date
equals its text; ``plan/<product>/<id>`` equals ``plan/<id>``; a ``${VAR}`` SAS reference
equals the live URL it expands to, or, when the variable is not set here, the live URL
whose signature it stands for). Lists the plan layer keys (pricing by product/plan,
beneficiaries by id, ...) are matched by those keys, so an edited entry keeps its
comments and position; contact lists compare as sets. Keys the API leaves out but whose
value is the documented default (``customerContractRenewal: false``) are kept, as are the
file-only ``$schema`` and ``reconciler:`` blocks and anything the file's ``ignore`` rules
cover; symmetrically, a default the file leaves out is not added. Quoting is kept
(``preserve_quotes``), and the sequence indentation of the file is
detected so an update does not re-indent the whole file.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import ScalarString

from reconciler.importer.render import FLOW_KEYS
from reconciler.offers.domain import same_plan
from reconciler.plan.fielddiff import is_ignored
from reconciler.plan.normalize import DEFAULTS, KEYED_LISTS, SET_LISTS, short_plan
from reconciler.secrets import UnsetVariable, env_references, expand_string

SCHEMA_COMMENT = "# yaml-language-server: $schema={ref}\n"
KEEP_KEYS = frozenset({"$schema", "reconciler", "resourceName"})
# Values a file may spell out although the API leaves them out (documented defaults).
_ABSENT_DEFAULTS: dict[str, object] = {**DEFAULTS, "priceInputOption": "usd"}
_DASH = re.compile(r"^( *)- ")
_KEY_LINE = re.compile(r"^( *)[^\s#-][^#]*:\s*(#.*)?$")
_TEMPLATE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


class TreeError(ValueError):
    """An existing file that is not a YAML mapping the importer can update."""


def _yaml(sequence: int = 4, offset: int = 2) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=sequence, offset=offset)
    yaml.width = 4096  # long URLs and names stay on one line
    return yaml


def to_node(value: object, key: str | None = None) -> object:
    """Plain data -> ruamel nodes (flow style for term objects)."""
    if isinstance(value, Mapping):
        node = CommentedMap()
        for k, v in value.items():
            node[k] = to_node(v, str(k))
        if key in FLOW_KEYS:
            node.fa.set_flow_style()
        return node
    if isinstance(value, list):
        return CommentedSeq([to_node(v) for v in value])
    return value


def new_file_text(data: Mapping[str, object], schema_ref: str) -> str:
    stream = io.StringIO()
    _yaml().dump(to_node(data), stream)
    return SCHEMA_COMMENT.format(ref=schema_ref) + stream.getvalue()


def load_tree(text: str) -> CommentedMap:
    try:
        tree = _yaml().load(text)
    except (YAMLError, RecursionError) as exc:
        raise TreeError(f"not valid YAML ({str(exc).strip().splitlines()[0]})") from None
    if not isinstance(tree, CommentedMap):
        raise TreeError("not a YAML mapping")
    return tree


def dump_tree(tree: CommentedMap, original: str) -> str:
    stream = io.StringIO()
    _yaml(*_sequence_indent(original)).dump(tree, stream)
    return stream.getvalue()


def _sequence_indent(text: str) -> tuple[int, int]:
    """(sequence, offset) of the first block list under a key, as ruamel's indent() wants."""
    lines = text.splitlines()
    for i in range(1, len(lines)):
        dash = _DASH.match(lines[i])
        key = _KEY_LINE.match(lines[i - 1])
        if dash and key:
            offset = len(dash.group(1)) - len(key.group(1))
            if offset >= 0:
                return offset + 2, offset
    return 4, 2


# --- merging ------------------------------------------------------------------------------------


class Merger:
    """Bring a round-trip tree to the live data, touching only what differs in meaning."""

    def __init__(
        self,
        *,
        secrets: Mapping[str, str],
        ignore: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.secrets = dict(secrets)
        self.ignore = [r for r in ignore if r.strip()]
        self.env = {**(os.environ if env is None else env), **self.secrets}
        self.changed = False

    def merge(self, tree: CommentedMap, desired: Mapping[str, object]) -> bool:
        self._map(tree, desired, "")
        return self.changed

    def _skip(self, path: str) -> bool:
        return bool(self.ignore) and is_ignored(path, self.ignore)

    def _map(self, node: CommentedMap, desired: Mapping[str, object], path: str) -> None:
        order = list(desired)
        for key, value in desired.items():
            sub = f"{path}.{key}" if path else key
            if self._skip(sub):
                continue
            if key in node:
                node[key] = self._value(node[key], value, key, sub)
            elif not _absent_equivalent(key, value):
                node.insert(self._slot(node, order, key), key, to_node(value, key))
                self.changed = True
        for key in list(node):
            sub = f"{path}.{key}" if path else str(key)
            if key in desired or key in KEEP_KEYS or self._skip(sub):
                continue
            if _absent_equivalent(str(key), node[key]):
                continue
            del node[key]
            self.changed = True

    @staticmethod
    def _slot(node: CommentedMap, order: list[str], key: str) -> int:
        before = order[: order.index(key)]
        keys = list(node)
        slot = 0
        for i, existing in enumerate(keys):
            if existing in before:
                slot = i + 1
        return slot

    def _value(self, old: object, new: object, key: str, path: str) -> object:
        if isinstance(old, CommentedMap) and isinstance(new, Mapping):
            self._map(old, new, path)
            return old
        if isinstance(old, CommentedSeq) and isinstance(new, list):
            self._seq(old, new, key, path)
            return old
        if self._same(old, new, key):
            return old
        self.changed = True
        if isinstance(old, ScalarString) and isinstance(new, str):
            return type(old)(new)  # keep the file's quoting
        return to_node(new, key)

    def _seq(self, old: CommentedSeq, new: list[object], key: str, path: str) -> None:
        keyer = KEYED_LISTS.get(key)
        if keyer is not None and all(isinstance(i, Mapping) for i in [*old, *new]):
            self._keyed(old, new, _short_keyer(keyer), key, path)
        elif key in SET_LISTS:
            self._set(old, new)
        elif len(old) == len(new):
            for i, item in enumerate(new):
                old[i] = self._value(old[i], item, key, f"{path}[{i}]")
        else:
            old[:] = [to_node(v) for v in new]
            self.changed = True

    def _keyed(
        self,
        old: CommentedSeq,
        new: list[Any],
        keyer: Callable[[Mapping[str, object]], str],
        key: str,
        path: str,
    ) -> None:
        wanted = {keyer(item): item for item in new}
        for i in reversed(range(len(old))):
            if keyer(old[i]) not in wanted and not self._skip(f"{path}[{keyer(old[i])}]"):
                del old[i]
                self.changed = True
        present = {keyer(item): item for item in old}
        for item_key, item in wanted.items():
            sub = f"{path}[{item_key}]"
            if self._skip(sub):
                continue
            if item_key in present:
                self._map(present[item_key], item, sub)
            else:
                old.append(to_node(item, key))
                self.changed = True

    def _set(self, old: CommentedSeq, new: list[object]) -> None:
        def norm(value: object) -> str:
            return str(value).strip().casefold()

        wanted = {norm(v) for v in new}
        for i in reversed(range(len(old))):
            if norm(old[i]) not in wanted:
                del old[i]
                self.changed = True
        have = {norm(v) for v in old}
        for value in new:
            if norm(value) not in have:
                old.append(value)
                have.add(norm(value))
                self.changed = True

    def _same(self, old: object, new: object, key: str) -> bool:
        if isinstance(old, bool) or isinstance(new, bool):
            return isinstance(old, bool) and isinstance(new, bool) and old == new
        if isinstance(old, int | float) and isinstance(new, int | float):
            return bool(old == new)
        if isinstance(old, dt.date) or isinstance(new, dt.date):
            return _date_text(old) == _date_text(new)
        if isinstance(old, str) and isinstance(new, str):
            return str(old) == new or self._same_text(str(old), new, key)
        return bool(old == new)

    def _same_text(self, old: str, new: str, key: str) -> bool:
        if key in ("plan", "basePlan"):
            # the long form plan/<productGuid>/<id> names the same plan
            return old.startswith("plan/") and same_plan(old, new)
        real = expand_string(new, self.secrets) if env_references(new) else new
        if not env_references(old):
            return old == real
        try:
            return expand_string(old, self.env) == real
        except UnsetVariable:
            # Not set here: the parts around the references must match the live value.
            parts = _TEMPLATE.split(old)
            pattern = "[^&#]*".join(re.escape(p) for p in parts)
            return re.fullmatch(pattern, real) is not None


def _short_keyer(
    keyer: Callable[[Mapping[str, object]], str],
) -> Callable[[Mapping[str, object]], str]:
    def key(item: Mapping[str, object]) -> str:
        product = item.get("product")
        if isinstance(product, str):
            item = {
                **item,
                **{
                    k: short_plan(product, str(item[k]))
                    for k in ("plan", "basePlan")
                    if isinstance(item.get(k), str)
                },
            }
        return keyer(item)

    return key


def _date_text(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10] if re.match(r"^\d{4}-\d{2}-\d{2}", str(value)) else str(value)


def _absent_equivalent(key: str, value: object) -> bool:
    if value is None or (isinstance(value, list | dict) and not value):
        return True
    if key in _ABSENT_DEFAULTS:
        default = _ABSENT_DEFAULTS[key]
        same_type = isinstance(value, bool) == isinstance(default, bool)
        return same_type and isinstance(value, type(default)) and value == default
    return False
