"""The plan comment a deal desk approves from: who, how much, when and what risk, in each row."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from .conftest import REPO, Cli, git

WOODGROVE = "offers/customer-percentage.yaml"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example offers as written, in git, against the embedded emulator."""
    monkeypatch.chdir(tmp_path)
    for name in ("NO_COLOR", "FORCE_COLOR", "RECONCILER_ROLE", "RECONCILER_ENDPOINT", "CI"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "reconciler.toml").write_text('offers = "offers"\n[apply]\npoll-interval = 0.01\n')
    shutil.copytree(REPO / "offers", tmp_path / "offers")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "offers")
    return tmp_path


def table_rows(markdown: str) -> dict[str, str]:
    """Offer name -> its row of the summary table."""
    rows = {}
    for line in markdown.splitlines():
        found = re.match(r"\| \S+ \*\*(.+?)\*\*", line)
        if found:
            rows[found.group(1)] = line
    return rows


def readable(cell: str) -> str:
    """A row as GitHub shows it: markdown escapes removed."""
    return re.sub(r"\\(.)", r"\1", cell)


def test_the_woodgrove_row_says_who_how_much_and_when(project: Path, reconciler: Cli) -> None:
    code, _, err = reconciler("apply", "--emulator", "--auto-approve")
    assert code == 0, err
    path = project / WOODGROVE
    path.write_text(path.read_text().replace("discountPercentage: 10", "discountPercentage: 12"))
    code, _, err = reconciler(
        "plan", "--emulator", "--allow-republish", "--markdown-out", "plan.md", WOODGROVE
    )
    assert code == 0, err
    markdown = (project / "plan.md").read_text()
    row = readable(table_rows(markdown)["Woodgrove Bank Analytics discount 2027"])
    assert "Woodgrove Bank" in row.split("|")[2]  # the customer, by name
    assert "Contoso Analytics · Standard" in row
    assert "discount 10 → 12 %" in row
    assert "90 → 88 (list 100 USD/month)" in row  # the monthly term's price per month
    assert "81 → 79.2 (list 90 USD/month)" in row  # and the yearly one's
    assert "2027-01-01 → 2027-12-31" in row  # the term
    assert "| 2027-06-30 |" in row  # accept by
    assert "⚠ republish" in row  # the risk, on the offer's own row
    # The alert above the table names the offer it warns about.
    alert = markdown.split("| Offer |")[0]
    assert "**Woodgrove Bank Analytics discount 2027** is withdrawn, edited and republished" in (
        readable(alert)
    )
    # A disruptive change's details are open.
    assert "<details open><summary>🔁 Woodgrove Bank Analytics discount 2027" in markdown


def test_every_terms_url_is_whole_in_the_plan_that_creates_it(
    project: Path, reconciler: Cli
) -> None:
    code, _, err = reconciler("plan", "--emulator", "--markdown-out", "plan.md")
    assert code == 0, err
    markdown = (project / "plan.md").read_text()
    urls = set()
    for path in (project / "offers").glob("*.yaml"):  # the publisher's files, created here
        urls |= set(re.findall(r"(?:[sS]asUrl): (https://\S+)", path.read_text()))
    assert len(urls) == 6
    for url in sorted(urls):
        assert url in markdown, url
    # Creates read as a row of the table; their files stay one click away, folded.
    rows = table_rows(markdown)
    litware = readable(rows["Litware Analytics renewal 2027"])
    assert "Litware Inc." in litware and "discount 15 %" in litware
    assert "<details><summary>The offer file (" in markdown
    assert "<details open>" not in markdown  # ten harmless creates: every one collapsed


def test_a_steep_discount_marks_its_row_and_the_warning_speaks_names(
    project: Path, reconciler: Cli
) -> None:
    code, _, err = reconciler("apply", "--emulator", "--auto-approve")
    assert code == 0, err
    path = project / WOODGROVE
    path.write_text(path.read_text().replace("discountPercentage: 10", "discountPercentage: 95"))
    code, _, err = reconciler(
        "plan", "--emulator", "--allow-republish", "--markdown-out", "plan.md", WOODGROVE
    )
    assert code == 0, err
    markdown = (project / "plan.md").read_text()
    row = readable(table_rows(markdown)["Woodgrove Bank Analytics discount 2027"])
    assert "⚠ price guard (discount threshold): 95 % on Contoso Analytics · Standard" in row
    assert "90 → 5 (list 100 USD/month)" in row
    warning = readable(markdown.split("| Offer |")[0])
    assert "95 % discount on Contoso Analytics · Standard is above the 60 %" in warning
    assert "plan/123456 of product/" not in warning  # names, not ids


def test_a_renamed_file_gets_its_line(project: Path, reconciler: Cli) -> None:
    code, _, err = reconciler("apply", "--emulator", "--auto-approve")
    assert code == 0, err
    git(project, "mv", WOODGROVE, "offers/woodgrove-2027.yaml")
    code, out, err = reconciler("plan", "--emulator", "--markdown-out", "plan.md")
    assert code == 0, err
    markdown = (project / "plan.md").read_text()
    assert "### Renamed files" in markdown
    assert (
        "- `offers/customer-percentage.yaml` → `offers/woodgrove-2027.yaml`: "
        "**Woodgrove Bank Analytics discount 2027**, the same offer"
    ) in markdown
    assert "offers/customer-percentage.yaml → offers/woodgrove-2027.yaml" in out
    assert "removed" not in markdown.split("\n")[0]  # a move is not a removal


def test_the_terminal_shows_the_same_row(project: Path, reconciler: Cli) -> None:
    code, _, err = reconciler("apply", "--emulator", "--auto-approve")
    assert code == 0, err
    path = project / WOODGROVE
    path.write_text(path.read_text().replace("discountPercentage: 10", "discountPercentage: 12"))
    code, out, err = reconciler("plan", "--emulator", "--allow-republish", WOODGROVE)
    assert code == 0, err
    assert "    Woodgrove Bank · Contoso Analytics · Standard\n" in out
    assert "    1 month: 90 → 88 (list 100 USD/month)\n" in out
    assert "    2027-01-01 → 2027-12-31 · accept by 2027-06-30\n" in out
    assert "    ⚠ republish\n" in out
