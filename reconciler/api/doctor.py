"""First contact with a service: what the tool assumes, what the service did, what follows.

``reconciler doctor`` runs :func:`examine` before anything else touches a real account. It
only reads (``GET``; the client is opened read-only, so a ``POST`` cannot be sent) and it
never retries: a first contact should fail fast and say why. Reads, at most:

* the first page of ``GET private-offer/query`` (and following pages until every offer
  type present has been seen, at most :data:`MAX_PAGES`), which also fetches the token;
* one ``GET private-offer/{id}`` per offer type present;
* one price template (``GET price-and-availability-private-offer-plan/{product}?plan=``)
  of a plan some offer prices, or else of the first plan of the first product listed;
* the plan list (``GET plan?product=``) of the product the first priced entry names: which
  name of a plan the service reads back, and whether the list relates it to the external id.

Each :class:`Finding` is "assumption -> what the service did -> what the tool will do".
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from reconciler.api.client import PLAN_LIST_VERSION, ProductIngestionClient
from reconciler.api.paging import NEXT_LINK_KEYS, TOKEN_KEYS, resolve_link
from reconciler.api.shapes import SUMMARY_FIELDS, is_summary
from reconciler.errors import ApiError, ForbiddenError, NotFoundError
from reconciler.offers.domain import canonical_type, product_guid
from reconciler.offers.schema_urls import (
    OFFER_RESOURCE,
    OFFER_VERSION_SETTING,
    PRICE_RESOURCE,
    PRICE_VERSION_SETTING,
    reported_versions,
)

MAX_PAGES = 5
LIST = "GET private-offer/query"


@dataclass
class Finding:
    topic: str
    assumption: str
    observed: str
    action: str
    ok: bool = True


@dataclass
class DoctorReport:
    endpoint: str
    findings: list[Finding] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)  # resource type -> newest answered
    requests: dict[str, int] = field(default_factory=dict)

    def add(self, topic: str, assumption: str, observed: str, action: str, ok: bool = True) -> None:
        self.findings.append(Finding(topic, assumption, observed, action, ok))

    @property
    def posts(self) -> int:
        return sum(n for label, n in self.requests.items() if label.startswith("POST"))

    def to_data(self) -> dict[str, object]:
        return {
            "endpoint": self.endpoint,
            "findings": [asdict(f) for f in self.findings],
            "versions": dict(sorted(self.versions.items())),
            "requests": dict(sorted(self.requests.items())),
            "posts": self.posts,
        }

    def render_text(self, width: int = 100) -> str:
        """The findings for a terminal or a log, wrapped at *width* columns (ids and
        addresses are never broken: a line holding one may be longer)."""
        lines = [f"reconciler doctor: {self.endpoint}", ""]
        for f in self.findings:
            mark = "ok  " if f.ok else "WARN"
            lines.append(f"[{mark}] {f.topic}")
            lines += _wrapped("       assumption: ", f.assumption, width)
            lines += _wrapped("       -> service: ", f.observed, width)
            lines += _wrapped("       -> tool:    ", f.action, width)
        sent = ", ".join(f"{label} x{n}" for label, n in sorted(self.requests.items()))
        lines += ["", *_wrapped("requests sent: ", f"{sent or 'none'} (POST: {self.posts})", width)]
        return "\n".join(lines) + "\n"


def _wrapped(label: str, text: str, width: int) -> list[str]:
    return textwrap.wrap(
        text,
        width=max(width, len(label) + 20),
        initial_indent=label,
        subsequent_indent=" " * len(label),
        break_long_words=False,
        break_on_hyphens=False,
    ) or [label.rstrip()]


def _list_key(page: Mapping[str, object]) -> str | None:
    return next((k for k in ("privateOffers", "value") if isinstance(page.get(k), list)), None)


def _continuation(page: Mapping[str, object]) -> str | None:
    return next((k for k in (*NEXT_LINK_KEYS, *TOKEN_KEYS) if page.get(k)), None)


def _read_list(client: ProductIngestionClient, report: DoctorReport) -> list[dict[str, object]]:
    params = {"$version": client.offer_version}
    page = client.transport._get_json("private-offer/query", params, label=LIST, retry=False)
    report.add(
        "token",
        "the configured credential gets a token for https://graph.microsoft.com/.default",
        "a token was issued and the API accepted it",
        "every command authenticates the same way",
    )
    key = _list_key(page) if isinstance(page, Mapping) else None
    if key is None:
        found = sorted(page) if isinstance(page, Mapping) else type(page).__name__
        report.add(
            "list key",
            "the list answers its offers under `privateOffers` or `value`",
            f"no list under either key (found {found})",
            "plan, drift and import stop with an error: please attach this report to an issue",
            ok=False,
        )
        return []
    report.add(
        "list key",
        "the list answers its offers under `privateOffers` or `value` (api.list-key = auto)",
        f"offers under `{key}`",
        f"reads `{key}`",
    )
    items: list[dict[str, object]] = [i for i in page[key] if isinstance(i, dict)]
    link_key, pages = _continuation(page), 1
    first_link_key = link_key
    url = client.transport._url("private-offer/query", params)
    while link_key is not None and pages < MAX_PAGES and not _every_type(items):
        link = str(page[link_key])
        if link_key in TOKEN_KEYS:
            url = client.transport._url("private-offer/query", {**params, link_key: link})
        else:
            url = resolve_link(client.endpoint, url, link)
        page = client.transport._json(
            client.transport._send("GET", url, label=LIST, retry=False), LIST
        )
        items += [i for i in page.get(key) or [] if isinstance(i, dict)]
        link_key, pages = _continuation(page), pages + 1
    report.add(
        "next link",
        "further pages are named by `@nextLink`, `@odata.nextLink` or `continuationToken`",
        f"`{first_link_key}`" if first_link_key else "one page only: no continuation seen",
        f"follows `{first_link_key}`" if first_link_key else "follows any of those keys",
    )
    return items


def _every_type(items: list[dict[str, object]]) -> bool:
    return len({canonical_type(i.get("privateOfferType")) for i in items}) >= 4


def _shape(items: list[dict[str, object]], report: DoctorReport) -> None:
    if not items:
        report.add(
            "list shape",
            "the list answers full resources with their eTags",
            "the account lists no offer: the shape cannot be seen yet",
            "reads each managed offer by id whenever the list answers summaries",
        )
        return
    summaries = sum(1 for i in items if is_summary(i))
    etags = sum(1 for i in items if i.get("eTag"))
    if summaries:
        fields = sorted({k for i in items if is_summary(i) for k in i})
        report.add(
            "list shape",
            "the list answers full resources with their eTags",
            f"summaries ({', '.join(fields)}): {summaries} of {len(items)} listed offer(s)",
            "plan, drift and import read each managed offer by id (one GET each, side by "
            "side within apply.requests-per-second); apply's guard reads its offers by id",
            ok=set(fields) <= SUMMARY_FIELDS | {"$schema", "subState"},
        )
    else:
        report.add(
            "list shape",
            "the list answers full resources with their eTags",
            f"full resources: {len(items)} listed offer(s), {etags} with an eTag",
            "reads only the list (no read by id)",
        )


def _offers_by_type(
    client: ProductIngestionClient, items: list[dict[str, object]], report: DoctorReport
) -> list[dict[str, object]]:
    firsts: dict[str, dict[str, object]] = {}
    for item in items:
        kind = canonical_type(item.get("privateOfferType"))
        if item.get("id") and item.get("state") != "deleted":
            firsts.setdefault(str(kind), item)
    full: list[dict[str, object]] = []
    for kind, item in sorted(firsts.items()):
        bare = str(item["id"]).removeprefix("private-offer/")
        offer = client.transport._get_json(
            f"private-offer/{bare}",
            {"$version": client.offer_version},
            label="GET private-offer/{id}",
            retry=False,
        )
        full.append(offer)
        has_etag = bool(offer.get("eTag"))
        report.add(
            f"offer by id ({kind})",
            "a GET by id answers the full resource with an eTag",
            f"{offer.get('$schema', 'no $schema')}; eTag {'present' if has_etag else 'absent'}",
            "saved plans record this eTag and apply refuses a plan it no longer matches"
            if has_etag
            else "no eTag to compare: apply cannot tell an outside edit (please report it)",
            ok=has_etag,
        )
    return full


def _template_target(
    client: ProductIngestionClient, offers: list[dict[str, Any]]
) -> tuple[str, str] | None:
    for offer in offers:
        for entry in offer.get("pricing") or []:
            plan = entry.get("plan") or entry.get("basePlan") if isinstance(entry, dict) else None
            if isinstance(entry, dict) and entry.get("product") and plan:
                return str(entry["product"]), str(plan)
    products = client.transport._get_json(
        "product", {"$version": "2022-07-01"}, label="GET product", retry=False
    )
    for product in (products or {}).get("value") or []:
        plans = client.transport._get_json(
            "plan",
            {"$version": "2022-07-01", "product": str(product.get("id"))},
            label="GET plan",
            retry=False,
        )
        for plan in (plans or {}).get("value") or []:
            return str(product.get("id")), str(plan.get("id"))
    return None


def _template(
    client: ProductIngestionClient, offers: list[dict[str, Any]], report: DoctorReport
) -> dict[str, Any] | None:
    target = _template_target(client, offers)
    if target is None:
        report.add(
            "price template",
            "a public plan's price template can be read",
            "no product or plan to read one from",
            "the price guard compares no list price",
        )
        return None
    product, plan = target
    template: dict[str, object] = client.transport._get_json(
        f"{PRICE_RESOURCE}/{product_guid(product)}",
        {"$version": client.price_version, "plan": plan},
        label=f"GET {PRICE_RESOURCE}/{{id}}",
        retry=False,
    )
    report.add(
        "price template",
        "a public plan's price template can be read",
        f"{template.get('$schema', 'no $schema')} for {plan}",
        "the price guard compares absolute prices with it",
    )
    return template


PLAN_NAMES = (
    "a plan has a durable id plan/<productGuid>/<planGuid> and an external id (plan/123456 in "
    "the documentation's requests); GET plan?product= names both"
)


def _plan_names(
    client: ProductIngestionClient, offers: list[dict[str, Any]], report: DoctorReport
) -> None:
    """Which name of a plan a pricing entry reads back with, and whether the plan list
    relates it to the external id a file writes (docs/api-unknowns.md, "Plan ids")."""
    found = [
        (str(e["product"]), str(e.get("plan") or e.get("basePlan")))
        for o in offers
        for e in o.get("pricing") or []
        if isinstance(e, dict) and e.get("product") and (e.get("plan") or e.get("basePlan"))
    ]
    if not found:
        report.add("plan ids", PLAN_NAMES, "no offer read prices a plan", "nothing to compare yet")
        return
    product, ref = found[0]
    form = "durable id" if ref.count("/") == 2 else "external id"
    try:
        listed = client.transport._get_json(
            "plan",
            {"$version": PLAN_LIST_VERSION, "product": product},
            label="GET plan",
            retry=False,
        )
    except (NotFoundError, ForbiddenError) as exc:
        report.add(
            "plan ids",
            PLAN_NAMES,
            f"pricing reads back by {form} ({ref}); GET plan refused ({exc.status})",
            "plans compare by their text: name them in files as the service reads them back "
            "(import writes that form)",
            ok=form == "external id",
        )
        return
    items = [p for p in (listed or {}).get("value") or [] if isinstance(p, dict)]
    external = {
        str(p.get("id", "")).lower(): str((p.get("identity") or {}).get("externalId", ""))
        for p in items
    }
    short = ref.rsplit("/", 1)[-1]
    known = ref.lower() in external or short in external.values()
    report.add(
        "plan ids",
        PLAN_NAMES,
        f"pricing reads back by {form} ({ref}); GET plan lists {len(items)} plan(s) of {product}"
        + ("" if known else ", none of them this one"),
        "plan, drift and import read GET plan once per priced product and compare both names "
        "as one; import writes plan/<externalId>"
        if known
        else "this plan cannot be named by its external id: name it as the service reads it "
        "back (please report it)",
        ok=known,
    )


def _versions(
    client: ProductIngestionClient,
    pinned: set[str],
    answered: list[dict[str, object]],
    report: DoctorReport,
) -> None:
    report.versions = reported_versions(answered)
    asked = {OFFER_RESOURCE: client.offer_version, PRICE_RESOURCE: client.price_version}
    settings = {OFFER_RESOURCE: OFFER_VERSION_SETTING, PRICE_RESOURCE: PRICE_VERSION_SETTING}
    for kind, version in asked.items():
        seen = report.versions.get(kind)
        setting = settings[kind]
        if setting.rsplit(".", 1)[-1] in pinned:
            action = f"writes {kind}/{version} ({setting} pins it)"
        elif seen:
            action = f"writes {kind}/{seen}, the newest the service answered with"
        else:
            action = f"writes {kind}/{version} (nothing answered yet; {setting} can pin one)"
        report.add(
            f"schema version ({kind})",
            f"the service knows {kind}/{version} (asked as $version={version})",
            f"answered {kind}/{seen}" if seen else "no resource of this type answered",
            action,
            ok=seen is None or seen == version or setting.rsplit(".", 1)[-1] not in pinned,
        )


def examine(client: ProductIngestionClient, *, pinned: set[str] | None = None) -> DoctorReport:
    """Read what the service shows (see the module doc); raise ApiError when it cannot."""
    report = DoctorReport(endpoint=client.endpoint)
    try:
        items = _read_list(client, report)
        _shape(items, report)
        offers = _offers_by_type(client, items, report)
        template = _template(client, offers, report)
        _plan_names(client, offers, report)
        answered = [*items, *offers, *([template] if template else [])]
        _versions(client, pinned or set(), answered, report)
    except ApiError:
        report.requests = dict(client.stats.by_endpoint)
        raise
    report.requests = dict(client.stats.by_endpoint)
    return report
