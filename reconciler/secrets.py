"""Keeping secrets out of everything the reconciler writes or prints.

Three mechanisms, all process-wide through :data:`REGISTRY`:

* ``${ENV_VAR}`` substitution in offer files records each expanded string with its
  template. Plans and journals store the *template* (``REGISTRY.template(obj)``), so a
  SAS token taken from the environment never lands on disk; apply expands it again
  (``expand(obj)``) at the moment it sends.
* Known secret values (client secret, certificate password, tokens, assertions,
  expanded values of secret-looking variables) are registered with ``add_secret`` and
  replaced by ``***`` in any text passed through ``REGISTRY.redact``.
* Pattern-based redaction catches what was never registered: SAS ``sig=`` signatures,
  ``Bearer`` headers and JWTs.

``install_log_redaction()`` puts a filter on the root logger so every log record goes
through ``redact`` before any handler formats it.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Mapping
from typing import Any

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SAS_SIG = re.compile(r"(?i)([?&]sig=)[^&#\s\"'<>]+")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/]+=*")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_SECRET_NAME = re.compile(r"(?i)(secret|token|password|passwd|sas|sig|key|credential|assertion)")

REDACTED = "***"


class UnsetVariable(KeyError):
    """A ``${VAR}`` reference names a variable that is not set."""


def expand_string(text: str, env: Mapping[str, str] | None = None) -> str:
    """Expand every ``${VAR}`` in *text*; raise :class:`UnsetVariable` for a missing one."""
    env = os.environ if env is None else env

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise UnsetVariable(name)
        return env[name]

    return _ENV_REF.sub(sub, text)


def env_references(text: str) -> list[str]:
    return _ENV_REF.findall(text)


class SecretRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._templates: dict[str, str] = {}

    def add_secret(self, value: str | None) -> None:
        # Very short values would redact ordinary words; they are not secrets worth the noise.
        if value and len(value) >= 6:
            with self._lock:
                self._secrets.add(value)

    def add_template(self, expanded: str, template: str) -> None:
        """Remember that *expanded* came from *template* (a string with ``${VAR}``)."""
        if expanded == template:
            return
        with self._lock:
            self._templates[expanded] = template
        for name in env_references(template):
            if _SECRET_NAME.search(name):
                self.add_secret(os.environ.get(name))
        if _SAS_SIG.search(expanded):
            self.add_secret(expanded)

    def expand_and_register(self, text: str, env: Mapping[str, str] | None = None) -> str:
        expanded = expand_string(text, env)
        self.add_template(expanded, text)
        return expanded

    def redact(self, text: str) -> str:
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        text = _SAS_SIG.sub(lambda m: m.group(1) + REDACTED, text)
        text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
        return _JWT.sub(REDACTED, text)

    def redact_obj(self, obj: Any) -> Any:
        """A deep copy of *obj* with every string redacted."""
        if isinstance(obj, str):
            return self.redact(obj)
        if isinstance(obj, Mapping):
            return {k: self.redact_obj(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [self.redact_obj(v) for v in obj]
        return obj

    def template(self, obj: Any) -> Any:
        """A deep copy of *obj* with env-expanded strings put back as their ``${VAR}`` form."""
        if isinstance(obj, str):
            with self._lock:
                return self._templates.get(obj, obj)
        if isinstance(obj, Mapping):
            return {k: self.template(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [self.template(v) for v in obj]
        return obj

    def clear(self) -> None:
        with self._lock:
            self._secrets.clear()
            self._templates.clear()


REGISTRY = SecretRegistry()


def add_secret(value: str | None) -> None:
    REGISTRY.add_secret(value)


def redact(text: str) -> str:
    return REGISTRY.redact(text)


def expand(obj: Any, env: Mapping[str, str] | None = None) -> Any:
    """Expand ``${VAR}`` in every string of *obj* (used by apply on stored templates)."""
    if isinstance(obj, str):
        return REGISTRY.expand_and_register(obj, env) if "${" in obj else obj
    if isinstance(obj, Mapping):
        return {k: expand(v, env) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [expand(v, env) for v in obj]
    return obj


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
