"""The API's requests on the wire (reconciler.api.wire), against a real HTTP server on
loopback: they name the tool, never carry back a cookie the service set, and beyond eight
connections pools of eight keep the limit of connections."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from reconciler import __version__
from reconciler.api.client import ProductIngestionClient
from reconciler.api.credentials import StaticTokenProvider
from reconciler.api.wire import SHARD_CONNECTIONS, ShardedTransport
from reconciler.settings import ApiSettings, Settings


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # every thread of a test may connect at once

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.active = self.most_active = 0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.seen.append({"path": self.path, "headers": dict(self.headers.items())})
            self.server.active += 1
            self.server.most_active = max(self.server.most_active, self.server.active)
        time.sleep(0.005)  # long enough for the requests of all threads to overlap
        with self.server.lock:
            self.server.active -= 1
        body = json.dumps({"id": "price-and-availability-private-offer-plan/1/2"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Set-Cookie", "session=from-the-service; Path=/")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _client(server: _Server, connections: int = 8) -> ProductIngestionClient:
    host, port = server.server_address[:2]
    settings = Settings(api=ApiSettings(max_connections=connections))
    return ProductIngestionClient(
        f"http://{host!s}:{port}/rp/product-ingestion",
        settings=settings,
        tokens=StaticTokenProvider("t0k3n-for-the-test"),
    )


def test_requests_name_the_tool_and_never_carry_a_cookie_the_service_set(server: _Server) -> None:
    client = _client(server)
    try:
        client.get_resource("price-and-availability-private-offer-plan/1/2")
        client.get_resource("price-and-availability-private-offer-plan/1/2")
    finally:
        client.close()
    first, second = (seen["headers"] for seen in server.seen)
    assert first["User-Agent"] == second["User-Agent"] == f"offer-reconciler/{__version__}"
    assert "Cookie" not in second  # the service's Set-Cookie was not kept
    assert second["Authorization"] == "Bearer t0k3n-for-the-test"
    assert second["Accept"] == "application/json" and "gzip" in second["Accept-Encoding"]


def test_beyond_eight_connections_pools_of_eight_keep_the_limit(server: _Server) -> None:
    limit = 2 * SHARD_CONNECTIONS + 4
    client = _client(server, connections=limit)
    wire = client.transport._wire.transport
    assert isinstance(wire, ShardedTransport) and len(wire.shards) == 3
    threads = limit + 10
    barrier = threading.Barrier(threads)

    def reads(_: int) -> None:
        barrier.wait()  # all at once: more threads than connections
        for _ in range(2):
            client.get_resource("price-and-availability-private-offer-plan/1/2")

    try:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(reads, range(threads)))
    finally:
        client.close()
    assert len(server.seen) >= 2 * threads  # every read answered, none lost in a queue
    # One request at a time per connection: never more at once than the connections.
    assert server.most_active <= limit
