"""POST configure under lost responses, paging and request stats (MockTransport, fake clock)."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from reconciler.errors import AmbiguousSubmission, ApiServerError
from tests.api.fakes import ENDPOINT, FakeApi, FakeClock, after, raise_
from tests.api.test_client_retries import make_client, seed

OFFER_SCHEMA = "https://schema.mp.microsoft.com/schema/private-offer/2024-09-30"


def new_offer(name: str = "Contoso deal") -> dict[str, object]:
    return {
        "$schema": OFFER_SCHEMA,
        "name": name,
        "privateOfferType": "customerPromotion",
        "state": "draft",
    }


def posts(api: FakeApi) -> list[httpx.Request]:
    return [r for r in api.requests if r.method == "POST"]


def test_configure_sends_envelope_and_returns_job() -> None:
    api, clock = FakeApi(), FakeClock()
    client = make_client(api, clock, writes=True)
    job = client.configure([new_offer()])
    assert job.job_status == "notStarted" and job.job_id
    request = posts(api)[0]
    assert request.url.params["$version"] == "2022-07-01"
    body = json.loads(request.content)
    assert body["$schema"] == "https://schema.mp.microsoft.com/schema/configure/2022-07-01"
    assert body["resources"][0]["name"] == "Contoso deal"
    assert client.stats.by_endpoint["POST configure"] == 1


def test_connect_error_before_sending_is_retried_for_post() -> None:
    api, clock = FakeApi(), FakeClock()
    api.script = [raise_(httpx.ConnectError)]
    client = make_client(api, clock, writes=True)
    client.configure([new_offer()])
    assert len(posts(api)) == 2
    assert len(api.offers) == 1


def _processed_then_500(api: FakeApi) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        api.route(request)
        return httpx.Response(500, json={"error": {"code": "internalServerError", "message": "x"}})

    return answer


LOST = {
    "dropped after an accepted create": lambda api: after(api, httpx.ReadTimeout),
    "dropped before it arrived": lambda api: raise_(httpx.RemoteProtocolError),
    "processed, then HTTP 500": _processed_then_500,
    "read error on an update": lambda api: after(api, httpx.ReadError),
}


@pytest.mark.parametrize("how", list(LOST))
def test_a_lost_configure_answer_is_raised_at_once_never_resent_nor_judged(how: str) -> None:
    """One place decides whether a lost request took effect (apply, from its journal): the
    client neither re-sends it after a wait nor looks for its effect by name."""
    api, clock = FakeApi(), FakeClock()
    seed(api, 2)
    live = next(iter(api.offers.values()))
    update = {**new_offer("offer 0"), "id": live["id"], "eTag": live["eTag"], "state": "live"}
    resource = update if "update" in how else new_offer("Fabrikam renewal")
    api.script = [LOST[how](api)]
    client = make_client(api, clock, writes=True, lost_response_wait=4)
    with pytest.raises(AmbiguousSubmission) as info:
        client.configure([resource])
    assert info.value.accepted is None and info.value.found == []
    assert len(posts(api)) == 1  # never re-sent
    assert [r.method for r in api.requests] == ["POST"]  # nothing read to judge it
    assert sum(clock.sleeps) == 0  # and no wait for its effect


@pytest.mark.parametrize("key", ["@nextLink", "@odata.nextLink"])
@pytest.mark.parametrize(
    "link",
    [
        "private-offer/query?$version=2026-02-01&continuationToken={n}",
        "/rp/product-ingestion/private-offer/query?$version=2026-02-01&continuationToken={n}",
        "?$version=2026-02-01&continuationToken={n}",
        ENDPOINT + "/private-offer/query?continuationToken={n}",
    ],
    ids=["relative", "root-relative", "query-only", "absolute-without-version"],
)
def test_paging_follows_next_links(link: str, key: str) -> None:
    api, clock = FakeApi(page_size=3), FakeClock()
    seed(api, 10)

    def query(request: httpx.Request) -> httpx.Response:
        response = api.query(request)
        data = json.loads(response.content)
        if "@nextLink" in data:
            n = data.pop("@nextLink").rsplit("=", 1)[1]
            data[key] = link.format(n=n)
        return httpx.Response(200, json=data)

    api.script = [query for _ in range(10)]
    client = make_client(api, clock, page_size=3)
    names = [o["name"] for o in client.list_offers()]
    assert sorted(names) == sorted(f"offer {i}" for i in range(10))
    assert client.stats.by_endpoint["GET private-offer/query"] == 4
    # $maxpagesize is documented for product and plan lists, not for private-offer/query.
    assert all("$maxpagesize" not in r.url.params for r in api.requests)
    assert all(r.url.params["$version"] == "2026-02-01" for r in api.requests)


@pytest.mark.parametrize("key", ["@odata.skipToken", "nextPageToken", "continuation"])
def test_a_continuation_that_cannot_be_followed_fails_loudly(key: str) -> None:
    api, clock = FakeApi(), FakeClock()
    api.script = [lambda r: httpx.Response(200, json={"privateOffers": [], key: "abc"})]
    client = make_client(api, clock)
    with pytest.raises(ApiServerError, match="cannot follow"):
        list(client.list_offers())


def test_paging_with_value_key_and_continuation_token() -> None:
    api, clock = FakeApi(page_size=4), FakeClock()
    seed(api, 9)

    def query(request: httpx.Request) -> httpx.Response:
        data = json.loads(api.query(request).content)
        link = data.pop("@nextLink", None)
        body = {"value": data["privateOffers"]}
        if link:
            body["continuationToken"] = link.rsplit("=", 1)[1]
        return httpx.Response(200, json=body)

    api.script = [query for _ in range(10)]
    client = make_client(api, clock)
    assert len(list(client.list_offers())) == 9


def test_next_link_to_another_host_is_refused() -> None:
    api, clock = FakeApi(), FakeClock()
    api.script = [
        lambda r: httpx.Response(
            200, json={"privateOffers": [], "@nextLink": "https://evil.example/steal"}
        )
    ]
    client = make_client(api, clock)
    with pytest.raises(ApiServerError, match="another host"):
        list(client.list_offers())
    assert len(api.requests) == 1


def test_missing_list_key_is_reported() -> None:
    api, clock = FakeApi(), FakeClock()
    api.script = [lambda r: httpx.Response(200, json={"items": []})]
    client = make_client(api, clock)
    with pytest.raises(ApiServerError, match="privateOffers or value"):
        list(client.list_offers())


def test_stats_keys_by_endpoint() -> None:
    api, clock = FakeApi(), FakeClock()
    client = make_client(api, clock, writes=True)
    job = client.configure([new_offer()])
    client.job_status(job.job_id)
    offer_id = next(iter(api.offers))
    client.get_offer(offer_id)
    list(client.list_offers())
    assert dict(client.stats.by_endpoint) == {
        "POST configure": 1,
        "GET configure/{id}/status": 1,
        "GET private-offer/{id}": 1,
        "GET private-offer/query": 1,
    }
