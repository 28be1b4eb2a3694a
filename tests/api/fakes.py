"""A small stateful stand-in for the Product Ingestion API, served through httpx.MockTransport.

Used by the narrow unit tests; the end-to-end tests talk to the real emulator over HTTP.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

ENDPOINT = "https://api.example.test/rp/product-ingestion"

Handler = Callable[[httpx.Request], httpx.Response | None]


@dataclass
class FakeClock:
    """An injected clock whose sleep only advances time."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class FakeApi:
    offers: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    # Scripted answers consumed before the normal routes: each returns a response, raises an
    # httpx error, or returns None to fall through to the normal behaviour.
    script: list[Handler] = field(default_factory=list)
    page_size: int = 2
    list_key: str = "privateOffers"

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.script:
            answer = self.script.pop(0)(request)
            if answer is not None:
                return answer
        return self.route(request)

    def route(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/rp/product-ingestion/")
        if request.method == "POST" and path == "configure":
            return self.configure(json.loads(request.content))
        if request.method == "GET" and path == "private-offer/query":
            return self.query(request)
        if request.method == "GET" and path.startswith("private-offer/"):
            offer = self.offers.get("private-offer/" + path.split("/", 1)[1])
            if offer is None:
                return httpx.Response(
                    404, json={"error": {"code": "notFound", "message": "resource not found"}}
                )
            return httpx.Response(200, json=offer)
        if request.method == "GET" and path.startswith("configure/") and path.endswith("/status"):
            job = self.jobs.get(path.split("/")[1])
            if job is None:
                return httpx.Response(
                    404, json={"error": {"code": "notFound", "message": "no job"}}
                )
            return httpx.Response(200, json=job)
        return httpx.Response(
            404, json={"error": {"code": "notFound", "message": f"no route {path}"}}
        )

    def configure(self, body: dict[str, Any]) -> httpx.Response:
        for resource in body["resources"]:
            offer = dict(resource)
            offer.setdefault("id", f"private-offer/{uuid.uuid4()}")
            offer["eTag"] = f'"{uuid.uuid4()}"'
            self.offers[offer["id"]] = offer
        job_id = str(uuid.uuid4())
        self.jobs[job_id] = {
            "jobId": job_id,
            "jobStatus": "completed",
            "jobResult": "succeeded",
            "errors": [],
        }
        return httpx.Response(
            202, json={"jobId": job_id, "jobStatus": "notStarted", "jobResult": "pending"}
        )

    def query(self, request: httpx.Request) -> httpx.Response:
        ordered = sorted(self.offers.values(), key=lambda o: o["id"])
        start = int(request.url.params.get("continuationToken", "0"))
        page = ordered[start : start + self.page_size]
        body: dict[str, Any] = {self.list_key: page}
        if start + self.page_size < len(ordered):
            token = start + self.page_size
            body["@nextLink"] = f"private-offer/query?$version=2026-02-01&continuationToken={token}"
        return httpx.Response(200, json=body)


def status(code: int, headers: dict[str, str] | None = None, body: Any = None) -> Handler:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            code,
            headers=headers,
            json=body
            if body is not None
            else {"error": {"code": "x", "message": f"scripted {code}"}},
        )

    return answer


def raise_(exc_type: type[httpx.TransportError]) -> Handler:
    def answer(request: httpx.Request) -> httpx.Response:
        raise exc_type("scripted failure", request=request)

    return answer


def after(api: FakeApi, exc_type: type[httpx.TransportError]) -> Handler:
    """Let the request take effect, then lose the response (the connection drops)."""

    def answer(request: httpx.Request) -> httpx.Response:
        api.route(request)
        raise exc_type("connection dropped after the request was processed", request=request)

    return answer
