"""fetch_live: the request floor, and price resources fetched in parallel."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

from reconciler.plan.live import fetch_live


class CountingClient:
    """The two reads plan uses, recording how many price reads ran at the same time."""

    def __init__(self, offers: list[dict[str, Any]]) -> None:
        self.offers = offers
        self.reads: list[str] = []
        self.active = 0
        self.most_active = 0
        self._lock = threading.Lock()

    def list_offers(self) -> Iterator[dict[str, Any]]:
        yield from self.offers

    def get_resource(self, durable_id: str) -> dict[str, Any]:
        with self._lock:
            self.reads.append(durable_id)
            self.active += 1
            self.most_active = max(self.most_active, self.active)
        time.sleep(0.02)  # a request in flight
        with self._lock:
            self.active -= 1
        return {"id": durable_id, "pricing": {"recurrentPrice": {"prices": []}}}


def offer(n: int, *refs: str, state: str = "live") -> dict[str, Any]:
    pricing = [{"product": "product/p", "priceDetails": ref} for ref in refs]
    return {"id": f"private-offer/{n}", "name": f"Offer {n}", "state": state, "pricing": pricing}


def test_each_price_resource_is_read_once_in_parallel_and_in_order() -> None:
    shared = "price-and-availability-private-offer-plan/p/shared"
    offers = [
        offer(n, f"price-and-availability-private-offer-plan/p/{n}", shared) for n in range(12)
    ]
    offers.append(offer(99, "price-and-availability-private-offer-plan/p/gone", state="deleted"))
    serial_client = CountingClient(offers)
    serial = fetch_live(serial_client)
    parallel_client = CountingClient(offers)
    parallel = fetch_live(parallel_client, workers=4)

    assert parallel.prices == serial.prices
    assert list(parallel.prices) == list(serial.prices)  # deterministic order
    assert len(parallel.prices) == 13  # 12 own + 1 shared; the deleted offer's is not read
    assert sorted(parallel_client.reads) == sorted(set(parallel_client.reads))  # once each
    assert serial_client.most_active == 1
    assert parallel_client.most_active > 1


def test_only_managed_offers_cost_price_reads() -> None:
    offers = [offer(n, f"price-and-availability-private-offer-plan/p/{n}") for n in range(5)]
    client = CountingClient(offers)
    live = fetch_live(client, managed=lambda o: o["name"] == "Offer 3", workers=4)
    assert client.reads == ["price-and-availability-private-offer-plan/p/3"]
    assert len(live.offers) == 5
