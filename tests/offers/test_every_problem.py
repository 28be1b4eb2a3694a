"""`reconciler validate` reports every independent problem of a file in one run, places YAML
syntax errors where the mistake is, and calls a tab a tab."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.offers.conftest import example
from tests.support.inprocess import run_reconciler

WOODGROVE = example("customer-percentage.yaml")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "offers").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def validate(project: Path, text: str) -> list[str]:
    (project / "offers" / "o.yaml").write_text(text)
    code, out, _ = run_reconciler("validate", "--no-strict")
    assert code == 1, out
    return out.splitlines()[:-1]


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_wrong_type_does_not_hide_the_rules(project: Path) -> None:
    text = (
        WOODGROVE.replace("discountPercentage: 10", "discountPercentage: ten")
        .replace("acceptBy: 2027-06-30", "acceptBy: 2028-12-31")
        .replace("  - amy@contoso.com", "  - not-an-email")
        .replace("variableStartDate: false", "variableStartDate: maybe")
    )
    found = validate(project, text)
    assert found == [
        f"offers/o.yaml:{line_of(text, 'variableStartDate')}:1: variableStartDate: "
        "input should be a valid boolean [schema]",
        f"offers/o.yaml:{line_of(text, 'acceptBy')}:1: acceptBy: 2028-12-31 is after end "
        "2027-12-31 [accept-by-before-end]",
        f"offers/o.yaml:{line_of(text, 'not-an-email')}:5: notificationContacts[0]: "
        "is not a valid email address [email-format]",
        f"offers/o.yaml:{line_of(text, 'discountPercentage')}:5: "
        "pricing[0].discountPercentage: must be a number [schema]",
    ]


def test_an_unknown_type_is_checked_as_its_closest_match(project: Path) -> None:
    text = WOODGROVE.replace("customerPromotion", "customerPromo").replace(
        "acceptBy: 2027-06-30", "acceptBy: 2028-12-31"
    )
    found = validate(project, text)
    assert len(found) == 2, found
    assert "unknown type 'customerPromo'; did you mean 'customerPromotion'?" in found[0]
    assert "acceptBy: 2028-12-31 is after end 2027-12-31" in found[1]


def test_a_misspelt_key_is_one_problem_not_two(project: Path) -> None:
    text = WOODGROVE.replace("discountPercentage: 10", "discountPercentag: 10")
    found = validate(project, text)
    assert len(found) == 1 and "did you mean 'discountPercentage'?" in found[0], found


@pytest.mark.parametrize(
    ("text", "line", "col", "message"),
    [
        ("name: x\nstate live\nend: 2027-01-01\n", 2, 1, "a key without its ':'"),
        ('name: "abc\nstate: live\nend: 2027-01-01\n', 1, 7, "a quoted string that is never"),
        ("name: x\nstate: [live\nend: 2027-01-01\n", 2, 8, "a '[' list that is never closed"),
        ("name: x\nc: {a: 1\nend: 2027-01-01\n", 2, 4, "a '{' mapping that is never closed"),
        ("name: x\npricing:\n\t- plan: a\n", 3, 1, "a tab character indents this line"),
        ("name: x\npricing:\n  - plan: a\n  \t  product: b\n", 4, 3, "a tab character"),
    ],
    ids=["missing-colon", "open-quote", "open-list", "open-mapping", "tab", "tab-after-spaces"],
)
def test_syntax_errors_point_at_the_mistake(
    project: Path, text: str, line: int, col: int, message: str
) -> None:
    [found] = validate(project, text)
    assert found.startswith(f"offers/o.yaml:{line}:{col}: invalid YAML: {message}"), found
