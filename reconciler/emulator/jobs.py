"""The engine's jobs: submission, in-order completion, status, cancel.

Jobs are processed lazily and deterministically: a job becomes due ``job_latency`` seconds
after submission, and every request first runs :meth:`Jobs.advance`, which completes the
due jobs strictly in submission order (one writer, so jobs never interleave). A job's state
lives in SQLite, so a job still pending when the emulator stops completes after a restart.
With ``job_latency = 0`` a job is ``notStarted`` in the 202 answer and completed at the next
request.

Within a job, price resources are processed before private offers (offers refer to them by
``resourceName``), each resource in its own savepoint: a failed resource is rolled back
alone and the others stay (``atomic_jobs=False``), or the whole job is rolled back
(``atomic_jobs=True``). Business-rule failures are job errors, never HTTP errors.

A part of the engine (see :mod:`reconciler.emulator.engine`): it calls the offer and price
parts, the version ceiling, the clock and the store it is given.
"""

from __future__ import annotations

import uuid
from typing import Any

from reconciler.emulator.base import (
    JOB_END_UNSET,
    Ceiling,
    Clock,
    JobContext,
    RuleError,
    _detail,
    job_timestamp,
)
from reconciler.emulator.config import Account, EmulatorConfig
from reconciler.emulator.job_record import JobRecord
from reconciler.emulator.offers import Offers
from reconciler.emulator.prices import PriceRules
from reconciler.emulator.store import Store
from reconciler.emulator.versions import schema_url


class Jobs:
    """Jobs: submission, in-order completion, status views, cancel."""

    def __init__(
        self,
        config: EmulatorConfig,
        store: Store,
        clock: Clock,
        ceiling: Ceiling,
        offers: Offers,
        prices: PriceRules,
    ) -> None:
        self._config = config
        self._store = store
        self._clock = clock
        self._ceiling = ceiling
        self._offers = offers
        self._prices = prices
        self.api_url = ""  # set by the app once the server knows its address

    def submit(
        self,
        account: Account,
        body: dict[str, object],
        resources: list[dict[str, object]],
        fail: dict[str, Any] | None = None,
    ) -> JobRecord:
        now = self._clock.now()
        job_id = str(uuid.uuid4())
        delete_only = all(
            r.get("state") == "deleted" for r in resources if "privateOfferType" in r
        ) and any("privateOfferType" in r for r in resources)
        schema = str(resources[0].get("$schema", "")) if resources else ""
        version = schema.rsplit("/", 1)[-1] or "2023-07-15"
        job = JobRecord(
            job_id=job_id,
            account=account.name,
            status=self._config.initial_job_status,
            result="pending",
            start=job_timestamp(now),
            end=JOB_END_UNSET,
            submitted=now,
            resources=resources,
            delete_only=delete_only,
            fail=fail,
            version=version,
        )
        self._store.add_job(job, now + self._config.job_latency)
        return job

    def advance(self) -> None:
        """Complete every due job, oldest first; stop at the first one not yet due."""
        now = self._clock.now()
        with self._store.lock:
            for job_id, due in self._store.pending_jobs():
                if due > now:
                    break
                job = self._store.get_job(job_id)
                if job is not None:
                    self._run(job, due)

    def job_view(self, job: JobRecord, version: str) -> dict[str, object]:
        status = job.status
        latency = self._config.job_latency
        if (
            status != "completed"
            and latency > 0
            and self._clock.now() >= job.submitted + latency / 2
        ):
            status = "running"
        view: dict[str, object] = {
            "$schema": schema_url("configure-status", version),
            "jobId": job.job_id,
            "jobStatus": status,
            "jobResult": job.result,
            "jobStart": job.start,
            "jobEnd": job.end,
            "errors": job.errors,
        }
        if job.resource_uri:
            view["resourceUri"] = job.resource_uri
        return view

    def cancel(self, job: JobRecord) -> JobRecord:
        job.status, job.result, job.end = "completed", "cancelled", job_timestamp(self._clock.now())
        self._store.put_job(job, done=True)
        return job

    def _run(self, job: JobRecord, due: float) -> None:
        """Run *job*, which ended at *due*: processed at the first request after it (jobs
        are lazy here), it reports the time the service would have, not that request's."""
        account = self._config.account(job.account)
        errors: list[dict[str, object]] = []
        detail: list[dict[str, object]] = []
        with self._store.transaction():
            if job.fail or account is None:
                fault = job.fail or {
                    "code": "internalServerError",
                    "message": "Unknown account.",
                }
                errors.append({"code": fault["code"], "message": fault["message"], "details": []})
            else:
                errors, detail = self.process(account, job.resources, job.version)
            job.status, job.result = "completed", "failed" if errors else "succeeded"
            job.end, job.errors, job.detail = job_timestamp(due), errors, detail
            if not errors and not job.delete_only:
                job.resource_uri = f"{self.api_url}/configure/{job.job_id}"
            self._store.put_job(job, done=True)

    def _check_version(self, resource: dict[str, object]) -> None:
        """A resource naming a schema version newer than the service's fails in its job."""
        schema = str(resource.get("$schema", ""))
        parts = schema.rsplit("/", 2)
        if len(parts) < 3:
            return
        kind = parts[1].removesuffix("-customer").removesuffix("-csp")
        kind = kind.removesuffix("-mpo-originator").removesuffix("-mpo-channel-partner")
        newest = self._ceiling.newest(kind)
        if newest and parts[2].removesuffix("-dev") > newest:
            raise RuleError(
                "schemaValidationError",
                f"The $schema version {parts[2]} of {kind} is not supported; the newest is "
                f"{newest}.",
                [_detail("invalidVersion", f"Use {kind}/{newest}.", "$schema")],
            )

    def process(
        self, account: Account, resources: list[dict[str, object]], version: str
    ) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
        """Apply *resources* (inside an open transaction); return (errors, detail)."""
        ctx = JobContext(account=account, version=version)
        errors: list[dict[str, object]] = []
        detail: list[dict[str, object]] = []
        ordered = resources
        if self._config.price_order == "any":
            # Offers refer to price resources by resourceName: those go first.
            prices = [r for r in resources if "privateOfferType" not in r]
            ordered = [*prices, *(r for r in resources if "privateOfferType" in r)]
        self._store.savepoint("job")
        for index, resource in enumerate(ordered):
            point = f"r{index}"
            self._store.savepoint(point)
            try:
                self._check_version(resource)
                if "privateOfferType" in resource:
                    view = self._offers.apply(ctx, resource)
                else:
                    view = self._prices.apply(ctx, resource)
            except RuleError as exc:
                self._store.rollback_to(point)
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
            self._store.release(point)
            if self._config.detail_resource_name and resource.get("resourceName"):
                view["resourceName"] = resource["resourceName"]
            detail.append(view)
        if errors and self._config.atomic_jobs:
            self._store.rollback_to("job")
            return errors, []
        self._store.release("job")
        return errors, detail
