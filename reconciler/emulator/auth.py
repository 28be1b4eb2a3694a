"""An Entra-like token service and the bearer check of the emulated API.

Just enough of Microsoft Entra ID for msal's client-credentials flow:

* ``GET /{tenant}/v2.0/.well-known/openid-configuration`` (msal's tenant discovery);
* ``POST /{tenant}/oauth2/v2.0/token`` with ``grant_type=client_credentials`` and either a
  ``client_secret`` or a ``client_assertion`` (``urn:ietf:params:oauth:client-assertion-type:
  jwt-bearer``): a certificate or a federated assertion, checked in
  :mod:`reconciler.emulator.assertions`.

Errors use Entra's shape (``error``, ``error_description`` with an AADSTS code,
``error_codes``), which msal passes through unchanged. Access tokens are HS256 JWTs signed
with a per-emulator key kept in the store, so tokens survive a restart on the same data.
"""

from __future__ import annotations

import secrets
import time
import uuid

import jwt

from reconciler.emulator.assertions import TokenError, check_assertion
from reconciler.emulator.config import GRAPH_SCOPE, Account, EmulatorConfig
from reconciler.emulator.store import Store

GRAPH_AUDIENCE = "https://graph.microsoft.com"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
STATIC_PREFIX = "emulator:"


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
            check_assertion(
                form["client_assertion"], account, token_endpoint, self.config.trusted_issuers
            )
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
