"""Where a problem or a change points: the line and column of every key and list item of
every example file are those the round-trip loader records (what an editor shows)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from reconciler.offers.yamlread import parse_positions, position_of

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "offers").rglob("*.yaml"))


def _paths(
    node: Any, prefix: tuple[str | int, ...]
) -> Iterator[tuple[tuple[str | int, ...], tuple[int, int]]]:
    """Every key and item path under *node* with the round-trip loader's 1-based position."""
    if isinstance(node, CommentedMap):
        for key in node:
            line, col = node.lc.key(key)
            yield (*prefix, str(key)), (line + 1, col + 1)
            yield from _paths(node[key], (*prefix, str(key)))
    elif isinstance(node, CommentedSeq):
        for index, item in enumerate(node):
            line, col = node.lc.item(index)
            yield (*prefix, index), (line + 1, col + 1)
            yield from _paths(item, (*prefix, index))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_key_and_item_is_where_the_round_trip_loader_puts_it(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    expected = YAML(typ="rt").load(text)
    tree = parse_positions(text)
    assert position_of(tree, []) == (expected.lc.line + 1, expected.lc.col + 1)
    checked = 0
    for field_path, position in _paths(expected, ()):
        assert position_of(tree, field_path) == position, field_path
        checked += 1
    assert checked > 20
    # A field the file does not have points at its nearest parent.
    assert position_of(tree, ["pricing", 99, "plan"]) == position_of(tree, ["pricing"])


def test_text_that_does_not_parse_has_no_positions() -> None:
    assert position_of(parse_positions("name: [unclosed"), ["name"]) == (0, 0)
    assert position_of(parse_positions("just text"), ["name"]) == (1, 1)
