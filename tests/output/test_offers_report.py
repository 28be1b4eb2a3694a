"""`reconciler report --html`: one self-contained page with every managed offer."""

from __future__ import annotations

import re
from pathlib import Path

from .conftest import Cli


def test_the_page_lists_every_offer_with_its_terms_and_needs_nothing_else(
    examples_project: Path, reconciler: Cli
) -> None:
    code, _, err = reconciler("apply", "--emulator", "--auto-approve")
    assert code == 0, err
    code, out, err = reconciler("report", "--emulator", "--html", "report/offers.html")
    assert code == 0, err
    assert "10 offers" in out
    page = (examples_project / "report" / "offers.html").read_text()
    for path in (examples_project / "offers").glob("*.yaml"):
        name = re.search(r"^name: (.+)$", path.read_text(), re.M)
        assert name and name.group(1) in page, path
    row = page.split("Woodgrove Bank Analytics discount 2027</b>")[1].split("</tr>")[0]
    # the file says 8 % (examples_project): 92 a month against a list price of 100
    assert "Woodgrove Bank" in row and "discount 8 %" in row
    assert "1 month: 92 (list 100 USD/month)" in row
    assert "2027-01-01 → 2027-12-31" in row and '<td class="state-live">live</td>' in row
    assert "<td>no</td>" in row  # not accepted yet
    # self-contained: no script, nothing loaded from anywhere
    assert "<script" not in page and "<link" not in page and "src=" not in page
    assert page.count("<svg") == 1 and ">today</text>" in page


def test_offer_text_is_escaped(examples_project: Path, reconciler: Cli) -> None:
    path = examples_project / "offers" / "customer-percentage.yaml"
    path.write_text(
        path.read_text().replace(
            "description: Woodgrove Bank", "description: '<script>alert(1)</script>'"
        )
    )
    code, _, err = reconciler("report", "--emulator", "--html", "offers.html")
    assert code == 0, err
    page = (examples_project / "offers.html").read_text()
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
