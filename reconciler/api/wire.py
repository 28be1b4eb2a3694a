"""The API's requests on the wire: each one handed straight to the httpx transport.

``httpx.Client`` adds, per request, a cookie jar (the standard library's, filled from every
answer), authentication flows, redirect handling and a second parse of the URL. The
Product Ingestion API uses none of them: the bearer token is a header the caller sets,
redirects are never followed, and a cookie the service set is not something a later
request should carry. At thousands of reads per plan they were half of the client's CPU
(docs/benchmarks.md), so :class:`Wire` builds the ``httpx.Request`` itself and sends it
with the transport's own ``handle_request``: the same connection pool, TLS, timeouts,
exceptions and response decoding, and the seam tests and the emulator plug into.
"""

from __future__ import annotations

import itertools
import ssl
import threading

import httpx

from reconciler import __version__
from reconciler.settings import Settings

# What httpx.Client sends by default, with the tool's name instead of httpx's.
_DEFAULT_HEADERS = {
    "Accept-Encoding": "gzip, deflate",
    "Connection": "keep-alive",
    "User-Agent": f"offer-reconciler/{__version__}",
}


def api_timeout(settings: Settings) -> httpx.Timeout:
    return httpx.Timeout(settings.api.timeout, connect=settings.api.connect_timeout)


SHARD_CONNECTIONS = 8


def build_transport(
    settings: Settings, *, verify: str | bool = True, writes: bool = False
) -> httpx.BaseTransport:
    """The connection pool of one run: verify and limits belong here (httpx ignores a
    client's once a transport is given). Apply's threads (guard reads, submissions, polls)
    each need a connection, or they queue in httpx's pool, where a queued request can have
    its connection closed under it by another thread (encode/httpcore#1110). More than
    :data:`SHARD_CONNECTIONS` connections are split into pools of that size
    (:class:`ShardedTransport`)."""
    api = settings.api
    if isinstance(verify, str):
        # httpx 0.28 deprecates verify=<path>; a context is the supported spelling.
        verify_arg: ssl.SSLContext | bool = ssl.create_default_context(cafile=verify)
    else:
        verify_arg = verify
    connections = max(api.max_connections, settings.apply.max_concurrent_requests * writes)

    def pool(size: int) -> httpx.HTTPTransport:
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        return httpx.HTTPTransport(verify=verify_arg, limits=limits)

    if connections <= SHARD_CONNECTIONS:
        return pool(connections)
    shards, extra = divmod(connections, SHARD_CONNECTIONS)
    sizes = [SHARD_CONNECTIONS] * shards + ([extra] if extra else [])
    return ShardedTransport([pool(size) for size in sizes])


class ShardedTransport(httpx.BaseTransport):
    """Several connection pools, each thread always sending on the same one.

    httpcore's pool hands out connections by scanning every connection for every waiting
    request, under one lock: with 64 submitting threads on 64 connections that scan was
    half of apply's CPU (docs/benchmarks.md). Pools of eight keep each scan short; a
    thread keeps its pool (assigned in turn on its first request), so its connection stays
    warm and the threads spread evenly.
    """

    def __init__(self, shards: list[httpx.HTTPTransport]) -> None:
        self.shards = shards
        self._turn = itertools.count()
        self._mine = threading.local()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        shard: httpx.HTTPTransport | None = getattr(self._mine, "shard", None)
        if shard is None:
            shard = self._mine.shard = self.shards[next(self._turn) % len(self.shards)]
        return shard.handle_request(request)

    def close(self) -> None:
        for shard in self.shards:
            shard.close()


class Wire:
    """Sends a request on *transport* and reads its whole answer; closes the transport."""

    def __init__(self, transport: httpx.BaseTransport, timeout: httpx.Timeout) -> None:
        self.transport = transport
        self._timeout = timeout.as_dict()

    def send(
        self, method: str, url: httpx.URL, headers: dict[str, str], body: object = None
    ) -> httpx.Response:
        """The answer to one request, read in full (its connection back in the pool).
        Raises what the transport raises: ``httpx.TransportError`` and its kinds."""
        request = httpx.Request(
            method,
            url,
            headers={**_DEFAULT_HEADERS, **headers},
            json=body,
            extensions={"timeout": self._timeout},
        )
        response = self.transport.handle_request(request)
        response.request = request
        try:
            response.read()
        finally:
            # Read to the end, the stream has closed itself; on an error it is closed here.
            response.close()
        return response

    def close(self) -> None:
        self.transport.close()
