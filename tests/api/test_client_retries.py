"""The retry loop, error mapping and write gate, over httpx.MockTransport with an injected clock."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from reconciler.api.client import ProductIngestionClient
from reconciler.api.retry import parse_retry_after
from reconciler.api.transport import ApiTransport
from reconciler.errors import (
    ApiClientError,
    ApiServerError,
    ApiUnreachable,
    AuthenticationError,
    NotFoundError,
    ThrottledError,
    WriteRefused,
)
from reconciler.settings import ApiSettings, Settings
from tests.api.fakes import ENDPOINT, FakeApi, FakeClock, raise_, status


class CountingTokens:
    """Hands out tok-1, tok-2, ...; a new one only after invalidate()."""

    def __init__(self) -> None:
        self.fetched = 1
        self.invalidations = 0

    def token(self) -> str:
        return f"tok-{self.fetched}"

    def invalidate(self) -> None:
        self.invalidations += 1
        self.fetched += 1


def make_client(
    api: FakeApi,
    clock: FakeClock,
    *,
    writes: bool = False,
    tokens: CountingTokens | None = None,
    **api_settings: object,
) -> ProductIngestionClient:
    settings = Settings(
        api=ApiSettings(
            **{"retries": 5, "retry_max_seconds": 120, "backoff_seconds": 1, **api_settings}
        )
    )
    return ProductIngestionClient(
        ENDPOINT,
        settings=settings,
        tokens=tokens,
        transport=api.transport(),
        writes=writes,
        sleep=clock.sleep,
        clock=clock,
        rand=lambda: 1.0,
    )


def seed(api: FakeApi, n: int) -> None:
    for i in range(n):
        oid = f"private-offer/{i:08d}-0000-0000-0000-000000000000"
        api.offers[oid] = {
            "id": oid,
            "name": f"offer {i}",
            "eTag": '"e0"',
            "privateOfferType": "customerPromotion",
        }


def test_429_waits_retry_after_seconds(caplog: pytest.LogCaptureFixture) -> None:
    api, clock = FakeApi(), FakeClock()
    seed(api, 1)
    api.script = [status(429, {"Retry-After": "7"})]
    client = make_client(api, clock)
    with caplog.at_level(logging.WARNING):
        offers = list(client.list_offers())
    assert len(offers) == 1
    # the asked-for wait, then at most one step of the rate budget (10/s: reads share it)
    assert clock.sleeps[0] == 7.0 and sum(clock.sleeps[1:]) <= 0.1 + 1e-9, clock.sleeps
    assert client.stats.retries == 1
    assert "attempt 2/6" in caplog.text


def test_503_retry_after_http_date() -> None:
    api, clock = FakeApi(), FakeClock()
    seed(api, 1)
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    api.script = [status(503, {"Retry-After": when})]
    client = make_client(api, clock)
    client.get_offer("00000000-0000-0000-0000-000000000000")
    assert 25 <= clock.sleeps[0] <= 30 and sum(clock.sleeps[1:]) <= 0.1 + 1e-9, clock.sleeps


def test_parse_retry_after_forms() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert parse_retry_after("12", now) == 12.0
    assert parse_retry_after("Wed, 01 Jan 2025 00:00:10 GMT", now) == 10.0
    assert parse_retry_after("Tue, 31 Dec 2024 00:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_5xx_storm_is_bounded_in_count_then_reported() -> None:
    api, clock = FakeApi(), FakeClock()
    api.script = [status(500) for _ in range(50)]
    client = make_client(api, clock)
    with pytest.raises(ApiServerError) as info:
        client.get_offer("x")
    assert len(api.requests) == 6  # 1 + 5 retries
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0, 16.0]  # exponential (jitter pinned at 100 %)
    assert info.value.status == 500
    assert "scripted 500" in str(info.value) and "gave up after 6 attempts" in str(info.value)


def test_5xx_storm_is_bounded_in_time() -> None:
    api, clock = FakeApi(), FakeClock()
    api.script = [status(502) for _ in range(50)]
    client = make_client(api, clock, retries=20, retry_max_seconds=10)
    with pytest.raises(ApiServerError) as info:
        client.get_offer("x")
    assert sum(clock.sleeps) <= 10
    assert clock.sleeps == [1.0, 2.0, 4.0]  # the next wait (8 s) would cross the 10 s budget
    assert "retry budget" in str(info.value)


def test_retry_after_beyond_budget_gives_up_without_waiting() -> None:
    api, clock = FakeApi(), FakeClock()
    api.script = [status(429, {"Retry-After": "3600"})]
    client = make_client(api, clock)
    with pytest.raises(ThrottledError, match="retry budget"):
        client.get_offer("x")
    assert clock.sleeps == []


def test_connection_errors_become_api_unreachable() -> None:
    api, clock = FakeApi(), FakeClock()
    api.script = [raise_(httpx.ConnectError) for _ in range(10)]
    client = make_client(api, clock, retries=2)
    with pytest.raises(ApiUnreachable) as info:
        list(client.list_offers())
    assert "ConnectError" in str(info.value)
    assert len(api.requests) == 3


def test_401_forces_one_token_refresh_then_succeeds() -> None:
    api, clock = FakeApi(), FakeClock()
    seed(api, 1)
    api.script = [status(401)]
    tokens = CountingTokens()
    client = make_client(api, clock, tokens=tokens)
    client.get_offer("00000000-0000-0000-0000-000000000000")
    assert tokens.invalidations == 1
    assert [r.headers["Authorization"] for r in api.requests] == ["Bearer tok-1", "Bearer tok-2"]
    assert clock.sleeps == []


def test_second_401_is_an_authentication_error() -> None:
    api, clock = FakeApi(), FakeClock()
    api.script = [status(401), status(401), status(401)]
    tokens = CountingTokens()
    client = make_client(api, clock, tokens=tokens)
    with pytest.raises(AuthenticationError, match="Partner Center"):
        client.get_offer("x")
    assert tokens.invalidations == 1
    assert len(api.requests) == 2


def test_api_error_carries_code_message_details_and_request_id() -> None:
    api, clock = FakeApi(), FakeClock()
    body = {
        "error": {
            "code": "badRequest",
            "message": "Invalid configuration: schema validation failed",
            "details": [{"code": "schemaValidationError", "message": "end is required"}],
        }
    }
    api.script = [status(400, {"x-ms-request-id": "req-123"}, body)]
    client = make_client(api, clock)
    with pytest.raises(ApiClientError) as info:
        client.get_offer("abc")
    err = info.value
    assert (err.status, err.code, err.request_id) == (400, "badRequest", "req-123")
    text = str(err)
    assert "schema validation failed" in text and "end is required" in text and "req-123" in text
    assert len(api.requests) == 1  # a 400 is not retried


def test_not_found_and_request_ids_per_attempt() -> None:
    api, clock = FakeApi(), FakeClock()
    api.script = [status(500)]
    client = make_client(api, clock)
    with pytest.raises(NotFoundError) as info:
        client.get_offer("private-offer/missing")
    ids = [r.headers["client-request-id"] for r in api.requests]
    assert len(ids) == 2 and len(set(ids)) == 2
    assert all(uuid.UUID(i) for i in ids)
    assert info.value.request_id == ids[1]  # the server sent none back: ours is reported
    assert api.requests[1].url.path.endswith("/private-offer/missing")
    assert api.requests[1].url.params["$version"] == "2026-02-01"


def test_non_json_error_body_is_reported_without_traceback() -> None:
    api, clock = FakeApi(), FakeClock()
    api.script = [lambda r: httpx.Response(403, text="forbidden by gateway")]
    client = make_client(api, clock)
    with pytest.raises(ApiClientError, match="forbidden by gateway"):
        client.get_offer("x")


def test_writes_refused_without_writes_flag() -> None:
    api, clock = FakeApi(), FakeClock()
    client = make_client(api, clock, writes=False)
    with pytest.raises(WriteRefused):
        client.configure([{"name": "x"}])
    with pytest.raises(WriteRefused):
        client.cancel_job("job-1")
    assert api.requests == []


def test_the_client_holds_its_transport_and_counts_its_requests_there() -> None:
    # Composition: the typed calls go through the transport the client holds.
    api, clock = FakeApi(), FakeClock()
    seed(api, 2)
    with make_client(api, clock) as client:
        assert not isinstance(client, ApiTransport)
        assert len(list(client.list_offers())) == 2
        assert client.stats is client.transport.stats
        assert client.stats.by_endpoint["GET private-offer/query"] == 1
        assert client.endpoint == client.transport.endpoint == ENDPOINT.rstrip("/")
        with pytest.raises(WriteRefused):
            client.configure([{"resourceName": "x"}])
