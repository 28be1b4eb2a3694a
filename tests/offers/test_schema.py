"""The committed JSON Schema equals the generated one, is valid, and accepts the examples."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from ruamel.yaml import YAML

from reconciler.offers.schema import render_schemas
from tests.offers.conftest import EXAMPLES, REPO

SCHEMA_PATH = REPO / "schemas" / "offer.schema.json"
EXAMPLE_FILES = sorted(EXAMPLES.rglob("*.yaml"))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def test_committed_schemas_match_the_models() -> None:
    for name, text in render_schemas().items():
        committed = REPO / "schemas" / name
        assert committed.read_text(encoding="utf-8") == text, (
            f"{committed} is stale: run 'reconciler schema'"
        )


def test_every_example_kind_and_pricing_type_is_covered() -> None:
    seen = set()
    for path in EXAMPLE_FILES:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
        seen.add((data["privateOfferType"], data.get("offerPricingType")))
    assert {kind for kind, _ in seen} == {
        "customerPromotion",
        "cspPromotion",
        "multipartyPromotionOriginator",
        "multipartyPromotionChannelPartner",
    }
    assert {"editExistingOfferPricingOnly", "saasNewCustomizedPlans", "vmSoftwareReservations"} <= {
        p for _, p in seen
    }


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[p.name for p in EXAMPLE_FILES])
def test_examples_match_the_schema(validator: Draft202012Validator, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    depth = len(path.relative_to(EXAMPLES).parts) - 1
    assert text.splitlines()[0] == (
        "# yaml-language-server: $schema=" + "../" * (depth + 1) + "schemas/offer.schema.json"
    )
    data = _jsonable(YAML(typ="safe").load(text))
    # The quickstart validates with no environment, and no example commits a signature.
    assert "${" not in json.dumps(data) and "sig=" not in json.dumps(data)
    errors = [e.message for e in validator.iter_errors(data)]
    assert errors == []


def test_schema_rejects_what_the_loader_rejects(validator: Draft202012Validator) -> None:
    data = _jsonable(YAML(typ="safe").load((EXAMPLES / "customer-percentage.yaml").read_text()))
    data["eTag"] = "x"
    assert not validator.is_valid(data)
    data.pop("eTag")
    data["pricing"][0]["discountPercentage"] = 150
    assert not validator.is_valid(data)
