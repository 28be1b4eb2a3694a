"""The safe YAML loader of offer files on libyaml's parser, without ruamel's per-load overhead.

``YAML(typ="safe", pure=False).load`` builds a new loader class per document, rebuilds the
YAML 1.2 resolver table per document, and asks for the YAML version (two caught
exceptions) for every scalar: together more than the parse itself for a few-KiB offer
file. This loader is the same three parts -- libyaml's parser, ruamel's
``SafeConstructor`` (so duplicate keys, merge keys, dates and numbers behave exactly as
before) and the YAML 1.2 implicit resolver -- put together once, with the resolver's table
built once and plain strings returned without the constructor's tag lookup.

The C parser never honours a ``%YAML`` directive in ruamel (it always resolves as 1.2);
neither does this loader. Without the C extension, :data:`FAST` is false and callers use
ruamel's own pure-Python loader.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver, implicit_resolvers
from ruamel.yaml.tag import Tag

try:
    from _ruamel_yaml import CParser  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - the extension is a declared dependency on CPython
    CParser = None

_VERSION = (1, 2)


def _table() -> dict[str | None, list[tuple[Tag, Any]]]:
    # first character of a plain scalar -> the (tag, pattern) pairs to try, in ruamel's order
    table: dict[str | None, list[tuple[Tag, object]]] = {}
    for versions, tag, regexp, first in implicit_resolvers:
        if _VERSION in versions:
            chars: list[str | None] = list(first) if first else [None]
            for char in chars:
                table.setdefault(char, []).append((Tag(suffix=tag), regexp))
    return table


_BY_FIRST = _table()
_ANY_FIRST = _BY_FIRST.get(None, [])
# The tag of every plain string and every quoted scalar: one shared object, so the
# constructor's fast path below is an identity test.
_STR_TAG: Tag = VersionedResolver.DEFAULT_SCALAR_TAG
_MAP_TAG: Tag = VersionedResolver.DEFAULT_MAPPING_TAG
_SEQ_TAG: Tag = VersionedResolver.DEFAULT_SEQUENCE_TAG

# The implicit scalar tags (the table's own objects, by identity) -> ruamel's constructor of
# that tag: null, bool, int, float and timestamp. A merge key ("<<") or a value key ("=") is
# absent, so a mapping holding one leaves the plain path (see _plain).
_SCALAR_CONSTRUCTORS: dict[int, Callable[[Any, ScalarNode], object]] = {
    id(tag): SafeConstructor.yaml_constructors[tag.suffix]
    for pairs in _BY_FIRST.values()
    for tag, _ in pairs
    if not tag.suffix.endswith((":merge", ":value", ":yaml"))
}


# Plain scalar -> its tag. Keys and many values repeat across thousands of offer files;
# bounded so that odd input cannot grow it without limit.
_RESOLVED: dict[str, Tag] = {}
_RESOLVED_MAX = 20_000


def _implicit_tag(value: str) -> Tag:
    for tag, regexp in _BY_FIRST.get(value[:1], []) + _ANY_FIRST:
        if regexp.match(value):
            return tag
    return _STR_TAG


class _Resolver(VersionedResolver):
    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is ScalarNode:
            if not implicit[0]:
                return _STR_TAG
            tag = _RESOLVED.get(value)
            if tag is None:
                tag = _implicit_tag(value)
                if len(_RESOLVED) < _RESOLVED_MAX:
                    _RESOLVED[value] = tag
            return tag
        return super().resolve(kind, value, implicit)


if CParser is not None:
    # libyaml's parser has no type information: the one untyped base class, on purpose.
    class _Loader(CParser, SafeConstructor, _Resolver):  # type: ignore[misc]
        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            self._parser = self._composer = self
            SafeConstructor.__init__(self, loader=self)
            self.allow_duplicate_keys = False  # a repeated key is an error, not a last-wins
            _Resolver.__init__(self, version=None, loadumper=self)

        def construct_object(self, node: Any, deep: bool = False) -> Any:
            # Most nodes of an offer file are plain strings: skip the tag-to-constructor
            # lookup (a string is its node's value; it cannot be recursive).
            if node.ctag is _STR_TAG and type(node) is ScalarNode:
                return node.value
            return super().construct_object(node, deep)

        def flatten_mapping(self, node: Any) -> Any:
            # Only a merge key ("<<") or a value key ("=") is rewritten here, and neither
            # resolves to the plain-string tag: a mapping of plain string keys is left as is.
            if all(key.ctag is _STR_TAG for key, _ in node.value):
                return None
            return super().flatten_mapping(node)


FAST = CParser is not None and hasattr(ScalarNode, "ctag")


class _Unusual(Exception):
    """A node the plain path leaves to ruamel's constructor (raised, then caught in load)."""


def _plain(loader: Any, node: Any) -> object:
    """The data of *node*, for a tree of plain mappings, sequences and implicitly typed
    scalars with unique keys: what ruamel's ``SafeConstructor`` builds for it, in a third of
    its time (no per-node bookkeeping for aliases and recursion, which the caller has ruled
    out). Anything else -- an explicit tag, a merge key, a duplicate or non-scalar key --
    raises :class:`_Unusual`, and ruamel's constructor handles the document (and its errors)."""
    kind = type(node)
    tag = node.ctag
    if kind is ScalarNode:
        if tag is _STR_TAG:
            return node.value
        construct = _SCALAR_CONSTRUCTORS.get(id(tag))
        if construct is None:
            raise _Unusual
        return construct(loader, node)
    if kind is MappingNode and tag is _MAP_TAG:
        mapping: dict[object, object] = {}
        for key_node, value_node in node.value:
            if type(key_node) is not ScalarNode:
                raise _Unusual
            key = _plain(loader, key_node)
            if key in mapping:
                raise _Unusual
            mapping[key] = _plain(loader, value_node)
        return mapping
    if kind is SequenceNode and tag is _SEQ_TAG:
        return [_plain(loader, child) for child in node.value]
    raise _Unusual


def load(text: str) -> object:
    """The document in *text* (a single one); raises ruamel's errors as ``YAML.load`` does."""
    loader = _Loader(text)
    try:
        if "*" in text:
            # An alias repeats a node (possibly inside itself): only ruamel's constructor
            # shares and guards it.
            return loader.get_single_data()
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            return _plain(loader, node)
        except _Unusual:
            return loader.construct_document(node)
    finally:
        loader.dispose()
        # The loader refers to itself (as parser, composer, constructor and resolver):
        # dropping its attributes lets it go at once instead of at the next collection.
        loader.__dict__.clear()


def compose(text: str) -> object:
    """The node tree of the document in *text* (each node with its start mark), or None."""
    loader = _Loader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()
        loader.__dict__.clear()
