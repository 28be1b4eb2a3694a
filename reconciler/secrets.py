"""Keeping secrets out of everything the reconciler writes or prints.

* Known secret values (client secret, certificate password, tokens, assertions,
  expanded values of secret-looking variables) are registered with ``add_secret`` and
  replaced by ``***`` in any text passed through ``REGISTRY.redact``.
* Pattern-based redaction catches what was never registered (a live offer's SAS URL read
  from the API, say): every query value of a SAS URL (one with a ``sig``), any ``sig=`` or
  percent-encoded ``sig%3D`` value, ``Bearer`` headers and JWTs. ``${VAR}`` templates are
  not secrets and stay readable.
* Only allowed variables expand (:func:`expand_string` with ``allowed``): the names listed
  in ``[tool.reconciler] env = [...]`` and any ``RECONCILER_VAR_*``; a pull request cannot
  pull an arbitrary runner variable into an API body.

Which strings are templates at all is not decided here: only an offer file's own
``${NAME}`` strings are (:mod:`reconciler.offers.template_value` keeps that origin from the
file to the request); this module holds no map from values to templates.

``install_log_redaction()`` puts a filter on the root logger so every log record goes
through ``redact`` before any handler formats it.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Collection, Mapping

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# A query separator and '=' as written, or percent-encoded once more (a URL inside a URL).
_SEP = r"(?:^|(?<=[\s\"'])|[?&;]|%3F|%26)"
_EQ = r"(?:=|%3D)"
_VALUE = r"(?!\$\{)[^&#\s\"'<>]*?(?=&|%26|#|[\s\"'<>]|$)"
_SAS_SIG = re.compile(rf"(?i)({_SEP}sig{_EQ}){_VALUE}")
_SAS_QUERY_VALUE = re.compile(
    rf"(?i)({_SEP}[^=&#\s\"'<>%]+(?:%(?!3D)[0-9A-F]{{2}}[^=&#\s\"'<>%]*)*{_EQ}){_VALUE}"
)
_URL = re.compile(r"(?i)\b(?:https?|ftp)(?::|%3A)(?://|%2F%2F)[^\s\"'<>]+")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/]+=*")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_SECRET_NAME = re.compile(r"(?i)(secret|token|password|passwd|sas|sig|key|credential|assertion)")

REDACTED = "***"
# Variables a file may always use: the prefix says they are meant for offer files.
VAR_PREFIX = "RECONCILER_VAR_"


class UnsetVariable(KeyError):
    """A ``${VAR}`` reference names a variable that is not set."""


class VariableNotAllowed(UnsetVariable):
    """A ``${VAR}`` reference names a variable the settings do not allow files to use."""


def variable_allowed(name: str, allowed: Collection[str] | None) -> bool:
    """*allowed* None means no restriction (apply re-expanding a plan's own templates)."""
    return allowed is None or name in allowed or name.startswith(VAR_PREFIX)


def expand_string(
    text: str, env: Mapping[str, str] | None = None, allowed: Collection[str] | None = None
) -> str:
    """Expand every ``${VAR}`` in *text*; raise :class:`UnsetVariable` for a missing one
    and :class:`VariableNotAllowed` for one outside *allowed* (see :func:`variable_allowed`).
    """
    env = os.environ if env is None else env

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if not variable_allowed(name, allowed):
            raise VariableNotAllowed(name)
        if name not in env:
            raise UnsetVariable(name)
        return env[name]

    return _ENV_REF.sub(sub, text)


def has_literal_signature(text: str) -> bool:
    """Whether *text* holds a SAS signature (``sig=`` or ``sig%3D``) that is no template."""
    return any(m.end() > m.end(1) for m in _SAS_SIG.finditer(text))


def _redact_sas_url(match: re.Match[str]) -> str:
    url = match.group(0)
    if not _SAS_SIG.search(url):
        return url
    return _SAS_QUERY_VALUE.sub(lambda m: m.group(1) + REDACTED, url)


def redact_patterns(text: str) -> str:
    """What pattern-based redaction alone makes of *text* (no registered secrets)."""
    text = _URL.sub(_redact_sas_url, text)
    text = _SAS_SIG.sub(lambda m: m.group(1) + REDACTED, text)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    return _JWT.sub(REDACTED, text)


def env_references(text: str) -> list[str]:
    return _ENV_REF.findall(text)


def is_secret_name(name: str) -> bool:
    """Whether a variable's name says its value is a secret (its value is then redacted)."""
    return bool(_SECRET_NAME.search(name))


class SecretRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()

    def add_secret(self, value: str | None) -> None:
        # Very short values would redact ordinary words; they are not secrets worth the noise.
        if value and len(value) >= 6:
            with self._lock:
                self._secrets.add(value)

    def redact(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return redact_patterns(text)

    def redact_obj(self, obj: object) -> object:
        """A deep copy of *obj* with every string redacted."""
        if isinstance(obj, str):
            return self.redact(obj)
        if isinstance(obj, Mapping):
            return {k: self.redact_obj(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [self.redact_obj(v) for v in obj]
        return obj

    def clear(self) -> None:
        with self._lock:
            self._secrets.clear()

    def known(self) -> frozenset[str]:
        """Every registered value: what a forked child hands back to its parent."""
        with self._lock:
            return frozenset(self._secrets)

    def add_all(self, values: frozenset[str]) -> None:
        for value in values:
            self.add_secret(value)


REGISTRY = SecretRegistry()


def add_secret(value: str | None) -> None:
    REGISTRY.add_secret(value)


def redact(text: str) -> str:
    return REGISTRY.redact(text)


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the record
            message = str(record.msg)
        record.msg = REGISTRY.redact(message)
        record.args = None
        return True


def install_log_redaction() -> None:
    root = logging.getLogger()
    if not any(isinstance(f, RedactingFilter) for f in root.filters):
        root.addFilter(RedactingFilter())
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
