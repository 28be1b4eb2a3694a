"""Reading files: YAML failures, hostile input, ${ENV}, SAS signatures, several files."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import OfferFilesInvalid, Problem
from reconciler.offers import discover_offer_files, load_offer_files
from reconciler.offers.loader import MAX_FILE_BYTES
from reconciler.offers.template_value import Template
from reconciler.settings import Settings
from tests.offers.conftest import TODAY, Loader, example

CUSTOMER = example("customer-percentage.yaml")
TERMS = "termsAndConditionsDocSasUrl: https://contosolegal.blob.core.windows.net/terms/woodgrove-bank-msa-2027.pdf"
SIGNED = "termsAndConditionsDocSasUrl: https://x.blob.core.windows.net/t/a.pdf?sv=2022&sig=c2VjcmV0LXNpZ25hdHVyZQ%3D"


def _problems(load: Loader, text: str, **kwargs: object) -> list[Problem]:
    with pytest.raises(OfferFilesInvalid) as caught:
        load(text, "o.yaml", **kwargs)
    return caught.value.problems


def _one(load: Loader, text: str, **kwargs: object) -> Problem:
    problems = _problems(load, text, **kwargs)
    assert len(problems) == 1, problems
    return problems[0]


@pytest.mark.parametrize(
    ("text", "rule", "line", "message"),
    [
        ("name: [unclosed\n", "yaml", 1, "never closed"),
        ("a: 1\nb: 2\na: 3\n", "yaml-duplicate-key", 3, 'duplicate key "a"'),
        ("a: !!python/object/apply:os.system ['echo hi']\n", "yaml", 1, "python/object"),
        ("", "file-empty", 0, "file is empty"),
        ("# only a comment\n", "file-empty", 0, "file is empty"),
        ("- a\n- b\n", "file-not-mapping", 1, "found a list"),
        ("just text\n", "file-not-mapping", 1, "found a string"),
        ("[" * 200 + "]" * 200 + "\n", "yaml-too-complex", 1, "nesting"),
        ("a: &a [*a]\n", "yaml-too-complex", 1, "recursive"),
        ("? [a, b]\n: 1\n", "yaml-key", 1, "found tuple key"),
        ("1: one\nprivateOfferType: cspPromotion\n", "yaml-key", 1, "keys must be text"),
        ("a: !!binary aGVsbG8=\n", "yaml-type", 1, "bytes"),
        ("privateOfferType: 3\n", "private-offer-type", 1, "must be one of"),
        ("name: x\n", "private-offer-type", 1, "is required"),
    ],
    ids=[
        "syntax",
        "duplicate-key",
        "python-tag",
        "empty",
        "comment-only",
        "top-level-list",
        "top-level-scalar",
        "deep-nesting",
        "recursive-alias",
        "complex-key",
        "integer-key",
        "binary",
        "kind-not-text",
        "kind-missing",
    ],
)
def test_hostile_or_broken_yaml_is_a_problem(
    load: Loader, text: str, rule: str, line: int, message: str
) -> None:
    problems = _problems(load, text)
    assert (problems[0].rule, problems[0].line) == (rule, line), problems
    assert message in problems[0].message


def test_duplicate_key_message_does_not_echo_values(load: Loader) -> None:
    problem = _one(load, "sasUrl: https://a?sig=one\nsasUrl: https://a?sig=two\n")
    assert "sig=" not in problem.message


def test_alias_bomb_is_bounded(load: Loader) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    problem = _one(load, "\n".join(lines) + "\n")
    assert problem.rule == "yaml-too-complex"
    assert "more than" in problem.message


def test_binary_and_oversized_files(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "binary.yaml").write_bytes(b"name: \xff\xfe\x00\x01")
    (tmp_path / "huge.yaml").write_text("a: " + "x" * MAX_FILE_BYTES, encoding="utf-8")
    (tmp_path / "latin1.yaml").write_bytes("a: 1\nname: caf\xe9\n".encode("latin-1"))
    with pytest.raises(OfferFilesInvalid) as caught:
        load_offer_files([tmp_path], settings, today=TODAY, env={})
    found = {Path(p.file).name: p for p in caught.value.problems}
    assert found["binary.yaml"].rule == "file-encoding"
    assert found["huge.yaml"].rule == "file-too-large"
    assert (found["latin1.yaml"].rule, found["latin1.yaml"].line) == ("file-encoding", 2)


def test_every_file_is_reported_in_one_run(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "a.yaml").write_text(CUSTOMER.replace("state: live", "state: on"), "utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.yml").write_text(
        CUSTOMER.replace("name: Woodgrove", "name: W#"), "utf-8"
    )
    (tmp_path / "c.yaml").write_text("a: [\n", "utf-8")
    (tmp_path / "ok.yaml").write_text(example("csp-promotion.yaml"), "utf-8")
    (tmp_path / "notes.txt").write_text("not an offer", "utf-8")
    with pytest.raises(OfferFilesInvalid) as caught:
        load_offer_files([tmp_path], settings, today=TODAY, env={})
    by_file = {Path(p.file).name: p.rule for p in caught.value.problems}
    assert by_file == {"a.yaml": "schema", "b.yml": "name-characters", "c.yaml": "yaml"}


def test_missing_path_is_a_problem(tmp_path: Path, settings: Settings) -> None:
    with pytest.raises(OfferFilesInvalid) as caught:
        load_offer_files([tmp_path / "nope"], settings, today=TODAY)
    problem = caught.value.problems[0]
    assert (problem.rule, problem.message) == ("file-read", "no such file or directory")


def test_discovery_is_sorted_recursive_and_skips_hidden(tmp_path: Path) -> None:
    for name in ("b.yaml", "a.yml", "sub/c.yaml", ".hidden/d.yaml", "e.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x: 1")
    found = [p.relative_to(tmp_path).as_posix() for p in discover_offer_files([tmp_path])]
    assert found == ["a.yml", "b.yaml", "sub/c.yaml"]


def test_duplicate_names_and_ids_across_files(tmp_path: Path, settings: Settings) -> None:
    pin = "state: live\nid: private-offer/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e\n"
    (tmp_path / "a.yaml").write_text(CUSTOMER.replace("state: live\n", pin), "utf-8")
    (tmp_path / "b.yaml").write_text(CUSTOMER.replace("state: live\n", pin), "utf-8")
    with pytest.raises(OfferFilesInvalid) as caught:
        load_offer_files([tmp_path], settings, today=TODAY, env={})
    rules = sorted((p.rule, Path(p.file).name, p.path) for p in caught.value.problems)
    assert rules == [("duplicate-id", "b.yaml", "id"), ("duplicate-name", "b.yaml", "name")]
    assert "a.yaml:" in caught.value.problems[0].message


def test_partner_file_may_share_the_originator_name(settings: Settings) -> None:
    files = load_offer_files([Path("offers")], settings, today=TODAY, env={})
    names = [f.name for f in files if f.name.startswith("Adventure Works")]
    assert len(names) == 2


# --- ${ENV} ------------------------------------------------------------------------------------


def test_env_templates_are_expanded_and_remembered(load: Loader) -> None:
    url = "https://x.blob.core.windows.net/t/a.pdf?sv=2022&sig=c2VjcmV0LXNpZ25hdHVyZQ%3D"
    text = CUSTOMER.replace(TERMS, "termsAndConditionsDocSasUrl: ${TERMS_SAS_URL}")
    offer_file = load(text, env={"TERMS_SAS_URL": url})
    body = offer_file.api_body()
    assert body["termsAndConditionsDocSasUrl"] == url
    template = body["termsAndConditionsDocSasUrl"]
    assert isinstance(template, Template)
    assert (template.source, template.line) == (
        "${TERMS_SAS_URL}",
        offer_file.position(["termsAndConditionsDocSasUrl"])[0],
    )
    assert "c2VjcmV0" not in repr(offer_file)


def test_unset_env_variable_is_reported_at_its_line(load: Loader) -> None:
    text = CUSTOMER.replace(TERMS, "termsAndConditionsDocSasUrl: ${TERMS_SAS_URL}")
    problem = _one(load, text)
    assert problem.rule == "env-unset"
    assert problem.path == "termsAndConditionsDocSasUrl"
    assert (
        problem.line == text.splitlines().index("termsAndConditionsDocSasUrl: ${TERMS_SAS_URL}") + 1
    )
    assert "TERMS_SAS_URL is not set" in problem.message


# --- SAS signatures ------------------------------------------------------------------------------


def test_literal_sas_signature_is_an_error(load: Loader) -> None:
    problem = _one(load, CUSTOMER.replace(TERMS, SIGNED))
    assert (problem.rule, problem.path) == ("sas-signature", "termsAndConditionsDocSasUrl")
    assert "${VAR}" in problem.message
    assert "c2VjcmV0" not in problem.message


def test_literal_sas_signature_in_terms_docs_is_an_error(load: Loader) -> None:
    text = example("originator-percentage.yaml").replace(
        "adventure-works-mpo-2027.pdf\n", "adventure-works-mpo-2027.pdf?sp=r&sig=abc123\n", 1
    )
    assert _one(load, text).path == "termsAndConditionsDocs[0].sasUrl"


@pytest.mark.parametrize(
    ("text", "settings_value"),
    [
        (CUSTOMER.replace(TERMS, SIGNED), True),
        (CUSTOMER.replace(TERMS, SIGNED) + "reconciler:\n  allowSasSignature: true\n", False),
        (CUSTOMER.replace(TERMS, TERMS + "?sv=2022&sig=${TERMS_SIG}"), False),
    ],
    ids=["settings", "file-controls", "templated-signature"],
)
def test_sas_signature_allowed(load: Loader, text: str, settings_value: bool) -> None:
    settings = Settings(allow_sas_signature=settings_value, env=["TERMS_SIG"])
    offer_file = load(text, settings=settings, env={"TERMS_SIG": "abc"})
    assert "sig=" in offer_file.api_body()["termsAndConditionsDocSasUrl"]


# --- the result ---------------------------------------------------------------------------------


def test_api_body_is_the_resource_body(load: Loader) -> None:
    text = example("customer-absolute.yaml").replace(
        "state: live\n",
        "state: live\n$schema: https://schema.mp.microsoft.com/schema/private-offer/2024-09-30\n",
    )
    offer_file = load(text)
    body = offer_file.api_body()
    assert "$schema" not in body and "reconciler" not in body
    assert offer_file.controls.protect is True
    assert body["end"] == "2027-06-30"
    prices = body["pricing"][0]["priceDetails"]["pricing"]["recurrentPrice"]["prices"]
    assert prices[0] == {
        "billingTerm": {"type": "month", "value": 1},
        "paymentOption": {"type": "month", "value": 1},
        "pricePerPaymentInUsd": 950,
    }
    assert isinstance(prices[0]["pricePerPaymentInUsd"], int)

    def no_none(value: object) -> bool:
        if isinstance(value, dict):
            return all(v is not None and no_none(v) for v in value.values())
        if isinstance(value, list):
            return all(no_none(v) for v in value)
        return True

    assert no_none(body)


def test_position_points_at_fields(load: Loader) -> None:
    offer_file = load(CUSTOMER)
    lines = CUSTOMER.splitlines()
    assert offer_file.position(["pricing", 0, "discountPercentage"]) == (
        lines.index("    discountPercentage: 10") + 1,
        5,
    )
    assert (
        offer_file.position(["name"])[0]
        == lines.index("name: Woodgrove Bank Analytics discount 2027") + 1
    )
    # An absent field points at the closest parent that exists.
    assert (
        offer_file.position(["pricing", 0, "nothing"])[0]
        == lines.index("  - product: product/34771906-9711-4196-9f60-4af380fd5042") + 1
    )
    assert offer_file.kind == "customerPromotion"
    assert offer_file.state == "live"
    assert offer_file.id is None
