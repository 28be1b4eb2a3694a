"""Pydantic models of an offer file: the private-offer resource as the API names it.

Design:

* Field names are snake_case in Python and camelCase (the API's own names) in files, JSON
  and errors, so a user can paste a body from the docs. Only aliases are accepted on input.
* One model per ``privateOfferType``, joined in :data:`PrivateOffer`, a discriminated union:
  a file gets the errors of its own kind, not a list of four.
* The models check *shape* (keys, types, enums); every documented business rule (limits,
  id formats, dates, pricing-type combinations) lives in :mod:`reconciler.offers.rules`
  with a rule id, because those need a name, a source and a strictness.
* Numbers keep their type as written (``5`` stays an int, ``5.0`` a float) so the body we
  send and the diffs we compute show what the file says; booleans and numeric strings are
  refused instead of coerced (strict mode).
* Fields a file must not carry (read-only fields, fields a kind forbids) are simply absent
  from the models; :mod:`reconciler.offers.loader` turns the ``extra_forbidden`` error into
  the specific message.
* Which top-level fields each kind carries is the catalogue's (:mod:`reconciler.offers.fields`):
  a kind model declares the fields the rules read by attribute, and takes every other field
  of its kind from the catalogue; a declared field the catalogue does not list for the kind
  fails at import, so the two never disagree.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
    create_model,
)
from pydantic.alias_generators import to_camel, to_snake

from reconciler.offers.domain import OfferType
from reconciler.offers.fields import fields_of

OfferPricingType = Literal[
    "editExistingOfferPricingOnly",
    "saasNewCustomizedPlans",
    "vmSoftwareReservations",
    "newCustomizedPlans",
]
# The values of reconciler.offers.domain.OfferState (a Literal: strict models take plain text).
StateName = Literal["draft", "live", "withdrawn", "deleted"]
TermType = Literal["month", "year"]


def _number(value: object) -> int | float:
    # bool is an int subclass; `true` must not become 1.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        raise ValueError("must be a finite number")
    return value


Number = Annotated[int | float, PlainValidator(_number), WithJsonSchema({"type": "number"})]

_DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date(value: object) -> object:
    # YAML gives a date for an unquoted 2027-01-31 and a str for a quoted one; accept both,
    # nothing else (no datetimes, no Unix timestamps).
    if isinstance(value, dt.datetime):
        raise ValueError("must be a date (YYYY-MM-DD) without a time")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and _DATE_TEXT.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a calendar date") from None
    raise ValueError("must be a date in the form YYYY-MM-DD")


ApiDate = Annotated[
    dt.date, BeforeValidator(_date), WithJsonSchema({"type": "string", "format": "date"})
]


class ApiModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        serialize_by_alias=True,
        strict=True,
        use_attribute_docstrings=True,
        # Titles derived from snake_case names read oddly next to camelCase keys in editors.
        field_title_generator=lambda name, info: info.alias or name,
    )


# --- absolute prices (the inline price-and-availability-private-offer-plan body) -------------


class Term(ApiModel):
    type: TermType
    value: int = Field(ge=1)


class Price(ApiModel):
    billing_term: Term
    payment_option: Term | None = None
    price_per_payment_in_usd: Number


class UserLimits(ApiModel):
    min: int = Field(ge=0)
    max: int = Field(ge=0)


class RecurrentPrice(ApiModel):
    recurrent_price_mode: Literal["flatRate", "perUser"] | None = None
    price_input_option: Literal["usd"] = "usd"
    user_limits: UserLimits | None = None
    """Seat range; required for perUser, not allowed for flatRate."""
    prices: list[Price] = Field(min_length=1)


class IncludedQuantity(ApiModel):
    billing_term: Term
    quantity: Number | None = None
    is_infinite: bool | None = None


class Meter(ApiModel):
    """A custom meter: either a price per unit or included quantities, not both."""

    price_per_payment_in_usd: Number | None = None
    included_quantities: list[IncludedQuantity] | None = None


class CustomMeters(ApiModel):
    price_input_option: Literal["usd"] = "usd"
    meters: dict[str, Meter] = Field(min_length=1)


class PlanPricing(ApiModel):
    recurrent_price: RecurrentPrice | None = None
    custom_meters: CustomMeters | None = None


class VmPrice(ApiModel):
    quantity: Number
    unit_price_per_payment_period_in_usd: Number


class SoftwareReservation(ApiModel):
    reservation_duration: Term
    payment_schedule: Term
    vm_prices: dict[str, VmPrice] = Field(min_length=1)
    """Keyed by VM size (vCPU count), e.g. 36Core."""


class PriceDetails(ApiModel):
    """The absolute price of one plan, written inline (the plan layer sends it as a separate
    price-and-availability-private-offer-plan resource)."""

    pricing: PlanPricing | None = None
    software_reservation: SoftwareReservation | None = None


# --- pricing entries ------------------------------------------------------------------------


class NewPlanDetails(ApiModel):
    name: str
    description: str


class PricingEntry(ApiModel):
    product: str
    """Durable id product/<guid>."""
    plan: str | None = None
    """The public plan (editExistingOfferPricingOnly); omit for an offer-level percentage."""
    base_plan: str | None = None
    """The public plan used as template (saasNewCustomizedPlans, vmSoftwareReservations)."""
    new_plan_details: NewPlanDetails | None = None
    discount_type: Literal["percentage", "absolute"]
    discount_percentage: Number | None = None
    price_details: PriceDetails | None = None


class OriginatorPricingEntry(ApiModel):
    """A pricing entry of the originator, seen by the selling partner: it names the
    product/plan and sets the partner's markup; everything else is the originator's."""

    product: str
    plan: str | None = None
    base_plan: str | None = None
    markup_percentage: Number | None = None


# --- parties and documents ------------------------------------------------------------------


class CustomerRecipient(ApiModel):
    id: str
    recipient_type: Literal["billingGroup"]


class CspRecipient(ApiModel):
    id: str
    """Customer tenant id (GUID)."""
    recipient_type: Literal["cspCustomer"]


class CustomerBeneficiary(ApiModel):
    id: str
    """Customer billing account id: <guid>:<guid>_YYYY-MM-DD."""
    description: str | None = None
    beneficiary_recipients: list[CustomerRecipient] | None = None


class CspBeneficiary(ApiModel):
    id: str
    """CSP partner tenant id (GUID)."""
    description: str | None = None
    beneficiary_recipients: list[CspRecipient] | None = None


class Partner(ApiModel):
    id: str
    """Partner (MPN) id, e.g. "12345678"."""
    partner_name: str | None = None
    location: str | None = None


class TermsDocument(ApiModel):
    sas_url: str
    file_name: str
    customer_facing_document_name: str


class UpgradedFrom(ApiModel):
    id: str
    name: str | None = None


class FileControls(ApiModel):
    """The optional top-level `reconciler:` block: how the reconciler treats this offer.
    Never sent to the API."""

    protect: bool = False
    """The plan blocks any withdraw, delete or recreate of this offer."""
    ignore: list[str] = Field(default_factory=list)
    """Field paths the diff ignores, e.g. notificationContacts."""
    allow_republish: bool = False
    """The plan may withdraw, edit and republish this live offer."""
    allow_sas_signature: bool = False
    """Permit a literal sig= in a SAS URL of this file (it is a secret committed to git)."""


# --- the four kinds ---------------------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)


def _catalogued(kind: OfferType) -> Callable[[type[M]], type[M]]:
    """The kind model with every catalogue field of *kind* it does not declare itself."""

    def build(cls: type[M]) -> type[M]:
        declared = {info.alias or name for name, info in cls.model_fields.items()}
        listed = {f.name: f for f in fields_of(kind)}
        if unlisted := sorted(declared - listed.keys()):
            raise TypeError(f"{cls.__name__}: {unlisted} not in the catalogue for {kind}")
        added: dict[str, Any] = {}
        for name, entry in listed.items():
            if name in declared:
                continue
            if entry.annotation is None:
                raise TypeError(f"{cls.__name__}: catalogue field {name!r} has no annotation")
            field = Field(default=None, description=entry.doc, **entry.constraints)
            added[to_snake(name)] = (entry.annotation | None, field)  # type: ignore[operator]
        if not added:
            return cls
        return create_model(
            cls.__name__, __base__=cls, __module__=cls.__module__, __doc__=cls.__doc__, **added
        )

    return build


class OfferBase(ApiModel):
    id: str | None = None
    """private-offer/<guid>: pins the file to an existing offer."""
    resource_name: str | None = None
    name: str
    state: StateName


class _DatedOffer(OfferBase):
    variable_start_date: bool | None = None
    """True: the offer starts when the customer accepts it (no start)."""
    start: ApiDate | None = None
    end: ApiDate | None = None
    notification_contacts: list[str] | None = None


@_catalogued(OfferType.CUSTOMER)
class CustomerOffer(_DatedOffer):
    private_offer_type: Literal[OfferType.CUSTOMER]
    offer_pricing_type: OfferPricingType = "editExistingOfferPricingOnly"
    customer_contract_renewal: bool | None = None
    accept_by: ApiDate | None = None
    prepared_by: str | None = None
    terms_and_conditions_doc_sas_url: str | None = None
    beneficiaries: list[CustomerBeneficiary] | None = None
    pricing: list[PricingEntry] | None = None
    upgraded_from: UpgradedFrom | None = None


@_catalogued(OfferType.CSP)
class CspOffer(_DatedOffer):
    private_offer_type: Literal[OfferType.CSP]
    offer_pricing_type: Literal["editExistingOfferPricingOnly"] | None = None
    prepared_by: str | None = None
    beneficiaries: list[CspBeneficiary] | None = None
    pricing: list[PricingEntry] | None = None
    upgraded_from: UpgradedFrom | None = None


@_catalogued(OfferType.ORIGINATOR)
class OriginatorOffer(_DatedOffer):
    private_offer_type: Literal[OfferType.ORIGINATOR]
    offer_pricing_type: OfferPricingType = "editExistingOfferPricingOnly"
    customer_contract_renewal: bool | None = None
    accept_by: ApiDate | None = None
    terms_and_conditions_docs: list[TermsDocument] | None = None
    beneficiaries: list[CustomerBeneficiary] | None = None
    partners: list[Partner] | None = None
    pricing: list[PricingEntry] | None = None
    notes: str | None = None


@_catalogued(OfferType.CHANNEL_PARTNER)
class ChannelPartnerOffer(OfferBase):
    """The selling partner's side of a multiparty offer: only what the partner sets.
    Everything the originator owns (customer, dates, prices) comes from the live offer."""

    private_offer_type: Literal[OfferType.CHANNEL_PARTNER]
    prepared_by: str | None = None
    terms_and_conditions_docs: list[TermsDocument] | None = None
    notification_contacts: list[str] | None = None
    notes: str | None = None
    originator_pricing: list[OriginatorPricingEntry] | None = None


PrivateOffer = Annotated[
    CustomerOffer | CspOffer | OriginatorOffer | ChannelPartnerOffer,
    Field(discriminator="private_offer_type"),
]

KIND_MODELS: dict[str, type[OfferBase]] = {
    OfferType.CUSTOMER: CustomerOffer,
    OfferType.CSP: CspOffer,
    OfferType.ORIGINATOR: OriginatorOffer,
    OfferType.CHANNEL_PARTNER: ChannelPartnerOffer,
}
