"""Rules on one offer's own fields: names, ids, dates, presence by state, contacts, URLs."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterator, Sequence

from reconciler.offers.model import (
    ChannelPartnerOffer,
    CspOffer,
    CustomerOffer,
    OfferBase,
    OriginatorOffer,
)
from reconciler.offers.rules.common import (
    EMAIL,
    MAX_NAME_LENGTH,
    MAX_NOTIFICATION_CONTACTS,
    MAX_TERMS_DOCS,
    NAME_FORBIDDEN,
    OFFER_ID,
    PARTNER_NAME_BAD_LAST,
    RESOURCE_NAME_LENGTH,
    Finding,
    Path,
)


def identity(offer: OfferBase) -> Iterator[Finding]:
    if offer.id is not None and not OFFER_ID.match(offer.id):
        yield Finding(("id",), "must be a private offer id: private-offer/<guid>", "id-format")
    if offer.resource_name is not None:
        low, high = RESOURCE_NAME_LENGTH
        if not low <= len(offer.resource_name) <= high:
            yield Finding(
                ("resourceName",),
                f"must be {low} to {high} characters long",
                "resource-name-length",
            )
    name = offer.name
    if not name.strip():
        yield Finding(("name",), "must not be empty", "name-length")
    elif len(name) > MAX_NAME_LENGTH:
        yield Finding(
            ("name",),
            f"is {len(name)} characters long; at most {MAX_NAME_LENGTH} are allowed",
            "name-length",
        )
    if isinstance(offer, ChannelPartnerOffer):
        bad = sorted({c for c in name if not 0x20 <= ord(c) < 0x7F})
        if bad or (name and name[-1] in PARTNER_NAME_BAD_LAST):
            yield Finding(
                ("name",),
                "must be printable ASCII and must not end with one of ! > ^ [ @ # % /",
                "name-characters",
            )
    else:
        bad = sorted({c for c in name if c in NAME_FORBIDDEN or ord(c) < 0x20 or ord(c) >= 0x7E})
        if bad:
            shown = " ".join(repr(c) for c in bad[:5])
            yield Finding(
                ("name",),
                f"contains characters the API forbids ({shown}); not allowed: "
                "! < > ^ [ ] @ # % / ~, control and non-ASCII characters",
                "name-characters",
            )


def dates(offer: CustomerOffer | CspOffer | OriginatorOffer, today: dt.date) -> Iterator[Finding]:
    variable = offer.variable_start_date is True
    if variable and offer.start is not None:
        yield Finding(
            ("start",),
            "must not be set when variableStartDate is true (the offer starts on acceptance)",
            "start-or-variable",
        )
    elif not variable and offer.start is None:
        yield Finding(
            ("start",),
            "is required unless variableStartDate is true",
            "start-or-variable",
        )
    if offer.start is not None and offer.end is not None and offer.end < offer.start:
        yield Finding(("end",), f"{offer.end} is before start {offer.start}", "date-order")
    accept_by = getattr(offer, "accept_by", None)
    if accept_by is not None and offer.end is not None and accept_by > offer.end:
        yield Finding(
            ("acceptBy",), f"{accept_by} is after end {offer.end}", "accept-by-before-end"
        )
    if offer.start is not None and offer.start.day != 1:
        yield Finding(
            ("start",),
            f"{offer.start} is not the 1st of a month (Partner Center starts offers on the 1st)",
            "start-first-of-month",
        )
    if offer.end is not None:
        last = calendar.monthrange(offer.end.year, offer.end.month)[1]
        if offer.end.day != last:
            yield Finding(
                ("end",),
                f"{offer.end} is not the last day of its month "
                "(Partner Center ends offers on the last day)",
                "end-last-of-month",
            )
    if accept_by is not None and offer.state in ("draft", "live") and accept_by < today:
        yield Finding(
            ("acceptBy",),
            f"{accept_by} is in the past (today is {today}); the customer could not accept",
            "accept-by-future",
        )


def live_presence(offer: CustomerOffer | CspOffer | OriginatorOffer) -> Iterator[Finding]:
    if offer.state != "live":
        return
    if offer.end is None:
        yield Finding(("end",), "is required for a live offer", "live-required")
    if not offer.beneficiaries:
        yield Finding(
            ("beneficiaries",), "a live offer needs at least one beneficiary", "live-required"
        )
    if not offer.pricing:
        yield Finding(
            ("pricing",), "a live offer needs at least one pricing entry", "live-required"
        )
    if isinstance(offer, CustomerOffer) and offer.accept_by is None:
        yield Finding(("acceptBy",), "is required for a live customer offer", "customer-accept-by")
    if isinstance(offer, OriginatorOffer) and not offer.partners:
        yield Finding(
            ("partners",),
            "a live multiparty offer needs its selling partner",
            "mpo-partner-required",
        )


def contacts(contacts: Sequence[str] | None, prepared_by: str | None) -> Iterator[Finding]:
    if prepared_by is not None and not EMAIL.match(prepared_by):
        yield Finding(("preparedBy",), "is not a valid email address", "email-format")
    if contacts is None:
        return
    if len(contacts) > MAX_NOTIFICATION_CONTACTS:
        yield Finding(
            ("notificationContacts",),
            f"has {len(contacts)} contacts; at most {MAX_NOTIFICATION_CONTACTS} are allowed",
            "max-notification-contacts",
        )
    for i, email in enumerate(contacts):
        if not EMAIL.match(email):
            yield Finding(
                ("notificationContacts", i), "is not a valid email address", "email-format"
            )


def url_rule(url: str, path: Path) -> Iterator[Finding]:
    # An unexpanded ${VAR} (unset variable) is reported once, by the loader.
    if not url.startswith("https://") and "${" not in url:
        yield Finding(path, "must be an https:// URL", "url-format")


def terms_docs(docs: Sequence[object] | None) -> Iterator[Finding]:
    if not docs:
        return
    if len(docs) > MAX_TERMS_DOCS:
        yield Finding(
            ("termsAndConditionsDocs",),
            f"has {len(docs)} documents; at most {MAX_TERMS_DOCS} are allowed",
            "max-terms-docs",
        )
    for i, doc in enumerate(docs):
        yield from url_rule(getattr(doc, "sas_url", ""), ("termsAndConditionsDocs", i, "sasUrl"))
