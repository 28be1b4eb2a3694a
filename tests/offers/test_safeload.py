"""The offer files' prebuilt safe loader reads every text exactly as ruamel's safe C loader."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from reconciler.offers import safeload
from reconciler.offers.yamlread import looks_deep

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "offers").rglob("*.yaml"))

# Every implicit type, tags, anchors, merge and value keys, and the errors a file can have.
CASES = [
    "a: 1\nb: 0o17\nc: 0x1F\nd: 1_000\ne: 1.5\nf: .inf\ng: -.nan\nh: ~\ni:\nj: null\n",
    "a: true\nb: False\nc: Yes\nd: off\ne: '1'\nf: \"2\"\ng: -.5e3\nh: 1e3\ni: +12\n",
    "a: 2027-01-02\nb: 2027-01-02T10:00:00Z\nc: 2027-1-2 10:00:00.5 +02:00\n",
    "a: !!str 5\nb: !!int '7'\nc: !!float 1\nd: !!binary aGk=\ne: !!null ''\n",
    "k: &m {x: 1}\nj: {<<: *m, y: 2}\nl: {<<: [{x: 1}, {x: 2, z: 3}], y: 2}\n",
    "a: 1\n<<: {b: 2, a: 3}\nc: 4\n",
    "=: 5\nv: {=: 1, b: 2}\n",
    "'<<': {x: 1}\n\"=\": 2\n",
    "a: &a [1, 2]\nb: *a\nc: &s text\nd: *s\n",
    "[1, [2, [3]], {a: b}]",
    "x",
    "",
    "? [a, b]\n: 1\n",
    "a: 1\na: 2\n",
    "a: 1\n<<: {b: 2}\n<<: {c: 3}\n",
    "<<: 1\n",
    "a: [1\n",
    "a: 2027-02-30\n",
    "a: !!python/object:os.system x\n",
    "a: &a [*a]\n",
    "- &a b\n- *c\n",
    "a: 1\n---\nb: 2\n",
    "%YAML 1.1\n---\na: yes\nb: 010\n",
    "a: \x00\n",
]


def _outcome(load: Callable[[str], Any], text: str) -> str:
    try:
        return "ok " + repr(load(text))
    except Exception as exc:  # the error itself is what is compared
        return f"{type(exc).__name__}: {exc}"


def _same_as_stock(text: str) -> None:
    assert safeload.FAST  # the C extension is a declared dependency on CPython
    stock = YAML(typ="safe", pure=False)
    assert _outcome(safeload.load, text) == _outcome(stock.load, text)


@pytest.mark.parametrize("text", CASES + [p.read_text(encoding="utf-8") for p in EXAMPLES])
def test_reads_like_the_stock_safe_loader(text: str) -> None:
    _same_as_stock(text)


BITS = [
    ":",
    "- ",
    "  ",
    "\n",
    "{",
    "}",
    "[",
    "]",
    "&a ",
    "*a",
    "<<",
    "=",
    "!!str ",
    "? ",
    "'",
    '"',
    "#",
    "1",
    "0o7",
    "1.5",
    "2027-01-02",
    "true",
    "null",
    "~",
    "a",
    "b",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(BITS), max_size=40).map("".join))
def test_random_text_reads_like_the_stock_safe_loader(text: str) -> None:
    if looks_deep(text):  # such text goes to the pure-Python parser, not this one
        return
    _same_as_stock(text)
