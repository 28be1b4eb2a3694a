"""Our hidden markers in comments and issues, and the state they carry between runs.

A comment or issue of ours ends with a tag (``<!-- reconciler:plan -->``, per environment)
and one ``<!-- reconciler:meta BASE64-JSON [HMAC] -->`` line holding what later runs need.
Offer text can never produce either: every renderer escapes ``<!--`` and marker names in
offer text (:func:`reconciler.markdown.visible`), callers only trust comments written by
the token's own login, and only the *last* meta line of a body counts -- ours is always
the last line, after every piece of content.

With a key (``RECONCILER_MARKER_KEY``, a repository secret), the meta line also carries an
HMAC-SHA256 of its payload and a line without a valid one is ignored, so even a comment
edited by someone with write access cannot feed the next run. The workflow token is not
used as the key: ``GITHUB_TOKEN`` changes on every run, so nothing would ever verify.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
from collections.abc import Mapping
from typing import Any

from reconciler.markdown import truncate_markdown

COMMENT_LIMIT = 65_536
KEY_ENV = "RECONCILER_MARKER_KEY"
_META = re.compile(r"^<!-- reconciler:meta ([A-Za-z0-9+/=]*)(?: ([0-9a-f]{64}))? -->$", re.M)
_ENV_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def marker_key() -> bytes | None:
    value = os.environ.get(KEY_ENV, "")
    return value.encode("utf-8") if value else None


def marker_tag(marker: str, environment: str | None = None) -> str:
    """The hidden HTML comment that identifies our comment (per environment)."""
    inner = marker.strip()
    if inner.startswith("<!--") and inner.endswith("-->"):
        inner = inner[4:-3].strip()
    inner = inner.replace("--", "-").replace(">", "")
    if environment:
        inner += " env=" + _ENV_SAFE.sub("_", environment)
    return f"<!-- {inner} -->"


def _sign(payload: str, key: bytes) -> str:
    return hmac.new(key, payload.encode("ascii"), hashlib.sha256).hexdigest()


def encode_meta(meta: Mapping[str, object], key: bytes | None = None) -> str:
    raw = json.dumps(meta, sort_keys=True, separators=(",", ":")).encode("utf-8")
    payload = base64.b64encode(raw).decode("ascii")
    signature = f" {_sign(payload, key)}" if key else ""
    return f"<!-- reconciler:meta {payload}{signature} -->"


def decode_meta(body: str, key: bytes | None = None) -> dict[str, Any]:
    """The state in *body*'s last meta line; ``{}`` when absent, damaged or not signed by *key*."""
    matches = list(_META.finditer(body or ""))
    if not matches:
        return {}
    payload, signature = matches[-1].group(1), matches[-1].group(2)
    if key is not None and not (signature and hmac.compare_digest(signature, _sign(payload, key))):
        return {}
    try:
        data = json.loads(base64.b64decode(payload, validate=True))
    except (binascii.Error, ValueError):
        return {}  # damaged by a manual edit: start afresh rather than fail the report
    return data if isinstance(data, dict) else {}


def fit_body(content: str, footer: str, note: str, *, limit: int = COMMENT_LIMIT) -> str:
    """``content`` + ``footer`` within *limit*, cutting ``content`` safely when needed."""
    room = limit - utf16_len(footer) - 2
    return truncate_markdown(content, room, note, measure=utf16_len).rstrip("\n") + "\n\n" + footer
