"""Client assertions presented to the emulator's token service (auth.py).

An assertion whose ``iss`` is the client id is a *certificate* assertion: it is verified
against the app's registered certificates, or -- when none is registered -- accepted if it is
a well-formed, unexpired RS256/PS256 JWT with ``iss = sub = client_id`` and ``aud`` = the
token endpoint (the emulator cannot know a key made on the fly). Every other ``iss`` is a
*federated* assertion (e.g. GitHub's OIDC token): the issuer must be trusted in the config,
``aud`` must be ``api://AzureADTokenExchange``, it must not be expired, and its (issuer,
subject) must be registered for the app. Refusals are :class:`TokenError` s in Entra's shape.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography import x509

from reconciler.emulator.config import FEDERATED_AUDIENCE, Account

# PyJWT turns every claim check off with the signature check; keep the claim checks on.
UNSIGNED: dict[str, bool] = {
    "verify_signature": False,
    "verify_exp": True,
    "verify_aud": True,
    "verify_iat": True,
    "verify_nbf": True,
}


@dataclass
class TokenError(Exception):
    status: int
    error: str
    aadsts: int
    description: str

    def body(self) -> dict[str, object]:
        return {
            "error": self.error,
            "error_description": f"AADSTS{self.aadsts}: {self.description}",
            "error_codes": [self.aadsts],
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
            "trace_id": str(uuid.uuid4()),
            "correlation_id": str(uuid.uuid4()),
        }


def check_assertion(
    assertion: str,
    account: Account,
    token_endpoint: str,
    trusted_issuers: Mapping[str, str | None],
) -> None:
    """A ``client_assertion``: a certificate assertion when its ``iss`` is the client id,
    else a federated one (see the module docstring)."""
    try:
        header = jwt.get_unverified_header(assertion)
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise TokenError(
            401, "invalid_client", 50027, f"JWT token is invalid or malformed: {exc}."
        ) from None
    issuer = str(unverified.get("iss", ""))
    if issuer == account.client_id:
        _certificate_assertion(assertion, header, account, token_endpoint)
    else:
        _federated_assertion(assertion, issuer, unverified, account, trusted_issuers)


def _certificate_assertion(
    assertion: str, header: dict[str, object], account: Account, token_endpoint: str
) -> None:
    algorithm = header.get("alg")
    if algorithm not in ("RS256", "PS256"):
        raise TokenError(
            401,
            "invalid_client",
            5002738,
            f"Invalid JWT token. '{algorithm}' is not a supported signature algorithm; use "
            "RS256 or PS256.",
        )
    audiences = [token_endpoint, token_endpoint.rsplit("/oauth2/", 1)[0] + "/v2.0"]
    options: Any = {"require": ["exp", "aud", "iss"]}
    if account.certificates:
        for pem in account.certificates:
            public_key: Any = x509.load_pem_x509_certificate(pem.encode()).public_key()
            try:
                claims = jwt.decode(
                    assertion,
                    public_key,
                    algorithms=["RS256", "PS256"],
                    audience=audiences,
                    options=options,
                )
                break
            except jwt.ExpiredSignatureError:
                raise _assertion_expired() from None
            except jwt.InvalidAudienceError:
                raise _assertion_audience(token_endpoint) from None
            except jwt.PyJWTError:
                continue
        else:
            raise TokenError(
                401,
                "invalid_client",
                700027,
                "Client assertion failed signature validation: no certificate registered for "
                "the app matches the signing key.",
            )
    else:
        unsigned_options: Any = {**UNSIGNED, "require": ["exp", "aud", "iss"]}
        try:
            claims = jwt.decode(
                assertion,
                options=unsigned_options,
                audience=audiences,
            )
        except jwt.ExpiredSignatureError:
            raise _assertion_expired() from None
        except jwt.InvalidAudienceError:
            raise _assertion_audience(token_endpoint) from None
        except jwt.PyJWTError as exc:
            raise TokenError(
                401, "invalid_client", 50027, f"JWT token is invalid or malformed: {exc}."
            ) from None
    if claims.get("sub") != account.client_id:
        raise TokenError(
            401, "invalid_client", 700023, "Client assertion subject must be the client id."
        )


def _federated_assertion(
    assertion: str,
    issuer: str,
    unverified: dict[str, object],
    account: Account,
    trusted_issuers: Mapping[str, str | None],
) -> None:
    if issuer not in trusted_issuers:
        raise TokenError(
            400,
            "invalid_request",
            700211,
            "No matching federated identity record found for presented assertion issuer "
            f"'{issuer}'.",
        )
    key = trusted_issuers[issuer]
    options: Any = {"require": ["exp", "aud", "iss", "sub"]}
    try:
        if key is None:
            options.update(UNSIGNED)
            claims = jwt.decode(assertion, options=options, audience=FEDERATED_AUDIENCE)
        else:
            claims = jwt.decode(
                assertion,
                key,
                algorithms=["RS256", "PS256", "ES256"],
                options=options,
                audience=FEDERATED_AUDIENCE,
            )
    except jwt.ExpiredSignatureError:
        raise TokenError(
            400,
            "invalid_client",
            700024,
            "Client assertion is not within its valid time range.",
        ) from None
    except jwt.InvalidAudienceError:
        raise TokenError(
            400,
            "invalid_request",
            700212,
            "No matching federated identity record found for presented assertion audience; "
            f"expected {FEDERATED_AUDIENCE}.",
        ) from None
    except jwt.PyJWTError as exc:
        raise TokenError(
            400, "invalid_client", 700027, f"Client assertion failed validation: {exc}."
        ) from None
    subject = str(claims.get("sub", ""))
    if (issuer, "*") not in account.federated and (issuer, subject) not in account.federated:
        raise TokenError(
            400,
            "invalid_request",
            70021,
            "No matching federated identity record found for presented assertion. Assertion "
            f"Issuer: '{issuer}'. Assertion Subject: '{subject}'.",
        )


def _assertion_expired() -> TokenError:
    return TokenError(
        401, "invalid_client", 700024, "Client assertion is not within its valid time range."
    )


def _assertion_audience(token_endpoint: str) -> TokenError:
    return TokenError(
        401,
        "invalid_client",
        700212,
        f"The audience of the client assertion must be {token_endpoint}.",
    )
