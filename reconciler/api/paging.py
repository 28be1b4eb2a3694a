"""Following the pages of a list: ``@nextLink`` / ``@odata.nextLink``, or a bare token.

The generic Product Ingestion lists answer ``{"value": [...], "@nextLink": "<opaque uri>"}``
(docs/api-unknowns.md); the private-offer list's envelope is undocumented,
and Graph-fronted services commonly spell the link ``@odata.nextLink``. Both spellings are
followed, absolute or relative (root-relative ``/rp/...``, query-only ``?...`` or relative
to the API endpoint). A page that carries a continuation this module cannot follow fails
loudly: silently ending the list would hide offers, and the next apply would create them
again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import httpx

from reconciler.errors import ApiServerError

NEXT_LINK_KEYS = ("@nextLink", "@odata.nextLink", "nextLink", "odata.nextLink")
TOKEN_KEYS = ("continuationToken",)
# Any other key that looks like a continuation means a page we do not know how to reach.
_CONTINUATION_HINTS = ("next", "continuation", "skiptoken", "skip_token", "cursor")


def resolve_link(endpoint: str, current: httpx.URL, link: str) -> httpx.URL:
    """The URL of a next link, absolute or relative to the endpoint (see the module doc)."""
    if link.startswith(("http://", "https://")):
        url = httpx.URL(link)
    elif link.startswith("//"):
        url = httpx.URL(f"{current.scheme}:{link}")
    elif link.startswith("/"):
        url = current.copy_with(raw_path=link.encode("ascii", "strict"))
    elif link.startswith("?"):
        url = current.copy_with(query=link[1:].encode("ascii", "strict"))
    else:
        url = httpx.URL(f"{endpoint.rstrip('/')}/{link}")
    origin = httpx.URL(endpoint)
    # The bearer token must never follow a link to another host.
    if (url.scheme, url.host, url.port) != (origin.scheme, origin.host, origin.port):
        raise ApiServerError(
            f"refusing to follow a next link to another host ({url.host})", method="GET"
        )
    return url


def continuation(data: Mapping[str, object], items_key: str) -> tuple[str | None, str | None]:
    """(next link, continuation token) of a page; raises on a continuation it cannot follow."""
    link = next((data[k] for k in NEXT_LINK_KEYS if data.get(k)), None)
    token = next((data[k] for k in TOKEN_KEYS if data.get(k)), None)
    if link is not None and not isinstance(link, str):
        raise ApiServerError(f"the next link is not a string ({type(link).__name__})")
    if link is None and token is None:
        unknown = [
            key
            for key, value in data.items()
            if key != items_key
            and value not in (None, "", [], {})
            and any(hint in key.lower() for hint in _CONTINUATION_HINTS)
        ]
        if unknown:
            raise ApiServerError(
                f"the response has a continuation this client cannot follow ({', '.join(unknown)});"
                " stopping rather than returning a partial list (an incomplete list would make "
                "apply create offers that exist)"
            )
    return link, (str(token) if token is not None else None)


def paged(
    get_page: Callable[[httpx.URL], object],
    first: httpx.URL,
    *,
    endpoint: str,
    label: str,
    keys: tuple[str, ...],
    version: str,
) -> Iterator[dict[str, object]]:
    """Every item of a list, following continuations until a page has none."""
    url: httpx.URL | None = first
    seen: set[str] = set()
    while url is not None:
        if str(url) in seen:
            raise ApiServerError(f"{label}: the service returned the same next link twice")
        seen.add(str(url))
        data = get_page(url)
        if not isinstance(data, dict):
            raise ApiServerError(f"{label}: expected a JSON object")
        items_key = next((k for k in keys if isinstance(data.get(k), list)), None)
        if items_key is None:
            found = ", ".join(sorted(data)) or "nothing"
            raise ApiServerError(
                f"{label}: no list under {' or '.join(keys)} in the response (found {found})"
            )
        yield from (item for item in data[items_key] if isinstance(item, dict))
        try:
            link, token = continuation(data, items_key)
        except ApiServerError as exc:
            exc.message = f"{label}: {exc.message}"
            raise
        if link:
            url = resolve_link(endpoint, url, link)
            if "$version" not in url.params:
                url = url.copy_merge_params({"$version": version})
        elif token:
            url = first.copy_merge_params({"continuationToken": token})
        else:
            url = None
