"""Validation errors in the user's terms: pydantic errors and bad kinds -> plain findings.

An unknown key gets a "did you mean"; a read-only field, a field the originator owns, a
field a kind forbids each get their own message and rule id.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterator, Sequence
from typing import Union

from pydantic import BaseModel, ValidationError

from reconciler.offers.domain import CHANNEL_PARTNER, PRIVATE_OFFER_TYPES
from reconciler.offers.fields import (
    ORIGINATOR_OWNED_FIELDS,
    ORIGINATOR_OWNED_PRICING_FIELDS,
    READ_ONLY_FIELDS,
)
from reconciler.offers.rules import Finding

FILE_ONLY_KEYS = ("$schema", "reconciler")

CSP_FORBIDDEN_FIELDS = frozenset({"acceptBy", "termsAndConditionsDocSasUrl"})


def kind_finding(kind: object) -> Finding:
    choices = ", ".join(PRIVATE_OFFER_TYPES)
    if kind is None:
        return Finding(
            ("privateOfferType",), f"is required: one of {choices}", "private-offer-type"
        )
    if isinstance(kind, str):
        hint = suggest(kind, PRIVATE_OFFER_TYPES)
        if hint is not None and hint.lower() == kind.lower():
            return Finding(
                ("privateOfferType",),
                f"write {hint!r} (the API's canonical spelling), not {kind!r}",
                "private-offer-type",
            )
        did_you_mean = f"; did you mean {hint!r}?" if hint else ""
        return Finding(
            ("privateOfferType",),
            f"unknown type {kind[:60]!r}{did_you_mean} (one of {choices})",
            "private-offer-type",
        )
    return Finding(("privateOfferType",), f"must be one of {choices}", "private-offer-type")


def suggest(word: str, choices: Sequence[str]) -> str | None:
    for choice in choices:
        if choice.lower() == word.lower():
            return choice
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def translate(
    exc: ValidationError, root: type[BaseModel], prefix: tuple[str | int, ...], kind: str | None
) -> Iterator[Finding]:
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        if kind is not None and loc and loc[0] == kind:
            loc = loc[1:]  # the discriminator's tag is not a key in the file
        path = (*prefix, *loc)
        kind_type = error["type"]
        if kind_type == "extra_forbidden":
            yield _extra_key(path, root, loc, kind)
        elif kind_type == "missing":
            yield Finding(path, "is required", "required")
        elif kind_type == "literal_error":
            expected = error.get("ctx", {}).get("expected", "")
            value = error.get("input")
            hint = ""
            if isinstance(value, str):
                options = re.findall(r"'([^']*)'", expected)
                suggestion = suggest(value, options)
                hint = f"; did you mean {suggestion!r}?" if suggestion else ""
            yield Finding(path, f"must be one of {expected}{hint}", "schema")
        elif kind_type in ("value_error", "assertion_error"):
            message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
            yield Finding(path, message, "schema")
        else:
            yield Finding(path, _lower_first(error["msg"]), "schema")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _extra_key(
    path: tuple[str | int, ...], root: type[BaseModel], loc: tuple[object, ...], kind: str | None
) -> Finding:
    key = str(path[-1])
    parent = loc[:-1]
    if key in READ_ONLY_FIELDS:
        return Finding(path, "read-only, set by the API; remove it", "read-only-field")
    if kind == CHANNEL_PARTNER:
        owned = (not parent and key in ORIGINATOR_OWNED_FIELDS) or (
            len(parent) == 2
            and parent[0] == "originatorPricing"
            and key in ORIGINATOR_OWNED_PRICING_FIELDS
        )
        if owned:
            return Finding(
                path,
                "set by the originator (read-only for the selling partner); remove it: the "
                "reconciler takes it from the live offer",
                "originator-owned",
            )
    if kind == "cspPromotion" and not parent and key in CSP_FORBIDDEN_FIELDS:
        return Finding(path, "not allowed in a CSP offer (cspPromotion)", "csp-forbidden-fields")
    if key == "markupPercentage" and parent and parent[0] == "pricing":
        return Finding(
            path,
            "only the selling partner sets markupPercentage (on originatorPricing entries of a "
            f"{CHANNEL_PARTNER} file)",
            "markup-partner-only",
        )
    allowed = _keys_at(root, parent)
    if not parent:
        allowed = [*allowed, *FILE_ONLY_KEYS]
    hint = suggest(key, allowed) if allowed else None
    suffix = f"; did you mean {hint!r}?" if hint else ""
    return Finding(path, f"unknown field{suffix}", "unknown-field")


def _keys_at(root: type[BaseModel], parts: tuple[object, ...]) -> list[str]:
    """The camelCase keys the model accepts at *parts* (a path inside *root*)."""
    current: object = root
    for part in parts:
        current = unwrap_annotation(current)
        if isinstance(part, int):
            args = typing.get_args(current)
            current = args[0] if typing.get_origin(current) is list and args else None
        elif isinstance(current, type) and issubclass(current, BaseModel):
            current = next(
                (f.annotation for n, f in current.model_fields.items() if (f.alias or n) == part),
                None,
            )
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        else:
            return []
    current = unwrap_annotation(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def unwrap_annotation(annotation: object) -> object:
    """The model type inside ``Annotated[...]`` / ``X | None`` (as declared on a field)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation
