"""`reconciler validate` and `reconciler schema` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from tests.offers.conftest import REPO, example


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "offers").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_validate_examples_passes() -> None:
    result = CliRunner().invoke(cli, ["validate", str(REPO / "offers")])
    assert result.exit_code == 0, result.output
    assert "11 file(s), 11 valid offer(s)" in result.stdout


def test_validate_default_path_is_the_offers_setting(project: Path) -> None:
    (project / "offers" / "a.yaml").write_text(example("csp-promotion.yaml"))
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 0, result.output
    assert "1 file(s), 1 valid offer(s)" in result.stdout


def test_validate_reports_every_problem_as_text(project: Path) -> None:
    text = example("customer-percentage.yaml").replace(
        "discountPercentage: 10", "discountPercentag: 10"
    )
    (project / "offers" / "a.yaml").write_text(text)
    (project / "offers" / "b.yaml").write_text("a: 1\na: 2\n")
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 1
    line = text.splitlines().index("    discountPercentag: 10") + 1
    assert result.stdout.splitlines()[:-1] == [
        f"offers/a.yaml:{line}:5: pricing[0].discountPercentag: unknown field; "
        "did you mean 'discountPercentage'? [unknown-field]",
        'offers/b.yaml:2:1: duplicate key "a" [yaml-duplicate-key]',
    ]
    assert "2 error(s)" in result.stdout


def test_validate_json(project: Path) -> None:
    (project / "offers" / "ok.yaml").write_text(example("csp-promotion.yaml"))
    (project / "offers" / "bad.yaml").write_text("- 1\n")
    result = CliRunner().invoke(cli, ["validate", "--format", "json"])
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["files"] == 2
    assert document["offers"] == 1
    assert document["problems"] == [
        {
            "file": "offers/bad.yaml",
            "line": 1,
            "col": 1,
            "path": "",
            "message": "expected an offer (a YAML mapping), found a list; write one offer per file",
            "rule": "file-not-mapping",
            "severity": "error",
        }
    ]


def test_warnings_exit_zero(project: Path) -> None:
    text = example("customer-percentage.yaml").replace("start: 2027-01-01", "start: 2027-01-02")
    (project / "offers" / "a.yaml").write_text(text)
    result = CliRunner().invoke(cli, ["validate", "--no-strict"])
    assert result.exit_code == 0, result.output
    assert "[start-first-of-month, warning]" in result.stdout
    strict = CliRunner().invoke(cli, ["validate", "--strict"])
    assert strict.exit_code == 1


def test_validate_never_prints_a_signature(project: Path) -> None:
    text = example("customer-percentage.yaml").replace(
        "woodgrove-bank-msa-2027.pdf", "woodgrove-bank-msa-2027.pdf?sv=1&sig=U0VDUkVUU0lH"
    )
    text = text.replace("discountPercentage: 10", "discountPercentage: 1000")
    (project / "offers" / "a.yaml").write_text(text)
    result = CliRunner().invoke(cli, ["validate", "--format", "json"])
    assert result.exit_code == 1
    assert "U0VDUkVUU0lH" not in result.output
    rules = {p["rule"] for p in json.loads(result.stdout)["problems"]}
    assert rules == {"sas-signature", "discount-range"}


def test_schema_check_and_write(project: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["schema", "--check"]).exit_code == 1
    written = runner.invoke(cli, ["schema"])
    assert written.exit_code == 0, written.output
    assert (project / "schemas" / "offer.schema.json").is_file()
    assert runner.invoke(cli, ["schema", "--check"]).exit_code == 0
    out = project / "elsewhere"
    assert runner.invoke(cli, ["schema", "--out", str(out)]).exit_code == 0
    assert (out / "offer.schema.json").read_text() == (
        project / "schemas" / "offer.schema.json"
    ).read_text()
