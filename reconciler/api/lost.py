"""What a lost ``POST configure`` response did: look for its effect before re-sending.

A configure is not idempotent: re-sending a create makes a second offer. Failures are sorted
by whether the server may have acted:

* *never sent* (``ConnectError``, ``ConnectTimeout``, ``PoolTimeout``, token errors) and 429:
  retried like a GET;
* *ambiguous* (read/write timeouts, dropped connections, ``RemoteProtocolError``, 5xx): the
  client looks for the request's effect before anything is sent again. There is no job-list
  endpoint, so it checks the offers themselves:

  - a resource with an ``id``: re-read the offer. It shows the effect when its ``eTag`` moved
    away from the ``eTag`` that was sent (or, with no ``eTag`` sent, when every plain field
    that was sent now has the sent value; a 404 after a ``state: deleted``);
  - a create (no ``id``): list the offers and look for the sent ``name`` and type.

  The job may still be queued, so the check repeats every poll interval for
  ``settings.api.lost_response_wait`` seconds (300 s against the real API, 5 s locally).
  Found -> :class:`~reconciler.errors.AmbiguousSubmission` with ``accepted=True`` and the
  offers found, logged as "configure response lost; found offer 'X' created -> not
  resending". The job id is unknown, so apply treats the change as submitted and verifies it
  on the next read instead of polling. Not found after the wait -> the request was not
  accepted and is sent again (counted as a retry). The check itself failing ->
  ``AmbiguousSubmission`` with ``accepted=None``; nothing is re-sent blindly.

"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from reconciler.errors import AmbiguousSubmission, ApiError, NotFoundError
from reconciler.offers.domain import name_key, same_type

if TYPE_CHECKING:
    from reconciler.api.client import ProductIngestionClient

log = logging.getLogger("reconciler.api.client")

_UNCOMPARED = frozenset({"$schema", "id", "eTag", "lastModified", "resourceName", "validations"})


def is_private_offer(resource: Mapping[str, Any]) -> bool:
    schema = str(resource.get("$schema", ""))
    return "/private-offer" in schema or str(resource.get("id", "")).startswith("private-offer/")


def resolve_lost_configure(
    client: ProductIngestionClient, resources: list[dict[str, Any]], error: ApiError
) -> None:
    """Raise unless the lost configure certainly took no effect (see the module doc)."""
    offers = [r for r in resources if is_private_offer(r)]
    if not offers:
        raise AmbiguousSubmission(
            f"configure response lost ({error.message}) and the request holds no private "
            "offer whose state could show whether it was accepted; not re-sending it",
            accepted=None,
            status=error.status,
        )
    wait = client.lost_response_wait
    log.info(
        "configure response lost (%s); checking whether the job was accepted (up to %g s)",
        error.message,
        wait,
    )
    deadline = client._clock() + wait
    while True:
        try:
            found = _find_effect(client, offers)
        except ApiError as exc:
            raise AmbiguousSubmission(
                f"configure response lost ({error.message}) and checking its effect failed "
                f"({exc.message}); not re-sending it: run plan again to see the live state",
                accepted=None,
                status=error.status,
            ) from None
        if found:
            names = ", ".join(repr(o.get("name") or o.get("id")) for o, _ in found)
            verbs = sorted({verb for _, verb in found})
            log.info(
                "configure response lost; found offer %s %s -> not resending",
                names,
                "/".join(verbs),
            )
            raise AmbiguousSubmission(
                f"configure response lost, but the request was accepted: found offer {names} "
                f"{'/'.join(verbs)} (job id unknown)",
                accepted=True,
                found=[o for o, _ in found],
                status=error.status,
            )
        remaining = deadline - client._clock()
        if remaining <= 0:
            break
        client._sleep(min(client.poll_interval, remaining))
    log.warning(
        "configure response lost; no effect of it visible after %g s -> it was not accepted, "
        "sending it again",
        wait,
    )


def _find_effect(
    client: ProductIngestionClient, offers: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], str]]:
    """The offers that show the effect of *offers* having been applied, with a verb."""
    found: list[tuple[dict[str, Any], str]] = []
    live_by_name: dict[str, list[dict[str, Any]]] | None = None
    for sent in offers:
        offer_id = sent.get("id")
        if offer_id:
            try:
                live = client.get_offer(str(offer_id))
            except NotFoundError:
                if sent.get("state") == "deleted":
                    found.append(({"id": offer_id, "name": sent.get("name")}, "deleted"))
                continue
            if _shows_update(sent, live):
                found.append((live, "updated"))
        else:
            if live_by_name is None:
                live_by_name = {}
                for live in client.list_offers():
                    live_by_name.setdefault(name_key(live.get("name")), []).append(live)
            kind = sent.get("privateOfferType")
            matches = [
                live
                for live in live_by_name.get(name_key(sent.get("name")), [])
                if not kind or same_type(live.get("privateOfferType"), kind)
            ]
            found.extend((live, "created") for live in matches)
    return found


def _shows_update(sent: Mapping[str, Any], live: Mapping[str, Any]) -> bool:
    sent_etag = sent.get("eTag")
    if sent_etag:
        return bool(live.get("eTag")) and live.get("eTag") != sent_etag
    plain = {
        k: v
        for k, v in sent.items()
        if k not in _UNCOMPARED and isinstance(v, str | int | float | bool)
    }
    return bool(plain) and all(live.get(k) == v for k, v in plain.items())
