"""What a pull request's files can make the loader read or expand.

* Symbolic links in the offers folder (to a file, to a folder, or the folder itself) are
  refused with an error naming them, and nothing is read through them: the link targets
  here are valid offers, so reading one would make the command succeed.
* ``${VAR}`` expands only variables the settings list (``env = [...]``) or that carry the
  ``RECONCILER_VAR_`` prefix, and never in names, descriptions or notes.
* A literal SAS signature is refused in any spelling: ``sig=`` and ``sig%3D``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from reconciler.cli import cli
from reconciler.cli.common import run
from tests.reliability.support import EXAMPLES

CANARY_NAME = "CANARY outside offer"
SOURCE = EXAMPLES / "customer-percentage.yaml"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / "offers").mkdir(parents=True)
    monkeypatch.chdir(root)
    for name in ("RECONCILER_ENDPOINT", "GITHUB_ACTIONS", "AZURE_CLIENT_ID", "AZURE_TENANT_ID"):
        monkeypatch.delenv(name, raising=False)
    shutil.copy(SOURCE, root / "offers" / "woodgrove.yaml")
    # Valid offers outside the project: what a link would reach.
    outside = tmp_path / "outside"
    outside.mkdir()
    text = SOURCE.read_text().replace("name: ", f"name: {CANARY_NAME} ", 1)
    (outside / "secret.yaml").write_text(text)
    return root


def cli_run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = run(cli, list(args))
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.mark.parametrize("command", [("validate", "offers"), ("plan", "offers", "--emulator")])
def test_a_symlinked_offer_file_is_refused_and_not_read(
    project: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    os.symlink(project.parent / "outside" / "secret.yaml", project / "offers" / "link.yaml")
    code, output = cli_run(capsys, *command)
    assert code == 1, output
    assert "offers/link.yaml" in output and "symbolic link" in output
    assert CANARY_NAME not in output
    assert "Traceback" not in output


def test_a_symlinked_folder_or_offers_folder_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.symlink(project.parent / "outside", project / "offers" / "more")
    code, output = cli_run(capsys, "validate", "offers")
    assert code == 1, output
    assert "offers/more" in output and "symbolic link" in output
    assert CANARY_NAME not in output
    # The whole offers folder a link (a pull request can commit that too).
    shutil.rmtree(project / "offers")
    os.symlink(project.parent / "outside", project / "offers")
    code, output = cli_run(capsys, "validate", "offers")
    assert code == 1, output
    assert "symbolic link" in output and CANARY_NAME not in output
    # An explicit file through the linked folder: refused as well.
    code, output = cli_run(capsys, "validate", "offers/secret.yaml")
    assert code == 1 and "symbolic link" in output, output


def test_regular_files_still_load(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = cli_run(capsys, "validate", "offers")
    assert code == 0, output


def _with(project: Path, old: str, new: str) -> None:
    path = project / "offers" / "woodgrove.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_only_listed_or_prefixed_variables_expand(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RUNNER_SECRET_THING", "CANARY-runner-value-31")
    monkeypatch.setenv("TERMS_SIG", "CANARY-terms-sig-77")
    monkeypatch.setenv("RECONCILER_VAR_CONTACT", "amy@contoso.com")
    url = "https://contosolegal.blob.core.windows.net/terms/w.pdf?sv=2022-11-02&sig="
    _with(project, "preparedBy: amy@contoso.com", "preparedBy: ${RUNNER_SECRET_THING}")
    code, output = cli_run(capsys, "validate", "offers")
    assert code == 1, output
    assert "offers/woodgrove.yaml:11" in output and "RUNNER_SECRET_THING" in output
    assert "env = [" in output  # says how to allow it
    assert "CANARY-runner-value-31" not in output
    # Listed in the settings, or prefixed: expanded.
    _with(project, "${RUNNER_SECRET_THING}", "${RECONCILER_VAR_CONTACT}")
    _with(
        project,
        "termsAndConditionsDocSasUrl: https://contosolegal.blob.core.windows.net/terms/"
        "woodgrove-bank-msa-2027.pdf",
        f"termsAndConditionsDocSasUrl: {url}${{TERMS_SIG}}",
    )
    (project / "reconciler.toml").write_text('env = ["TERMS_SIG"]\n')
    code, output = cli_run(capsys, "validate", "offers")
    assert code == 0, output


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("name: Woodgrove", "name: ${RECONCILER_VAR_X} Woodgrove", "name"),
        ("description: Woodgrove Bank", "description: ${RECONCILER_VAR_X}", "description"),
    ],
)
def test_variables_never_expand_into_names_or_descriptions(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    old: str,
    new: str,
    field: str,
) -> None:
    monkeypatch.setenv("RECONCILER_VAR_X", "CANARY-expanded-into-text")
    _with(project, old, new)
    code, output = cli_run(capsys, "validate", "offers")
    assert code == 1, output
    assert field in output and "${RECONCILER_VAR_X}" in output
    assert "CANARY-expanded-into-text" not in output


@pytest.mark.parametrize("sig", ["sig=AbCdEf0123%2F456%3D", "sig%3DAbCdEf0123%2F456%3D"])
def test_a_literal_signature_is_refused_in_any_spelling(
    project: Path, capsys: pytest.CaptureFixture[str], sig: str
) -> None:
    _with(project, "woodgrove-bank-msa-2027.pdf", f"w.pdf?sv=2022-11-02&{sig}")
    code, output = cli_run(capsys, "validate", "offers")
    assert code == 1, output
    assert "literal SAS signature" in output and "offers/woodgrove.yaml:15" in output
    assert "AbCdEf0123" not in output
