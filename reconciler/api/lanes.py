"""A connection pool for many threads: single-connection transports, each lent to one
request at a time.

httpcore's pool re-examines every connection it holds each time a request comes or goes
(is it closed, expired -- a ``poll`` system call --, idle; the idle count itself is
counted once per connection), under one lock: with the 32 connections of apply's
submitters that was tens of thousands of checks for 600 requests, a good part of the
client's CPU, and every thread waited on that lock. Here each lane is an
``httpx.HTTPTransport`` of one connection, so a request looks at one connection only;
lanes are taken and given back under a lock held for a list operation.

A thread that finds every lane lent waits for one to come back, rather than queueing inside
httpcore, where a queued request can have its connection closed under it by another thread
(encode/httpcore#1110). A lane comes back once its response has been read and closed, so its
connection is never shared.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx


class LanePool(httpx.BaseTransport):
    def __init__(self, size: int, make: Callable[[], httpx.BaseTransport]) -> None:
        self._size = max(1, size)
        self._make = make
        self._idle: list[httpx.BaseTransport] = []
        self._lanes: list[httpx.BaseTransport] = []
        self._free = threading.Condition()
        self._closed = False

    @classmethod
    def http(cls, size: int, **options: object) -> LanePool:
        """*size* lanes of ``httpx.HTTPTransport(**options)`` with one connection each."""
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        return cls(size, lambda: httpx.HTTPTransport(limits=limits, **options))  # type: ignore[arg-type]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        lane = self._take()
        try:
            response = lane.handle_request(request)
            # Read whole (the API's answers are small JSON documents, never streamed) and
            # closed before the lane goes back: its connection serves one request at a time.
            response.read()
            return response
        finally:
            self._give(lane)

    def close(self) -> None:
        with self._free:
            self._closed = True
            lanes, self._lanes, self._idle = self._lanes, [], []
        for lane in lanes:
            lane.close()

    def _take(self) -> httpx.BaseTransport:
        with self._free:
            while True:
                if self._idle:
                    return self._idle.pop()  # the one given back last: its connection is warm
                if len(self._lanes) < self._size:
                    lane = self._make()
                    self._lanes.append(lane)
                    return lane
                self._free.wait()

    def _give(self, lane: httpx.BaseTransport) -> None:
        with self._free:
            if self._closed:
                return
            self._idle.append(lane)
            self._free.notify()
