"""Documentation conformance: every JSON sample of the two Microsoft pages is a fixture.

``tests/emulator/samples/*.txt`` are the samples verbatim (a test checks they still are).
The emulator accepts each request sample with the documented response shape; the bodies
the reconciler sends for the same kind of offer use the samples' field names and nesting,
and the partner's completion re-sends what the documented partner sample re-sends.

The pages themselves are fixtures too (``samples/pages``, with their source addresses), so
this runs on any clone. Every edit made before sending is listed here with its reason;
everything else, the dates included, is sent as written:

* ``REPAIRS``: the samples' JSON typos (missing commas and braces, a trailing comma),
  repaired as the surrounding prose means them (the samples are not JSON as published);
* ``IDS``: placeholder ids (``xxxxxx-...``, not GUIDs) become ids the emulator's accounts
  know;
* ``_catalogue_ids``: the SaaS and VM samples price ``plan/123456``/``plan/987654`` of a
  product whose plans the emulator's catalogue names apart; they become its plans;
* the SaaS sample's ``offerPricingType: newSimpleAbsolutePricing`` (a typo, digest §4.2)
  becomes ``saasNewCustomizedPlans``; the sample as written is sent too, and refused.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import EmbeddedEmulator, EmulatorConfig
from tests.emulator.cli import client_env, reconciler
from tests.emulator.conftest import Api

SAMPLES = Path(__file__).parent / "samples"
# The documentation pages themselves, with their source addresses (samples/pages/README.md).
PAGES = SAMPLES / "pages"
EXAMPLES = Path(__file__).resolve().parents[2] / "offers"
DATA_PLATFORM = "product/7ba807c8-386a-4efe-80f1-b97bf8a554f8"
SECURE_VM = "product/0c1f6c2e-7d1a-4c5e-9a3b-2f4d5e6a7b8c"

# The samples' JSON typos, repaired as the surrounding prose means them.
REPAIRS = [
    (re.compile(r'\}\n"basePlan"'), '},\n"basePlan"'),  # missing comma after priceDetails
    (re.compile(r'("newPlanDetails": \{\n[^}]*\}\n)\],'), r"\1}\n],"),  # unclosed entry
    (re.compile(r'("basePlan": "plan/987654"\n)\],'), r"\1}\n],"),  # unclosed entry
    (re.compile(r'"discountPercentage": 5\n"markup'), '"discountPercentage": 5,\n"markup'),
    (re.compile(r'",\n\}\n\]\n\}\s*$'), '"\n}\n]\n}\n'),  # trailing comma
    (re.compile(r"\],\s*$"), "]\n"),  # a fragment cut before the next key
]
# Placeholder ids -> ids the emulator's catalogue and accounts know.
IDS = [
    ("xxxxxx-2163-5eea-ae4e-d6e88627c26b", "5e3d2f1a-2163-5eea-ae4e-d6e88627c26b"),
    ("xxxxxxx-0a32-4b44-b904-39dd964dd790", "7c9e6679-0a32-4b44-b904-39dd964dd790"),
    ("xxxxxxx-48b4-af80-66333cd9c609", "9b2d6c1e-48b4-4f80-a6d3-66333cd9c609"),
]


def sample(name: str, *, typo_fixed: bool = True) -> Any:
    text = (SAMPLES / name).read_text()
    for pattern, replacement in REPAIRS:
        text = pattern.sub(replacement, text)
    for old, new in IDS:
        text = text.replace(old, new)
    data = json.loads(text)
    if typo_fixed and "originator-saas" in name:
        # "One doc sample wrongly puts newSimpleAbsolutePricing here" (digest §4.2)
        data["resources"][0]["offerPricingType"] = "saasNewCustomizedPlans"
    return data


def _catalogue_ids(resource: dict[str, Any], *, vm: bool = False, per_user: bool = False) -> None:
    """The SaaS and VM samples price plans of products the emulator's catalogue names apart."""
    plan = "plan/555001" if vm else "plan/876543" if per_user else "plan/987654"
    if "privateOfferType" not in resource:  # a price resource
        resource["plan"] = plan
        if vm:
            resource["product"] = SECURE_VM
        return
    for entry in resource.get("pricing") or []:
        if isinstance(entry, dict) and "basePlan" in entry:
            entry["basePlan"] = plan
            if vm:
                entry["product"] = SECURE_VM


def test_fixtures_are_the_documentation_verbatim() -> None:
    pages = "\n".join(p.read_text() for p in sorted(PAGES.glob("*.txt")))
    assert len(sorted(PAGES.glob("*.txt"))) == 2
    files = sorted(SAMPLES.glob("*.txt"))
    assert len(files) == 13
    for path in files:
        assert path.read_text().strip() in pages, path.name


@pytest.fixture(scope="module")
def emu() -> Any:
    with EmbeddedEmulator(EmulatorConfig(tls=True, admin=True)) as running:
        yield running


def _accepted(api: Api, *resources: dict[str, Any]) -> dict[str, Any]:
    documented = sample("configure.response.txt")
    response = api.configure(*resources)
    assert response.status_code == 202, response.text
    status = response.json()
    assert set(status) == set(
        documented
    )  # $schema, jobId, jobStatus, jobResult, jobStart, jobEnd, errors
    assert status["$schema"] == documented["$schema"]
    assert status["jobStatus"] == documented["jobStatus"] and status["jobResult"] == "pending"
    done = api.wait(status["jobId"])
    assert done["jobResult"] == "succeeded", done
    return done


@pytest.mark.parametrize(
    "name",
    [
        "csp-create.request.txt",
        "mpo-originator-percentage.request.txt",
        "mpo-originator-saas.request.txt",
        "mpo-originator-vm-reservation.request.txt",
    ],
)
def test_every_request_sample_is_accepted_with_the_documented_answer(
    emu: EmbeddedEmulator, name: str
) -> None:
    api = Api(emu)
    body = sample(name)
    offer = body["resources"][0]  # its dates as written (acceptBy after end included)
    extra: list[dict[str, Any]] = []
    if "saas" in name:
        price = sample("price-saas-flat-rate.resource.txt")
        _catalogue_ids(price)
        _catalogue_ids(offer)
        extra.append(price)
    if "vm-reservation" in name:
        price = sample("price-vm-reservation.resource.txt")
        _catalogue_ids(price, vm=True)
        _catalogue_ids(offer, vm=True)
        extra.append(price)
    if name.startswith("csp"):
        offer["beneficiaries"] = sample("csp-beneficiary-recipients.fragment.txt")
    _accepted(api, *extra, offer)
    api.close()


@pytest.mark.parametrize(
    ("name", "per_user"),
    [
        ("price-edit-existing.resource.txt", False),
        ("price-saas-flat-rate.resource.txt", False),
        ("price-saas-per-user.resource.txt", True),
    ],
)
def test_every_price_resource_sample_is_accepted(
    emu: EmbeddedEmulator, name: str, per_user: bool
) -> None:
    api = Api(emu)
    price = sample(name)
    if "saas" in name:
        _catalogue_ids(price, per_user=per_user)
    _accepted(api, price)
    api.close()


def test_the_saas_sample_as_written_is_refused_for_its_typo(emu: EmbeddedEmulator) -> None:
    api = Api(emu)
    response = api.configure(
        sample("mpo-originator-saas.request.txt", typo_fixed=False)["resources"][0]
    )
    assert response.status_code == 400
    assert "offerPricingType" in response.text and "newSimpleAbsolutePricing" in response.text
    api.close()


def _plan_bodies(out: str) -> list[dict[str, Any]]:
    return [r for c in json.loads(out)["changes"] for s in c["steps"] for r in s["resources"]]


def test_reconciler_bodies_use_the_samples_fields(tmp_path: Path) -> None:
    (tmp_path / "offers").mkdir()
    for name in ("originator-percentage.yaml", "originator-absolute.yaml", "csp-promotion.yaml"):
        shutil.copy(EXAMPLES / name, tmp_path / "offers")
    with EmbeddedEmulator(EmulatorConfig(tls=True)) as emu:
        code, out = reconciler(["plan", "offers", "--format", "json"], client_env(emu), tmp_path)
    assert code == 0, out
    bodies = _plan_bodies(out)
    mpo_sample = sample("mpo-originator-percentage.request.txt")["resources"][0]
    csp_sample = sample("csp-create.request.txt")["resources"][0]
    price_sample = sample("price-edit-existing.resource.txt")
    entry_keys = set(sample("pricing-with-absolute.fragment.txt")[0]) | set(
        sample("pricing-with-absolute.fragment.txt")[1]
    )
    for body in bodies:
        kind = body.get("privateOfferType")
        if kind == "multipartyPromotionOriginator":
            documented = set(mpo_sample)
        elif kind == "cspPromotion":
            documented = set(csp_sample) | {"resourceName"}
        else:
            assert set(body) <= set(price_sample), sorted(set(body) - set(price_sample))
            assert set(body["pricing"]) <= set(price_sample["pricing"]) | {"customMeters"}
            continue
        # no field the samples do not send; the same nesting for pricing entries
        assert set(body) <= documented | {"start"}, sorted(set(body) - documented)
        for entry in body["pricing"]:
            assert set(entry) <= entry_keys, sorted(set(entry) - entry_keys)
            if entry.get("discountType") == "absolute":
                assert set(entry["priceDetails"]) == {"resourceName"}


def test_partner_completion_resends_what_the_documented_sample_resends(tmp_path: Path) -> None:
    isv, seller = tmp_path / "isv", tmp_path / "seller"
    (isv / "offers").mkdir(parents=True)
    (seller / "offers").mkdir(parents=True)
    shutil.copy(EXAMPLES / "originator-percentage.yaml", isv / "offers")
    shutil.copy(EXAMPLES / "partner" / "partner-completion.yaml", seller / "offers")
    with EmbeddedEmulator(EmulatorConfig(tls=True)) as emu:
        assert reconciler(["apply", "offers", "--auto-approve"], client_env(emu), isv)[0] == 0
        code, out = reconciler(
            ["plan", "offers", "--format", "json", "--role", "partner"],
            client_env(emu, "partner"),
            seller,
        )
    assert code == 0, out
    (body,) = _plan_bodies(out)
    documented = sample("mpo-partner-completion.request.txt")["resources"][0]
    missing = set(documented) - set(body)
    assert not missing, sorted(missing)  # everything the sample re-sends is re-sent
    # beyond the sample: the id it updates, and fields of this offer the sample does not have
    assert set(body) - set(documented) <= {"id", "notes", "customerContractRenewal", "start"}
    for entry in body["originatorPricing"]:
        assert set(documented["originatorPricing"][0]) <= set(entry) | {"discountPercentage"}
        assert "markupPercentage" in entry
