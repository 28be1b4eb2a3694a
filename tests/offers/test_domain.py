"""The offer domain's facts: spellings, identity keys, field ownership, lifecycle."""

from __future__ import annotations

import typing

import pytest

from reconciler.offers import domain, fields
from reconciler.offers.model import KIND_MODELS, ChannelPartnerOffer, StateName
from tests.offers.conftest import Loader, example


def test_both_channel_partner_spellings_read_one_written(load: Loader) -> None:
    text = example("partner/partner-completion.yaml").replace(
        "multipartyPromotionChannelPartner", "multiPartyPromotionChannelPartner"
    )
    offer_file = load(text)
    assert isinstance(offer_file.offer, ChannelPartnerOffer)
    assert offer_file.api_body()["privateOfferType"] == "multipartyPromotionChannelPartner"
    assert domain.is_channel_partner("multiPartyPromotionChannelPartner")
    assert domain.canonical_type("multiPartyPromotionChannelPartner") == domain.CHANNEL_PARTNER
    assert domain.canonical_type("somethingElse") == "somethingElse"


def test_every_type_has_a_model_and_every_state_a_literal() -> None:
    assert set(KIND_MODELS) == set(domain.PRIVATE_OFFER_TYPES)
    assert typing.get_args(StateName) == domain.OFFER_STATES


@pytest.mark.parametrize(
    ("a", "b"),
    [("Contoso deal", "contoso DEAL"), (" Contoso deal ", "Contoso deal"), ("Straße", "STRASSE")],
)
def test_names_match_whatever_the_case_and_surrounding_spaces(a: str, b: str) -> None:
    assert domain.same_name(a, b)


def test_names_that_differ_inside_are_different_offers() -> None:
    assert not domain.same_name("Contoso deal", "Contoso  deal")


def test_offer_ids_with_and_without_prefix_are_one_key() -> None:
    guid = "0B1C2D3E-4F5A-4B6C-8D7E-9F0A1B2C3D4E"
    assert domain.offer_key(f"private-offer/{guid}") == domain.offer_key(guid.lower())


def test_plan_ids_of_the_live_form_and_the_docs_form_are_one_key() -> None:
    product = "product/34771906-9711-4196-9f60-4af380fd5042"
    long = "plan/34771906-9711-4196-9f60-4af380fd5042/123456"
    assert domain.plan_key(long, product) == "plan/123456"
    assert domain.plan_key("plan/123456", product) == "plan/123456"
    assert domain.plan_key(long) == "plan/123456"
    # a plan of another product keeps its long form so the mismatch shows
    assert domain.plan_key(long, "product/00000000-0000-0000-0000-000000000000") == long
    assert domain.product_id(domain.product_guid(product)) == product
    # a durable id (a GUID) names its plan by itself: only the plan list relates the two
    durable = "plan/34771906-9711-4196-9f60-4af380fd5042/c61642ed-1d5e-51b8-9491-0668505383aa"
    assert domain.plan_key(durable, product) == durable


def test_each_multiparty_field_has_one_owner() -> None:
    assert domain.CHANNEL_PARTNER not in domain.ALTERNATIVE_SPELLINGS
    assert set(fields.PARTNER_OWNED_FIELDS).isdisjoint(fields.ORIGINATOR_OWNED_FIELDS)
    assert "markupPercentage" in fields.PARTNER_PRICING_VIEW
    assert fields.PARTNER_PRICING_VIEW.isdisjoint(fields.ORIGINATOR_OWNED_PRICING_FIELDS)
    # a selling partner's file can carry exactly its own fields plus the identity
    partner_keys = {f.alias for f in ChannelPartnerOffer.model_fields.values()}
    owned = {k for k, o in fields.MULTIPARTY_FIELDS.items() if o is not fields.Owner.ORIGINATOR}
    assert partner_keys - {"resourceName"} == owned


def test_lifecycle_transitions_follow_the_docs() -> None:
    S = domain.OfferState
    assert domain.can_transition("draft", "live")
    assert domain.can_transition("live", "withdrawn")
    assert not domain.can_transition("live", "draft")
    assert not domain.can_transition("live", "deleted")  # only drafts are deleted
    # "a withdrawn offer goes back to Draft and becomes editable"
    assert domain.STATE_AFTER_WITHDRAW is S.DRAFT
    assert domain.can_transition("withdrawn", "draft")
    assert domain.can_transition("withdrawn", "live")
    assert not domain.TRANSITIONS[S.DELETED]
    assert not domain.can_transition("unknown", "live")
