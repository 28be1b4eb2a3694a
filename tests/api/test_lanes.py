"""The connection pool of many threads (reconciler.api.lanes): never more requests on the
wire than lanes, a lane's connection never shared by two requests, lanes reused."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from reconciler.api.lanes import LanePool


class Counting(httpx.BaseTransport):
    """A lane that answers with its own number after a moment, counting what overlaps."""

    made = 0
    lock = threading.Lock()
    in_flight = 0
    most = 0

    def __init__(self) -> None:
        with Counting.lock:
            Counting.made += 1
            self.number = Counting.made
        self.busy = False
        self.closed = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert not self.busy, "a lane lent to two requests at once"
        self.busy = True
        with Counting.lock:
            Counting.in_flight += 1
            Counting.most = max(Counting.most, Counting.in_flight)
        time.sleep(0.005)
        with Counting.lock:
            Counting.in_flight -= 1
        self.busy = False
        return httpx.Response(200, json={"lane": self.number, "path": request.url.path})

    def close(self) -> None:
        self.closed = True


def test_eight_threads_share_two_lanes_one_request_each_at_a_time() -> None:
    lanes: list[Counting] = []

    def make() -> Counting:
        lanes.append(Counting())
        return lanes[-1]

    pool = LanePool(2, make)
    with (
        httpx.Client(transport=pool, base_url="http://127.0.0.1") as client,
        ThreadPoolExecutor(8) as threads,
    ):
        answers = list(threads.map(lambda n: client.get(f"/offer/{n}").json(), range(64)))
    assert [a["path"] for a in answers] == [f"/offer/{n}" for n in range(64)]
    assert len(lanes) == 2 and Counting.most <= 2
    assert {a["lane"] for a in answers} <= {lane.number for lane in lanes}
    assert all(lane.closed for lane in lanes)  # closed with the client
