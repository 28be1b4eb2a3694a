"""What GitHub's job tokens may do: GITHUB_TOKEN scopes and Actions OIDC tokens, for the stand-in.

GitHub mints a ``GITHUB_TOKEN`` per job from the job's ``permissions:`` (read-only for a
fork's pull request) and gives the job ``ACTIONS_ID_TOKEN_REQUEST_URL``/``_TOKEN`` only with
``id-token: write`` (never for a fork). :func:`job_permissions` reads a job as GitHub does;
:func:`required` says which scope a REST call of the stand-in needs; :func:`oidc_token`
builds the JWT that ``GET ACTIONS_ID_TOKEN_REQUEST_URL`` returns (issuer, audience, subject
as GitHub documents them; the signature is a local key the Entra stand-in does not check).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.support.github_server import GitHubServer

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
SCOPES = (
    "actions",
    "checks",
    "contents",
    "deployments",
    "id-token",
    "issues",
    "packages",
    "pages",
    "pull-requests",
    "statuses",
)
LEVEL = {"none": 0, "read": 1, "write": 2}


def job_permissions(
    workflow: dict[str, Any], job: dict[str, Any], *, fork: bool = False
) -> dict[str, str]:
    """The scopes GitHub grants the job's token (the job's block, else the workflow's)."""
    declared = job.get("permissions", workflow.get("permissions", "write-all"))
    if declared in ("write-all", "read-all"):
        level = declared.split("-")[0]
        granted = dict.fromkeys(SCOPES, level)
    else:
        granted = {scope: str(declared.get(scope, "none")) for scope in SCOPES}
    if fork:
        # A fork's pull request: every scope at most read, and no OIDC token at all.
        granted = {k: ("read" if LEVEL[v] else "none") for k, v in granted.items()}
        granted["id-token"] = "none"
    return granted


def allows(granted: dict[str, str], scopes: tuple[str, ...], level: str) -> bool:
    return any(LEVEL[granted.get(scope, "none")] >= LEVEL[level] for scope in scopes)


def required(method: str, rest: str, is_pull: bool) -> tuple[tuple[str, ...], str]:
    """(any-of scopes, level) that a call to ``/repos/{o}/{r}{rest}`` needs."""
    level = "read" if method == "GET" else "write"
    if rest.startswith("/environments"):
        return ("actions",), "read"
    if re.fullmatch(r"/commits/[0-9a-fA-F]+/pulls", rest):
        return ("contents", "pull-requests"), "read"
    if rest.startswith("/git/"):
        return ("contents",), level
    # Comments and labels of a pull request go through the issues API: either scope does.
    return (("issues", "pull-requests") if is_pull else ("issues",)), level


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def oidc_token(claims: dict[str, Any], audience: str, key: bytes) -> str:
    now = int(time.time())
    payload = {
        "iss": GITHUB_ISSUER,
        "aud": audience,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        **claims,
    }
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64(json.dumps(payload).encode())
    signature = hmac.new(key, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{_b64(signature)}"


def denied(server: GitHubServer, token: str, method: str, path: str) -> bool:
    """True when *token* is a job token whose permissions do not cover the call."""
    granted = server.scoped.get(token)
    if granted is None:
        return False  # the stand-in's own all-powerful token
    prefix = f"/repos/{server.repository}"
    rest = path[len(prefix) :] if path.startswith(prefix + "/") else path
    number: int | None = None
    if m := re.match(r"/issues/(\d+)", rest):
        number = int(m.group(1))
    elif m := re.fullmatch(r"/issues/comments/(\d+)", rest):
        comment = server.comments.get(int(m.group(1)))
        number = comment["_issue"] if comment else None
    is_pull = number is not None and "pull_request" in server.issues.get(number, {})
    scopes, level = required(method, rest, is_pull)
    return not allows(granted, scopes, level)


def answer_oidc(
    server: GitHubServer, request_token: str, query: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    """GET ACTIONS_ID_TOKEN_REQUEST_URL: an OIDC token for a job that was given one."""
    claims = server.oidc_requests.get(request_token)
    if claims is None:
        return 401, {"message": "Bad credentials"}
    audience = query.get("audience", "")
    server.oidc_issued.append({**claims, "aud": audience})
    return 200, {"value": oidc_token(claims, audience, server.token.encode())}
