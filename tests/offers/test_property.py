"""Whatever text is thrown at the loader, it answers with an offer or with located problems."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.errors import OfferFilesInvalid
from reconciler.offers import load_offer_text
from reconciler.settings import Settings

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "offers").rglob("*.yaml"))
TEXTS = [p.read_text(encoding="utf-8") for p in EXAMPLES]
TODAY = dt.date(2026, 11, 25)
SETTINGS = Settings()

YAML_BITS = [
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
    "!!python/object:os.system ",
    "!!binary ",
    "? ",
    "'",
    '"',
    "#",
    "${X}",
    "${UNSET}",
    "sig=",
    "null",
    "~",
    "1e999",
    "2027-02-30",
    "privateOfferType: ",
    "customerPromotion",
    "pricing:",
    "\t",
    "\x00",
    "\ufeff",
    "|\n",
    ">-\n",
    "%YAML 1.1\n---\n",
    "...\n",
    "--- \n",
]


def _check(text: str) -> None:
    try:
        load_offer_text(text, "fuzz.yaml", SETTINGS, today=TODAY, env={"X": "x"})
    except OfferFilesInvalid as exc:
        errors = [p for p in exc.problems if p.severity == "error"]
        assert errors
        for problem in exc.problems:
            assert problem.file == "fuzz.yaml"
            assert problem.line >= 0 and problem.col >= 0
            assert problem.message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(YAML_BITS) | st.characters(), max_size=80).map("".join))
def test_random_text(text: str) -> None:
    _check(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(TEXTS),
    st.lists(
        st.tuples(
            st.integers(min_value=0),
            st.integers(min_value=0, max_value=40),
            st.sampled_from(YAML_BITS),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_examples(text: str, edits: list[tuple[int, int, str]]) -> None:
    for position, cut, insert in edits:
        at = position % (len(text) + 1)
        text = text[:at] + insert + text[at + cut :]
    _check(text)


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.dates(),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(["name", "state", "pricing", "privateOfferType", "x", "start"])
                | st.text(max_size=8),
                children,
                max_size=4,
            )
        ),
        max_leaves=20,
    )
)
def test_structured_yaml(data: object) -> None:
    import io

    from ruamel.yaml import YAML

    stream = io.StringIO()
    YAML(typ="safe", pure=True).dump(
        {"privateOfferType": "customerPromotion", "body": data}, stream
    )
    _check(stream.getvalue())
