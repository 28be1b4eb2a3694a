"""An Entra-like token service and the bearer check of the emulated API.

Just enough of Microsoft Entra ID for msal's client-credentials flow:

* ``GET /{tenant}/v2.0/.well-known/openid-configuration`` (msal's tenant discovery);
* ``POST /{tenant}/oauth2/v2.0/token`` with ``grant_type=client_credentials`` and either a
  ``client_secret`` or a ``client_assertion`` (``urn:ietf:params:oauth:client-assertion-type:
  jwt-bearer``). An assertion whose ``iss`` is the client id is a *certificate* assertion: it
  is verified against the app's registered certificates, or -- when none is registered --
  accepted if it is a well-formed, unexpired RS256/PS256 JWT with ``iss = sub = client_id`` and
  ``aud`` = the token endpoint (the emulator cannot know a key made on the fly). Every other
  ``iss`` is a *federated* assertion (e.g. GitHub's OIDC token): the issuer must be trusted in
  the config, ``aud`` must be ``api://AzureADTokenExchange``, it must not be expired, and its
  (issuer, subject) must be registered for the app.

Errors use Entra's shape (``error``, ``error_description`` with an AADSTS code,
``error_codes``), which msal passes through unchanged. Access tokens are HS256 JWTs signed
with a per-emulator key kept in the store, so tokens survive a restart on the same data.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography import x509

from reconciler.emulator.config import (
    FEDERATED_AUDIENCE,
    GRAPH_SCOPE,
    Account,
    EmulatorConfig,
)
from reconciler.emulator.store import Store

GRAPH_AUDIENCE = "https://graph.microsoft.com"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
STATIC_PREFIX = "emulator:"
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


def openid_configuration(base_url: str, tenant: str) -> dict[str, object]:
    root = f"{base_url}/{tenant}"
    return {
        "issuer": f"{root}/v2.0",
        "token_endpoint": f"{root}/oauth2/v2.0/token",
        "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{root}/oauth2/v2.0/devicecode",
        "jwks_uri": f"{root}/discovery/v2.0/keys",
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "private_key_jwt",
            "client_secret_basic",
        ],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "grant_types_supported": ["client_credentials"],
        "tenant_region_scope": "NA",
        "cloud_instance_name": "emulator.invalid",
    }


class TokenService:
    def __init__(self, config: EmulatorConfig, store: Store) -> None:
        self.config = config
        key = store.meta_get("token_key")
        if key is None:
            key = secrets.token_hex(32)
            store.meta_set("token_key", key)
        self._key = key

    # ---- issuing ------------------------------------------------------------------------

    def issue(
        self, form: dict[str, str], base_url: str, tenant: str, *, v1: bool = False
    ) -> dict[str, object]:
        """A token for a client-credentials request, or the identity platform's error.

        *v1*: the documented ``oauth2/token`` request, which names a ``resource`` where the
        v2.0 endpoint takes a ``scope`` (docs/api-unknowns.md).
        """
        if v1:
            resource = form.get("resource", "")
            if resource.rstrip("/") != GRAPH_AUDIENCE.rstrip("/"):
                raise TokenError(
                    400,
                    "invalid_resource",
                    500011,
                    f"The resource principal named {resource or '(none)'} was not found; "
                    f"this emulator serves {GRAPH_AUDIENCE}.",
                )
            form = {**form, "scope": GRAPH_SCOPE}
        account = self._client_of(form, tenant)
        path = "oauth2/token" if v1 else "oauth2/v2.0/token"
        self._check_credential(form, account, f"{base_url}/{tenant}/{path}")
        body = self._token(account, base_url, tenant)
        if v1:
            body["resource"] = form.get("resource")
        return body

    def _client_of(self, form: dict[str, str], tenant: str) -> Account:
        """The account of a well-formed request (grant type, client id, scope)."""
        grant = form.get("grant_type")
        if not grant:
            raise TokenError(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'grant_type'.",
            )
        if grant != "client_credentials":
            raise TokenError(
                400,
                "unsupported_grant_type",
                70003,
                f"The app requested an unsupported grant type '{grant}'.",
            )
        client_id = form.get("client_id", "")
        if not client_id:
            raise TokenError(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'client_id'.",
            )
        scope = form.get("scope", "")
        if GRAPH_SCOPE not in scope.split():
            raise TokenError(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {scope} is not valid. Client credential flows must "
                "have a scope value with /.default suffixed to the resource identifier "
                f"(application ID URI); this emulator serves {GRAPH_SCOPE}.",
            )
        account = self.config.account_by_client(client_id)
        if account is None:
            raise TokenError(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory "
                f"'{tenant}'.",
            )
        return account

    def _check_credential(
        self, form: dict[str, str], account: Account, token_endpoint: str
    ) -> None:
        """The client proves itself with its secret or a signed assertion."""
        client_id = account.client_id
        if "client_secret" in form:
            if not secrets.compare_digest(form["client_secret"], account.client_secret):
                raise TokenError(
                    401,
                    "invalid_client",
                    7000215,
                    "Invalid client secret provided. Ensure the secret being sent in the request "
                    "is the client secret value, not the client secret ID, for a secret added to "
                    "app '" + client_id + "'.",
                )
        elif "client_assertion" in form:
            if form.get("client_assertion_type") != ASSERTION_TYPE:
                raise TokenError(
                    400,
                    "invalid_request",
                    50027,
                    "Invalid client_assertion_type: expected " + ASSERTION_TYPE + ".",
                )
            self._check_assertion(form["client_assertion"], account, token_endpoint)
        else:
            raise TokenError(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or "
                "'client_secret'.",
            )

    def _token(self, account: Account, base_url: str, tenant: str) -> dict[str, object]:
        """The token response: a signed token naming the account, valid for the lifetime."""
        now = int(time.time())
        lifetime = self.config.token_lifetime
        claims = {
            "aud": GRAPH_AUDIENCE,
            "iss": f"{base_url}/{tenant}/v2.0",
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "appid": account.client_id,
            "tid": tenant,
            "sub": account.client_id,
            "acct": account.name,
            "jti": str(uuid.uuid4()),
        }
        token = jwt.encode(claims, self._key, algorithm="HS256")
        return {
            "token_type": "Bearer",
            "expires_in": lifetime,
            "ext_expires_in": lifetime,
            "access_token": token,
        }

    def _check_assertion(self, assertion: str, account: Account, token_endpoint: str) -> None:
        try:
            header = jwt.get_unverified_header(assertion)
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise TokenError(
                401, "invalid_client", 50027, f"JWT token is invalid or malformed: {exc}."
            ) from None
        issuer = str(unverified.get("iss", ""))
        if issuer == account.client_id:
            self._check_certificate_assertion(assertion, header, account, token_endpoint)
        else:
            self._check_federated_assertion(assertion, issuer, unverified, account)

    def _check_certificate_assertion(
        self, assertion: str, header: dict[str, object], account: Account, token_endpoint: str
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

    def _check_federated_assertion(
        self, assertion: str, issuer: str, unverified: dict[str, object], account: Account
    ) -> None:
        if issuer not in self.config.trusted_issuers:
            raise TokenError(
                400,
                "invalid_request",
                700211,
                "No matching federated identity record found for presented assertion issuer "
                f"'{issuer}'.",
            )
        key = self.config.trusted_issuers[issuer]
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

    # ---- checking API calls -------------------------------------------------------------

    def account_for(self, authorization: str | None) -> tuple[Account | None, str]:
        """The account behind an ``Authorization`` header, or None and why not."""
        if not authorization:
            return None, "No access token was provided: send Authorization: Bearer <token>."
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None, "The Authorization header must be of the form 'Bearer <token>'."
        if token.startswith(STATIC_PREFIX):
            name = token[len(STATIC_PREFIX) :]
            account = self.config.account(name) if self.config.static_tokens else None
            if account is None:
                return None, "The static emulator token is not accepted."
            return account, ""
        try:
            claims = jwt.decode(token, self._key, algorithms=["HS256"], audience=GRAPH_AUDIENCE)
        except jwt.ExpiredSignatureError:
            return None, "The access token has expired."
        except jwt.PyJWTError:
            return None, "The access token is not valid."
        account = self.config.account(str(claims.get("acct", "")))
        if account is None:
            return None, "The access token's application is not associated with an account."
        return account, ""


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
