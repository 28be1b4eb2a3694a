"""The private-offer store's behaviour: jobs, business rules, lifecycle and views.

Jobs are processed lazily and deterministically: a job becomes due ``job_latency`` seconds
after submission, and every request first runs :meth:`Engine.advance`, which completes the
due jobs strictly in submission order (one writer, so jobs never interleave). A job's state
lives in SQLite, so a job still pending when the emulator stops completes after a restart.
With ``job_latency = 0`` a job is ``notStarted`` in the 202 answer and completed at the next
request.

Within a job, price resources are processed before private offers (offers refer to them by
``resourceName``), each resource in its own savepoint: a failed resource is rolled back
alone and the others stay (``atomic_jobs=False``), or the whole job is rolled back
(``atomic_jobs=True``). Business-rule failures are job errors, never HTTP errors.

A multiparty offer is one record with two views: the originator's (type
``multipartyPromotionOriginator``) and the selling partner's (type
``multipartyPromotionChannelPartner``, with ``originatorPricing``,
``originatorTermsAndConditionsDocs`` and its own fields). The partner view exists once the
originator publishes; the customer sees the offer once the partner publishes.
"""

from __future__ import annotations

import calendar
import copy
import datetime as dt
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reconciler.emulator.config import Account, EmulatorConfig
from reconciler.emulator.store import Store
from reconciler.emulator.validation import normalize_type, parse_date
from reconciler.emulator.versions import schema_url

CUSTOMER = "customerPromotion"
CSP = "cspPromotion"
ORIGINATOR = "multipartyPromotionOriginator"
CHANNEL = "multipartyPromotionChannelPartner"

NOT_STORED = {
    "$schema", "id", "resourceName", "state", "eTag", "lastModified", "subState",
    "acceptanceLinks", "validations", "privateOfferType",
}  # fmt: skip
# What the selling partner may set; everything else in its view is read-only.
PARTNER_OWN = ("preparedBy", "termsAndConditionsDocs", "notificationContacts", "notes")
PARTNER_READ_ONLY = (
    "name", "offerPricingType", "customerContractRenewal", "variableStartDate", "start", "end",
    "acceptBy", "beneficiaries", "partners", "originatorTermsAndConditionsDocs",
)  # fmt: skip
PRICE_PREFIX = "price-and-availability-private-offer-plan/"
JOB_END_UNSET = "0001-01-01T00:00:00"


@dataclass
class RuleError(Exception):
    code: str
    message: str
    details: list[dict[str, Any]] = field(default_factory=list)


def _detail(code: str, message: str, target: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"code": code, "message": message, "details": []}
    if target:
        item["target"] = target
    return item


def job_timestamp(when: float) -> str:
    """ISO-8601 UTC with 7 fractional digits, as the service writes ``jobStart``."""
    moment = dt.datetime.fromtimestamp(when, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


def new_etag() -> str:
    return f'"{uuid.uuid4()}"'


@dataclass
class JobContext:
    account: Account
    version: str
    names: dict[str, str] = field(default_factory=dict)  # resourceName -> price durable id
    failed_names: set[str] = field(default_factory=set)


class Engine:
    def __init__(
        self, config: EmulatorConfig, store: Store, clock: Callable[[], float] = time.time
    ) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.api_url = ""  # set by the app once the server knows its address

    # ---- clock --------------------------------------------------------------------------

    def today(self) -> dt.date:
        if self.config.today:
            return dt.date.fromisoformat(self.config.today)
        return dt.datetime.now(dt.UTC).date()

    # ---- jobs ---------------------------------------------------------------------------

    def submit(
        self,
        account: Account,
        body: dict[str, Any],
        resources: list[dict[str, Any]],
        fail: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        now = self.clock()
        job_id = str(uuid.uuid4())
        delete_only = all(
            r.get("state") == "deleted" for r in resources if "privateOfferType" in r
        ) and any("privateOfferType" in r for r in resources)
        schema = str(resources[0].get("$schema", "")) if resources else ""
        version = schema.rsplit("/", 1)[-1] or "2023-07-15"
        job = {
            "jobId": job_id,
            "account": account.name,
            "status": self.config.initial_job_status,
            "result": "pending",
            "start": job_timestamp(now),
            "end": JOB_END_UNSET,
            "submitted": now,
            "errors": [],
            "detail": [],
            "resources": resources,
            "deleteOnly": delete_only,
            "fail": fail,
            "version": version,
        }
        self.store.add_job(job_id, account.name, now + self.config.job_latency, job)
        return job

    def advance(self) -> None:
        """Complete every due job, oldest first; stop at the first one not yet due."""
        now = self.clock()
        with self.store.lock:
            for job_id, due in self.store.pending_jobs():
                if due > now:
                    break
                job = self.store.get_job(job_id)
                if job is not None:
                    self._run(job)

    def job_view(self, job: dict[str, Any], version: str) -> dict[str, Any]:
        status = job["status"]
        latency = self.config.job_latency
        if status != "completed" and latency > 0 and self.clock() >= job["submitted"] + latency / 2:
            status = "running"
        view: dict[str, Any] = {
            "$schema": schema_url("configure-status", version),
            "jobId": job["jobId"],
            "jobStatus": status,
            "jobResult": job["result"],
            "jobStart": job["start"],
            "jobEnd": job["end"],
            "errors": job["errors"],
        }
        if job.get("resourceUri"):
            view["resourceUri"] = job["resourceUri"]
        return view

    def cancel(self, job: dict[str, Any]) -> dict[str, Any]:
        job.update(status="completed", result="cancelled", end=job_timestamp(self.clock()))
        self.store.put_job(job["jobId"], job, done=True)
        return job

    def _run(self, job: dict[str, Any]) -> None:
        account = self.config.account(job["account"])
        errors: list[dict[str, Any]] = []
        detail: list[dict[str, Any]] = []
        with self.store.transaction():
            if job.get("fail") or account is None:
                fault = job.get("fail") or {
                    "code": "internalServerError",
                    "message": "Unknown account.",
                }
                errors.append({"code": fault["code"], "message": fault["message"], "details": []})
            else:
                errors, detail = self.process(account, job["resources"], job["version"])
            job.update(
                status="completed",
                result="failed" if errors else "succeeded",
                end=job_timestamp(self.clock()),
                errors=errors,
                detail=detail,
            )
            if not errors and not job["deleteOnly"]:
                job["resourceUri"] = f"{self.api_url}/configure/{job['jobId']}"
            self.store.put_job(job["jobId"], job, done=True)

    def process(
        self, account: Account, resources: list[dict[str, Any]], version: str
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Apply *resources* (inside an open transaction); return (errors, detail)."""
        ctx = JobContext(account=account, version=version)
        errors: list[dict[str, Any]] = []
        detail: list[dict[str, Any]] = []
        prices = [r for r in resources if "privateOfferType" not in r]
        offers = [r for r in resources if "privateOfferType" in r]
        self.store.savepoint("job")
        for index, resource in enumerate([*prices, *offers]):
            point = f"r{index}"
            self.store.savepoint(point)
            try:
                if "privateOfferType" in resource:
                    view = self._apply_offer(ctx, resource)
                else:
                    view = self._apply_price(ctx, resource)
            except RuleError as exc:
                self.store.rollback_to(point)
                name = resource.get("resourceName")
                if isinstance(name, str) and "privateOfferType" not in resource:
                    ctx.failed_names.add(name)
                errors.append(
                    {
                        "resourceId": resource.get("id") or name or f"resources[{index}]",
                        "code": exc.code,
                        "message": exc.message,
                        "details": exc.details,
                    }
                )
                continue
            self.store.release(point)
            if self.config.detail_resource_name and resource.get("resourceName"):
                view["resourceName"] = resource["resourceName"]
            detail.append(view)
        if errors and self.config.atomic_jobs:
            self.store.rollback_to("job")
            return errors, []
        self.store.release("job")
        return errors, detail

    # ---- price resources ----------------------------------------------------------------

    def _resolve_plan(self, product_id: str, plan_ref: str, where: str) -> dict[str, Any]:
        parts = plan_ref.split("/")
        if len(parts) == 3 and f"product/{parts[1]}" != product_id:
            raise RuleError(
                "businessValidationError",
                f"{where}: plan '{plan_ref}' belongs to another product than '{product_id}'.",
            )
        plan = self.store.plan(product_id, parts[-1])
        if plan is None:
            raise RuleError(
                "resourceNotFound", f"{where}: plan '{plan_ref}' does not exist in '{product_id}'."
            )
        return plan

    def _product(self, product_id: str, where: str) -> dict[str, Any]:
        product = self.store.product(product_id)
        if product is None:
            raise RuleError("resourceNotFound", f"{where}: product '{product_id}' does not exist.")
        return product

    def canonical_plan(self, product_id: str, plan_ref: str) -> str:
        if not self.config.canonical_plan_ids:
            return plan_ref
        return f"plan/{product_id.split('/', 1)[1]}/{plan_ref.split('/')[-1]}"

    def _apply_price(self, ctx: JobContext, res: dict[str, Any]) -> dict[str, Any]:
        product_id = res["product"]
        product = self._product(product_id, "product")
        self._resolve_plan(product_id, res["plan"], "plan")
        pricing_type = res["offerPricingType"]
        is_vm = product["type"] == "azureVirtualMachine"
        if pricing_type == "vmSoftwareReservations" and not is_vm:
            raise RuleError(
                "businessValidationError",
                "vmSoftwareReservations prices need an Azure virtual machine product.",
            )
        if is_vm and pricing_type != "vmSoftwareReservations":
            raise RuleError(
                "businessValidationError",
                "Absolute prices for a virtual machine product use offerPricingType "
                "vmSoftwareReservations.",
            )
        problems: list[dict[str, Any]] = []
        meters = (res.get("pricing") or {}).get("customMeters", {}).get("meters", {})
        for meter in meters:
            if meter not in product.get("meters", []):
                problems.append(
                    _detail(
                        "invalidResource",
                        f"Meter '{meter}' is not defined in {product_id}.",
                        f"pricing.customMeters.meters.{meter}",
                    )
                )
        limits = (res.get("pricing") or {}).get("recurrentPrice", {}).get("userLimits")
        if limits and limits["min"] > limits["max"]:
            problems.append(
                _detail(
                    "businessValidationError",
                    "userLimits.min must not exceed userLimits.max.",
                    "pricing.recurrentPrice.userLimits",
                )
            )
        for size in (res.get("softwareReservation") or {}).get("vmPrices", {}):
            if size not in product.get("vmSizes", []):
                problems.append(
                    _detail(
                        "invalidResource",
                        f"VM size '{size}' is not available in {product_id}.",
                        f"softwareReservation.vmPrices.{size}",
                    )
                )
        if problems:
            raise RuleError(
                "businessValidationError",
                "The price resource is not valid for the catalogue.",
                problems,
            )
        if res.get("id"):
            durable_id = str(res["id"])
            existing = self.store.get_price(durable_id)
            if existing is None or existing.get("_owner") != ctx.account.name:
                raise RuleError(
                    "resourceNotFound", f"Price resource '{durable_id}' does not exist."
                )
        else:
            number = secrets.randbelow(9 * 10**18) + 10**18  # 19 digits, like the docs' ids
            durable_id = f"{PRICE_PREFIX}{product_id.split('/', 1)[1]}/{number}"
        doc = {
            k: v
            for k, v in res.items()
            if k not in ("$schema", "resourceName", "id", "validations", "planName")
        }
        doc["plan"] = self.canonical_plan(product_id, doc["plan"])
        doc = {"id": durable_id, **doc, "_owner": ctx.account.name}
        self.store.put_price(durable_id, ctx.account.name, doc)
        if res.get("resourceName"):
            ctx.names[res["resourceName"]] = durable_id
        return self.price_view(doc, ctx.version)

    def price_view(self, doc: dict[str, Any], version: str) -> dict[str, Any]:
        body = {k: v for k, v in doc.items() if not k.startswith("_")}
        return {"$schema": schema_url("price-and-availability-private-offer-plan", version), **body}

    # ---- private offers: business validation --------------------------------------------

    def _check_dates(self, fields: dict[str, Any]) -> list[dict[str, Any]]:
        problems = []
        start = parse_date(fields["start"]) if fields.get("start") else None
        end = parse_date(fields["end"]) if fields.get("end") else None
        accept_by = parse_date(fields["acceptBy"]) if fields.get("acceptBy") else None
        if start and end and end < start:
            problems.append(
                _detail(
                    "businessValidationError",
                    "The end date must not be before the start date.",
                    "end",
                )
            )
        if accept_by and end and accept_by > end:
            problems.append(
                _detail(
                    "businessValidationError",
                    "The accept-by date must not be after the end date.",
                    "acceptBy",
                )
            )
        if self.config.strict_dates:
            if accept_by and accept_by < self.today():
                problems.append(
                    _detail(
                        "businessValidationError",
                        "The accept-by date must not be in the past.",
                        "acceptBy",
                    )
                )
            if start and start.day != 1:
                problems.append(
                    _detail(
                        "businessValidationError",
                        "The start date must be the first day of a month.",
                        "start",
                    )
                )
            if end and end.day != calendar.monthrange(end.year, end.month)[1]:
                problems.append(
                    _detail(
                        "businessValidationError",
                        "The end date must be the last day of a month.",
                        "end",
                    )
                )
        return problems

    def _resolve_pricing(
        self, ctx: JobContext, kind: str, fields: dict[str, Any]
    ) -> list[dict[str, Any]]:
        problems: list[dict[str, Any]] = []
        pricing_type = fields.get("offerPricingType", "editExistingOfferPricingOnly")
        resolved = []
        for i, raw in enumerate(fields.get("pricing") or []):
            entry = {k: v for k, v in raw.items() if k not in ("productName", "planName")}
            where = f"pricing[{i}]"
            try:
                product = self._product(entry["product"], where)
                for key in ("plan", "basePlan"):
                    if key in entry:
                        self._resolve_plan(entry["product"], entry[key], f"{where}.{key}")
                        entry[key] = self.canonical_plan(entry["product"], entry[key])
                is_vm = product["type"] == "azureVirtualMachine"
                if (
                    is_vm
                    and entry.get("discountType") == "absolute"
                    and pricing_type != "vmSoftwareReservations"
                ):
                    raise RuleError(
                        "businessValidationError",
                        f"{where}: absolute prices for a virtual machine product need "
                        "offerPricingType vmSoftwareReservations.",
                    )
                if pricing_type == "vmSoftwareReservations" and not is_vm:
                    raise RuleError(
                        "businessValidationError",
                        f"{where}: vmSoftwareReservations needs an Azure virtual machine product.",
                    )
                if pricing_type == "vmSoftwareReservations" and kind == CSP:
                    raise RuleError(
                        "businessValidationError",
                        f"{where}: CSP private offers do not support vmSoftwareReservations.",
                    )
                details = entry.get("priceDetails")
                if isinstance(details, dict):
                    name = details["resourceName"]
                    if name in ctx.failed_names:
                        raise RuleError(
                            "resourceNotFound",
                            f"{where}: the referenced price resource '{name}' failed.",
                        )
                    if name not in ctx.names:
                        raise RuleError(
                            "resourceNotFound",
                            f"{where}: no resource named '{name}' in this request.",
                        )
                    entry["priceDetails"] = ctx.names[name]
                if isinstance(entry.get("priceDetails"), str):
                    price = self.store.get_price(entry["priceDetails"])
                    if price is None or price.get("_owner") != ctx.account.name:
                        raise RuleError(
                            "resourceNotFound",
                            f"{where}: price resource '{entry['priceDetails']}' does not exist.",
                        )
                    if price["product"] != entry["product"]:
                        raise RuleError(
                            "businessValidationError",
                            f"{where}: the price resource is for {price['product']}, not "
                            f"{entry['product']}.",
                        )
            except RuleError as exc:
                problems.append(_detail(exc.code, exc.message, where))
                continue
            resolved.append(entry)
        if problems:
            raise RuleError(
                "businessValidationError", "One or more pricing entries are not valid.", problems
            )
        return resolved

    def _validate_fields(
        self, ctx: JobContext, kind: str, fields: dict[str, Any]
    ) -> dict[str, Any]:
        fields = dict(fields)
        problems = self._check_dates(fields)
        if problems:
            raise RuleError("businessValidationError", "The offer dates are not valid.", problems)
        if "pricing" in fields:
            fields["pricing"] = self._resolve_pricing(ctx, kind, fields)
        if kind == ORIGINATOR and fields.get("partners"):
            partner_id = fields["partners"][0]["id"]
            partner = self.config.account_by_partner_id(partner_id)
            if partner is None:
                raise RuleError(
                    "businessValidationError",
                    f"Selling partner '{partner_id}' is not a known partner account.",
                    [
                        _detail(
                            "invalidResource",
                            f"Unknown partner id '{partner_id}'.",
                            "partners[0].id",
                        )
                    ],
                )
            if partner.name == ctx.account.name:
                raise RuleError(
                    "businessValidationError", "The originator cannot be its own selling partner."
                )
        return fields

    # ---- private offers: lifecycle ------------------------------------------------------

    def _user_fields(self, res: dict[str, Any]) -> dict[str, Any]:
        return {k: copy.deepcopy(v) for k, v in res.items() if k not in NOT_STORED}

    def _touch(self, record: dict[str, Any]) -> None:
        record["eTag"] = new_etag()
        record["lastModified"] = self.today().isoformat()

    def _apply_offer(self, ctx: JobContext, res: dict[str, Any]) -> dict[str, Any]:
        kind = normalize_type(res["privateOfferType"])
        target = res["state"]
        record: dict[str, Any] | None
        if not res.get("id"):
            record = self._create(ctx, kind, res)
        else:
            guid = str(res["id"]).split("/", 1)[1]
            record = self.store.get_offer(guid)
            if record is None or self.role(record, ctx.account.name) is None:
                raise RuleError("resourceNotFound", f"Private offer '{res['id']}' does not exist.")
            if record["state"] == "deleted":
                raise RuleError("invalidState", f"Private offer '{res['id']}' has been deleted.")
            etag = res.get("eTag")
            if etag is None and self.config.require_etag:
                raise RuleError(
                    "conflict",
                    "An eTag is required to update a private offer.",
                    [_detail("invalidRequest", "Send the eTag of the version you read.", "eTag")],
                )
            if etag is not None and etag != record["eTag"]:
                raise RuleError(
                    "conflict",
                    "The private offer was modified since it was read (eTag mismatch).",
                    [
                        _detail(
                            "conflict",
                            f"Current eTag is {record['eTag']}, the request has {etag}.",
                            "eTag",
                        )
                    ],
                )
            if self.role(record, ctx.account.name) == "partner":
                self._partner_update(ctx, record, kind, target, res)
            else:
                self._owner_update(ctx, record, kind, target, res)
        self.store.put_offer(record["guid"], record)
        return self.offer_view(record, ctx.account.name, ctx.version)

    def _create(self, ctx: JobContext, kind: str, res: dict[str, Any]) -> dict[str, Any]:
        target = res["state"]
        if kind == CHANNEL:
            raise RuleError(
                "invalidRequest",
                "A selling partner cannot create a multiparty private offer: the originator "
                "creates it and the partner completes it by id.",
            )
        if target not in ("draft", "live"):
            raise RuleError(
                "invalidState",
                f"A new private offer must be created as 'draft' or 'live', not '{target}'.",
            )
        fields = self._validate_fields(ctx, kind, self._user_fields(res))
        guid = str(uuid.uuid4())
        record: dict[str, Any] = {
            "guid": guid,
            "id": f"private-offer/{guid}",
            "owner": ctx.account.name,
            "type": kind,
            "state": "draft",
            "accepted": False,
            "fields": fields,
        }
        if kind == ORIGINATOR:
            partner = (
                self.config.account_by_partner_id(fields["partners"][0]["id"])
                if fields.get("partners")
                else None
            )
            record["partner"] = {
                "account": partner.name if partner else None,
                "visible": False,
                "state": None,
                "fields": {},
                "markups": [],
            }
        if target == "live":
            self._publish(record)
        self._touch(record)
        return record

    def _publish(self, record: dict[str, Any]) -> None:
        record["state"] = "live"
        partner = record.get("partner")
        if partner is not None:
            if partner["account"] is None:
                raise RuleError(
                    "businessValidationError",
                    "A multiparty offer needs a selling partner before it goes live.",
                )
            partner["visible"] = True
            partner["state"] = "draft"
            partner["markups"] = [None] * len(record["fields"].get("pricing") or [])

    def _owner_update(
        self, ctx: JobContext, record: dict[str, Any], kind: str, target: str, res: dict[str, Any]
    ) -> None:
        if kind != record["type"]:
            raise RuleError(
                "invalidRequest",
                f"privateOfferType cannot change from '{record['type']}' to '{kind}'.",
            )
        state = record["state"]
        partner = record.get("partner")
        if record.get("accepted"):
            if target == "withdrawn":
                raise RuleError(
                    "invalidState",
                    "The customer accepted this private offer: it can no longer be withdrawn.",
                )
            if target == "live" and self._unchanged(ctx, record, res):
                return
            raise RuleError(
                "invalidState",
                "The customer accepted this private offer: it is a contract and cannot be changed.",
            )
        if target == "deleted":
            if state not in ("draft", "withdrawn"):
                raise RuleError(
                    "invalidState",
                    f"Only draft private offers can be deleted; this one is '{state}' (withdraw "
                    "it first).",
                )
            record["state"] = "deleted"
            if partner is not None:
                partner.update(visible=False, state=None)
            self._touch(record)
            return
        if target == "withdrawn":
            if state == "withdrawn":
                return
            if state != "live":
                raise RuleError(
                    "invalidState",
                    f"Only a live private offer can be withdrawn; this one is '{state}'.",
                )
            if kind == CSP and record.get("accepted"):
                raise RuleError(
                    "invalidState",
                    "A CSP partner has transacted this private offer: it can no longer be "
                    "withdrawn.",
                )
            if partner is not None and partner["state"] == "live":
                raise RuleError(
                    "invalidState",
                    "The selling partner has published this multiparty offer; the partner must "
                    "withdraw it before the originator can.",
                )
            record["state"] = "withdrawn"
            if partner is not None:
                partner.update(visible=False, state=None)
            self._touch(record)
            return
        # target is draft or live: an edit of the user-settable fields
        if state == "live":
            if target == "live" and self._unchanged(ctx, record, res):
                return
            if kind == CSP:
                raise RuleError(
                    "invalidState",
                    "A live CSP private offer cannot be edited or extended; create a new offer "
                    "instead.",
                )
            raise RuleError(
                "invalidState",
                "A live private offer is locked: withdraw it before editing (accepted offers "
                "cannot change).",
            )
        if state == "withdrawn" and kind == CSP:
            raise RuleError(
                "invalidState",
                "A CSP private offer cannot be edited after it went live; create a new offer "
                "instead.",
            )
        fields = self._user_fields(res)
        if self.config.update_mode == "merge":
            fields = {**record["fields"], **fields}
        record["fields"] = self._validate_fields(ctx, kind, fields)
        if kind == ORIGINATOR and partner is not None:
            partners = record["fields"].get("partners") or []
            account = self.config.account_by_partner_id(partners[0]["id"]) if partners else None
            partner["account"] = account.name if account else None
        record["state"] = "draft"
        if target == "live":
            self._publish(record)
        self._touch(record)

    def _unchanged(self, ctx: JobContext, record: dict[str, Any], res: dict[str, Any]) -> bool:
        try:
            fields = self._validate_fields(ctx, record["type"], self._user_fields(res))
        except RuleError:
            return False
        return fields == record["fields"]

    def _partner_update(
        self, ctx: JobContext, record: dict[str, Any], kind: str, target: str, res: dict[str, Any]
    ) -> None:
        partner = record["partner"]
        if kind != CHANNEL:
            raise RuleError(
                "invalidRequest",
                "The selling partner updates a multiparty offer with privateOfferType "
                "'multipartyPromotionChannelPartner'.",
            )
        if record.get("accepted"):
            raise RuleError(
                "invalidState",
                "The customer accepted this private offer: it can no longer change or be "
                "withdrawn.",
            )
        if target == "deleted":
            raise RuleError(
                "invalidRequest", "Only the originator can delete a multiparty private offer."
            )
        current = self.offer_view(record, ctx.account.name, ctx.version)
        problems = []
        for key in PARTNER_READ_ONLY:
            if key in res and res[key] != current.get(key):
                problems.append(
                    _detail("invalidRequest", f"'{key}' is read-only for the selling partner.", key)
                )
        markups: list[Any] = list(partner["markups"])
        if "originatorPricing" in res:
            given = res["originatorPricing"]
            mine = current.get("originatorPricing") or []
            strip = ("markupPercentage", "productName", "planName")
            if len(given) != len(mine):
                problems.append(
                    _detail(
                        "invalidRequest",
                        "originatorPricing entries cannot be added or removed by the selling "
                        "partner.",
                        "originatorPricing",
                    )
                )
            else:
                for i, (a, b) in enumerate(zip(given, mine, strict=True)):
                    if {k: v for k, v in a.items() if k not in strip} != {
                        k: v for k, v in b.items() if k not in strip
                    }:
                        problems.append(
                            _detail(
                                "invalidRequest",
                                "Only markupPercentage can be set on an originatorPricing entry.",
                                f"originatorPricing[{i}]",
                            )
                        )
                markups = [entry.get("markupPercentage") for entry in given]
        if problems:
            raise RuleError(
                "businessValidationError", "The selling partner changed read-only fields.", problems
            )
        state = partner["state"]
        if target == "withdrawn":
            if state == "withdrawn":
                return
            if state != "live":
                raise RuleError(
                    "invalidState",
                    f"Only a live private offer can be withdrawn; the partner's view is '{state}'.",
                )
            partner["state"] = "withdrawn"
            self._touch(record)
            return
        own = {k: copy.deepcopy(res[k]) for k in PARTNER_OWN if k in res}
        if self.config.update_mode == "merge":
            own = {**partner["fields"], **own}
        if state == "live":
            if target == "live" and own == partner["fields"] and markups == partner["markups"]:
                return
            raise RuleError(
                "invalidState",
                "The selling partner published this offer: withdraw it before editing.",
            )
        if target == "live":
            missing = []
            if not own.get("preparedBy"):
                missing.append(
                    _detail(
                        "businessValidationError",
                        "The selling partner must provide preparedBy.",
                        "preparedBy",
                    )
                )
            for i, markup in enumerate(markups):
                if markup is None:
                    missing.append(
                        _detail(
                            "businessValidationError",
                            "markupPercentage is required on every originatorPricing entry.",
                            f"originatorPricing[{i}].markupPercentage",
                        )
                    )
            if missing:
                raise RuleError(
                    "businessValidationError",
                    "The offer is not ready to publish to the customer.",
                    missing,
                )
        partner["fields"] = own
        partner["markups"] = markups
        partner["state"] = target
        self._touch(record)

    # ---- views --------------------------------------------------------------------------

    def role(self, record: dict[str, Any], account: str) -> str | None:
        if record["owner"] == account:
            return "owner"
        partner = record.get("partner")
        if partner and partner.get("account") == account and partner.get("visible"):
            return "partner"
        return None

    def _names(self, entry: dict[str, Any]) -> dict[str, Any]:
        out = dict(entry)
        product = self.store.product(entry["product"])
        if product is not None:
            out["productName"] = product["alias"]
            plan_ref = entry.get("plan") or entry.get("basePlan")
            if plan_ref:
                plan = self.store.plan(entry["product"], plan_ref.split("/")[-1])
                if plan is not None:
                    out["planName"] = plan["alias"]
        return out

    def _links(self, record: dict[str, Any]) -> list[dict[str, str]]:
        return [
            {
                "beneficiaryId": b["id"],
                "link": "https://portal.azure.com/#view/Microsoft_Azure_Marketplace/"
                f"PrivateOfferAcceptance.ReactView/privateOfferId/{record['guid']}",
            }
            for b in record["fields"].get("beneficiaries") or []
        ]

    def offer_view(self, record: dict[str, Any], account: str, version: str) -> dict[str, Any]:
        role = self.role(record, account)
        fields = record["fields"]
        view: dict[str, Any] = {"$schema": schema_url("private-offer", version), "id": record["id"]}
        partner = record.get("partner")
        customer_live = False
        if role == "partner" and partner is not None:
            view.update(name=fields.get("name"), privateOfferType=CHANNEL, state=partner["state"])
            customer_live = partner["state"] == "live"
            if customer_live:
                view["subState"] = "accepted" if record.get("accepted") else "pendingAcceptance"
            for key in (
                "offerPricingType",
                "customerContractRenewal",
                "variableStartDate",
                "start",
                "end",
                "acceptBy",
            ):
                if key in fields:
                    view[key] = fields[key]
            for key in ("preparedBy", "notificationContacts"):
                if key in partner["fields"]:
                    view[key] = partner["fields"][key]
            if "termsAndConditionsDocs" in fields:
                view["originatorTermsAndConditionsDocs"] = fields["termsAndConditionsDocs"]
            if "termsAndConditionsDocs" in partner["fields"]:
                view["termsAndConditionsDocs"] = partner["fields"]["termsAndConditionsDocs"]
            for key in ("beneficiaries", "partners"):
                if key in fields:
                    view[key] = fields[key]
            pricing = []
            for i, entry in enumerate(fields.get("pricing") or []):
                item = self._names(entry)
                markup = partner["markups"][i] if i < len(partner["markups"]) else None
                if markup is not None:
                    item["markupPercentage"] = markup
                pricing.append(item)
            view["originatorPricing"] = pricing
            if "notes" in partner["fields"]:
                view["notes"] = partner["fields"]["notes"]
        else:
            view.update(
                name=fields.get("name"), privateOfferType=record["type"], state=record["state"]
            )
            if record["state"] == "live" and record["type"] == CUSTOMER:
                view["subState"] = "accepted" if record.get("accepted") else "pendingAcceptance"
                customer_live = True
            if record["state"] == "live" and partner is not None:
                customer_live = partner["state"] == "live"
                if customer_live:
                    view["subState"] = "accepted" if record.get("accepted") else "pendingAcceptance"
                else:
                    view["subState"] = "pendingPartnerAction"
            for key, value in fields.items():
                if key == "name":
                    continue
                view[key] = [self._names(e) for e in value] if key == "pricing" else value
        view["eTag"] = record["eTag"]
        view["lastModified"] = record["lastModified"]
        if customer_live:
            view["acceptanceLinks"] = self._links(record)
        return view

    # ---- admin operations ---------------------------------------------------------------

    def accept(self, guid: str) -> dict[str, Any]:
        record = self.store.get_offer(guid)
        if record is None:
            raise RuleError("notFound", f"Private offer '{guid}' does not exist.")
        partner = record.get("partner")
        customer_live = record["state"] == "live" and (
            partner is None or partner["state"] == "live"
        )
        if not customer_live:
            raise RuleError(
                "invalidState", "Only an offer that is live for the customer can be accepted."
            )
        record["accepted"] = True
        self._touch(record)
        self.store.put_offer(guid, record)
        return record

    def edit(self, guid: str, patch: dict[str, Any], state: str | None = None) -> dict[str, Any]:
        """Change an offer behind the API's back (drift): None removes a field."""
        record = self.store.get_offer(guid)
        if record is None:
            raise RuleError("notFound", f"Private offer '{guid}' does not exist.")
        for key, value in patch.items():
            if value is None:
                record["fields"].pop(key, None)
            else:
                record["fields"][key] = value
        if state is not None:
            record["state"] = state
        self._touch(record)
        self.store.put_offer(guid, record)
        return record
