"""Which names the emulator answers to: loopback only, unless it is told to serve a network.

A web page the user opens can make the browser send requests to ``127.0.0.1`` through a
name it controls (DNS rebinding: ``rebind.example`` resolving to 127.0.0.1). The browser
then sends ``Host: rebind.example`` and, for the page, the request is same-origin. So every
route (the API, the token service and the controls) answers only to the loopback names it
serves, and the controls' ``Origin`` check compares against those names, never against the
request's own ``Host``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection
from urllib.parse import urlsplit

LOOPBACK_NAMES: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")


def host_name(header: str) -> str:
    """``[::1]:8400`` -> ``::1``; ``LocalHost.:80`` -> ``localhost``."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    if value.count(":") == 1:
        value = value.split(":", 1)[0]
    return value.rstrip(".")


def is_loopback(host: str) -> bool:
    """Whether listening on *host* keeps the emulator on this machine."""
    name = host_name(host)
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_allowed(header: str | None, allowed: Collection[str] | None) -> bool:
    """*allowed* None: any name (``--allow-remote``); a request without Host is refused."""
    if allowed is None:
        return True
    return header is not None and host_name(header) in allowed


def origin_allowed(origin: str, port: int | None, allowed: Collection[str] | None) -> bool:
    """An ``Origin`` of the controls: one of the served names, on the port they listen on."""
    try:
        parts = urlsplit(origin.strip())
        origin_port = parts.port
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if origin_port is None:
        origin_port = 443 if parts.scheme == "https" else 80
    return host_allowed(parts.hostname, allowed) and (port is None or origin_port == port)
