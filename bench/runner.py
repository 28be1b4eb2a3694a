"""The orchestrator: one emulator process, then per size generate, seed and run every scenario.

For each N:

1. generate N offers (:mod:`bench.generator`), seed them live through the emulator's admin
   ``seed`` control, write the files (half of them pinning the durable id);
2. ``parse-floor``: read + parse every file with the safe C loader (the time floor);
3. ``validate``, tool and naive;
4. ``plan`` with no change, tool and naive;
5. ``plan`` with 5 % of the offers changed in their files (every 20th offer: a contact list
   edit; drafts become updates, live offers withdraw-edit-republish), tool and naive; the
   files are restored afterwards;
6. ``apply`` of up to 200 changes (contact list edits of draft offers, so each is one
   update step), twice: emulator job latency 2 s with the local poll interval (0.5 s), and
   latency 6 s with a 6 s poll interval -- the real API's once-a-minute polling of jobs
   that take minutes, at 1/10 scale. Each apply run edits the same drafts to a new
   revision, so every run has the full set of changes to send.

Every scenario runs in its own worker process (:mod:`bench.worker`, forked from one server
process that did the imports once) against the emulator
process (:mod:`bench.server`); the results are plain dicts, turned into the table by
:mod:`bench.report`.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.generator import (
    OfferSet,
    create_resources,
    generate,
    revision_edits,
    seed,
    write_files,
)
from bench.processes import EmulatorProcess, Workers
from bench.scenarios import Spec
from reconciler.api.retry import APPLY_RATE_REAL_API
from reconciler.plan.plan_ids import priced_products
from reconciler.settings import ApiSettings, ApplySettings

DEFAULT_SIZES = (100, 1000, 5000)
APPLY_CHANGES = 200
CHANGED_SHARE = 0.05
TARGETED_CHANGES = 3  # files a typical pull request touches
REQUEST_LATENCY = 0.1  # seconds per request against the real API (a round trip)
NAIVE_PLAN_SAMPLE = 50  # offers the naive plan reads one by one at that latency (then scaled)
# Batching off (one offer per configure request), submitted by enough threads that 200
# independent offers go out within a fraction of one job's latency.
ONE_PER_REQUEST = {"max_resources_per_request": 1, "max_concurrent_requests": 32}
# The apply row at 100 ms a request: every change costs a guard read and a configure
# request before its job starts, 400 round trips through 32 connections = 1.25 s before the
# last job starts, so 32 submitters cannot finish within 1.5x a 2 s job (docs/benchmarks.md);
# 64 (the setting's maximum) halves that. Against the real API the rate budget
# (apply.requests-per-second, 10 a second) paces the requests whatever the submitters.
LATENCY_SUBMITTERS = 64
NEEDS_API = frozenset({"plan", "plan-targeted", "apply"})
LARGE = 20_000  # from this size on only the floor and the full plan run (scale check)


# The naive script polls its job every 5 s of real time (0.5 s at 1/10 scale): what a
# hand-written loop around a job API typically does (Microsoft's own sample starts at 1 s
# and doubles). The tool polls at the documented limit, once a minute (6 s at that scale).
NAIVE_POLL_REAL = 5.0
REAL_POLL_LIMIT = 60.0


@dataclass
class ApplyRun:
    label: str
    latency: float
    poll_interval: float | None  # None: the tool's default for a loopback endpoint (0.5 s)
    naive_sample: int | None  # None: the naive apply runs every change (slow)
    request_latency: float = 0.0  # emulator round trip per request (the real API's ~100 ms)
    naive_poll: float = 0.5  # how often the naive script polls its job
    apply: dict[str, Any] = field(default_factory=dict)  # the tool's apply settings for the run
    # The row at the documented polling limit (scaled): the one the polls target is for.
    polls_target: bool = False


def scaled_run(label: str, seconds: float, sample: int | None) -> ApplyRun:
    """The real API at scale *seconds* / 60: jobs of a minute polled once a minute, the
    default rate budget (10 requests a second) and the naive script's 5 s polls, all
    scaled alike."""
    scale = seconds / REAL_POLL_LIMIT
    return ApplyRun(
        label,
        seconds,
        seconds,
        sample,
        naive_poll=NAIVE_POLL_REAL * scale,
        apply={"requests_per_second": APPLY_RATE_REAL_API / scale},
        polls_target=True,
    )


@dataclass
class Options:
    sizes: Sequence[int] = DEFAULT_SIZES
    apply_runs: Sequence[ApplyRun] = field(
        default_factory=lambda: [
            ApplyRun("apply (latency 2 s)", 2.0, None, 10),
            scaled_run("apply (latency 6 s, poll 6 s = 1/10 scale)", 6.0, 4),
        ]
    )
    apply_changes: int = APPLY_CHANGES
    scenarios: frozenset[str] = frozenset(
        {"validate", "plan", "plan-changed", "plan-targeted", "plan-latency", "apply"}
        | {"plan-summary"}
    )
    request_latency: float = REQUEST_LATENCY
    naive_plan_sample: int = NAIVE_PLAN_SAMPLE
    profile_dir: Path | None = None
    seed: int = 7


@dataclass
class SizeFacts:
    """What the floors are computed from."""

    size: int
    files: int
    publisher_offers: int
    partner_files: int
    price_resources: int
    priced_products: int  # one plan list each: plan/<externalId> meets the durable plan id
    drafts: int
    bytes: int
    page_size: int
    seed_seconds: float
    write_seconds: float

    @property
    def request_floor(self) -> int:
        pages = math.ceil(self.publisher_offers / self.page_size)
        return pages + self.price_resources + self.priced_products


@dataclass
class Row:
    size: int
    scenario: str
    ours: dict[str, Any] | None = None
    naive: dict[str, Any] | None = None
    floor: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


def _price_resources(offer_set: OfferSet) -> int:
    return sum(
        1
        for o in offer_set.publisher
        for r in create_resources(o.data)
        if "privateOfferType" not in r
    )


def summary_row(admin: Any, measure: Callable[..., Row], facts: SizeFacts, latency: float) -> Row:
    """The full plan against a list of summaries at the real API's pace: every managed offer
    is read by id, all within the rate budget. Floor: pages + one GET per offer + prices;
    the time floor is what the budget allows for them (the first ``burst`` free)."""
    admin.settings(list_shape="summary", request_latency=latency)
    try:
        row = measure(
            f"plan (no changes, summary list, {latency * 1000:g} ms/request, "
            f"{APPLY_RATE_REAL_API:g}/s)",
            "plan",
            ("ours",),
            extra={"apply": {"requests_per_second": APPLY_RATE_REAL_API}},
        )
    finally:
        admin.settings(list_shape="full", request_latency=0.0)
    requests = facts.request_floor + facts.publisher_offers
    burst = ApplySettings().request_burst
    row.floor = {
        "requests": requests,
        "budget_seconds": max(0, requests - burst) / APPLY_RATE_REAL_API + latency,
    }
    return row


def run_size(
    emu: EmulatorProcess,
    workers: Workers,
    size: int,
    options: Options,
    log: Callable[[str], None],
) -> tuple[SizeFacts, list[Row]]:
    admin = emu.admin
    admin.reset()
    # The rows below read a list of full resources (the floor: pages + price reads); the
    # summary-list row sets its own shape.
    admin.settings(job_latency=0.0, list_shape="full")
    offer_set = generate(size, seed=options.seed)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix=f"bench-{size}-") as tmp:
        files_dir = Path(tmp) / "offers"
        mark = time.perf_counter()
        seed(admin, offer_set)
        seeded = time.perf_counter() - mark
        mark = time.perf_counter()
        written = write_files(offer_set, files_dir)
        wrote = time.perf_counter() - mark
        facts = SizeFacts(
            size=size,
            files=len(offer_set.offers),
            publisher_offers=len(offer_set.publisher),
            partner_files=len(offer_set.offers) - len(offer_set.publisher),
            price_resources=_price_resources(offer_set),
            priced_products=len(priced_products(o.data for o in offer_set.publisher)),
            drafts=len(offer_set.drafts),
            bytes=written,
            page_size=ApiSettings().page_size,
            seed_seconds=seeded,
            write_seconds=wrote,
        )
        log(
            f"N={size}: {facts.files} files ({written / 1e6:.1f} MB), seeded in {seeded:.1f} s, "
            f"written in {wrote:.1f} s"
        )

        def spec(scenario: str, way: str, **kw: Any) -> Spec:
            profile = None
            if options.profile_dir is not None and way == "ours":
                label = kw.pop("label", scenario)
                profile = str(options.profile_dir / f"{label}-{size}.prof")
            else:
                kw.pop("label", None)
            return Spec(
                scenario=scenario,
                way=way,
                files=str(files_dir),
                api_url=emu.api_url if scenario in NEEDS_API else "",
                base_url=emu.base_url if scenario in NEEDS_API else "",
                admin_token=emu.admin_token,
                profile=profile,
                **kw,
            )

        def measure(label: str, scenario: str, ways: Sequence[str], **kw: Any) -> Row:
            row = Row(size, label)
            for way in ways:
                log(f"  {label}: {way} ...")
                result = workers.run(spec(scenario, way, label=_slug(label), **kw))
                if way == "naive":
                    row.naive = result
                else:
                    row.ours = result
            return row

        floor = workers.run(spec("parse-floor", "floor"))
        parse_seconds = floor["wall"]
        log(f"  parse floor: {parse_seconds:.2f} s")
        rows.append(Row(size, "read + parse (floor)", ours=floor))
        wanted = options.scenarios if size < LARGE else options.scenarios & {"plan"}
        if "validate" in wanted:
            row = measure("validate", "validate", ("ours", "naive"))
            row.floor = {"parse_seconds": parse_seconds}
            rows.append(row)
        if "plan" in wanted:
            # A large set's naive plan reads a sample one by one (minutes otherwise).
            sample = options.naive_plan_sample * 10 if size >= LARGE else None
            row = measure("plan (no changes)", "plan", ("ours", "naive"), sample=sample)
            row.floor = {"parse_seconds": parse_seconds, "requests": facts.request_floor}
            rows.append(row)
        if "plan-latency" in wanted and options.request_latency > 0:
            ms = options.request_latency * 1000
            admin.settings(request_latency=options.request_latency)
            row = measure(
                f"plan (no changes, {ms:g} ms/request)",
                "plan",
                ("ours", "naive"),
                sample=options.naive_plan_sample,
            )
            admin.settings(request_latency=0.0)
            row.floor = {"requests": facts.request_floor}
            rows.append(row)
        if "plan-summary" in wanted and options.request_latency > 0:
            rows.append(summary_row(admin, measure, facts, options.request_latency))
        if "plan-targeted" in wanted:
            full = next((r for r in rows if r.scenario == "plan (no changes)"), None)
            rows.append(targeted_row(offer_set, files_dir, measure, facts, full))
        if "plan-changed" in wanted:
            every = round(1 / CHANGED_SHARE)
            changed = offer_set.publisher[every // 2 :: every]
            edits = revision_edits(changed, 0)
            write_files(offer_set, files_dir, only={o.name for o in changed}, edits=edits)
            row = measure("plan (5% changed)", "plan", ("ours", "naive"))
            row.floor = {"parse_seconds": parse_seconds, "requests": facts.request_floor}
            row.notes.append(f"{len(changed)} offers changed in their files")
            rows.append(row)
            write_files(offer_set, files_dir, only={o.name for o in changed})
        if "apply" in wanted:
            targets = offer_set.drafts[: options.apply_changes]
            only = [o.relpath for o in targets]
            revision = 0
            for run in options.apply_runs:
                # One offer per request, as every documented sample sends (the emulator's
                # default): apply must still finish at about one job's latency.
                admin.settings(
                    job_latency=run.latency,
                    request_latency=run.request_latency,
                    multi_offer_requests="refused",
                )
                row = Row(size, run.label)
                for way in ("ours", "naive"):
                    revision += 1
                    write_files(
                        offer_set,
                        files_dir,
                        only={o.name for o in targets},
                        edits=revision_edits(targets, revision),
                    )
                    log(f"  {run.label}: {way} ({len(targets)} changes) ...")
                    ours = way == "ours"
                    result = workers.run(
                        spec(
                            "apply",
                            way,
                            label=_slug(run.label),
                            poll_interval=run.poll_interval if ours else run.naive_poll,
                            sample=None if ours else run.naive_sample,
                            extra={"only": only, "apply": {**ONE_PER_REQUEST, **run.apply}},
                        )
                    )
                    if way == "naive":
                        row.naive = result
                    else:
                        row.ours = result
                row.floor = {
                    "latency": run.latency,
                    "poll_interval": run.poll_interval,
                    "naive_poll": run.naive_poll,
                    "polls_target": run.polls_target,
                }
                rows.append(row)
            admin.settings(job_latency=0.0, request_latency=0.0)
    return facts, rows


def targeted_row(
    offer_set: OfferSet,
    files_dir: Path,
    measure: Callable[..., Row],
    facts: SizeFacts,
    full: Row | None,
) -> Row:
    """A pull request that edits a few drafts: the files are committed in a git checkout,
    the last full run leaves the id cache, then ``plan --baseline HEAD`` (scope changed).

    The naive way of a pull request is the naive full plan: when the row *full* measured
    it already (same offers, same live state), that measurement is reused."""
    project = files_dir.parent
    (project / ".gitignore").write_text("journal/\n", encoding="utf-8")
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "offers"]):
        subprocess.run([*git, *args], cwd=project, check=True, capture_output=True)
    changed = offer_set.drafts[:: max(1, len(offer_set.drafts) // TARGETED_CHANGES)]
    changed = changed[:TARGETED_CHANGES]
    names = {o.name for o in changed}
    write_files(offer_set, files_dir, only=names, edits=revision_edits(changed, 99))
    label = f"plan targeted ({len(changed)} of {facts.publisher_offers:,} changed)"
    reuse = full is not None and full.naive is not None
    ways = ("ours",) if reuse else ("ours", "naive")
    row = measure(label, "plan-targeted", ways, extra={"baseline": "HEAD"})
    if full is not None and reuse:
        row.naive = full.naive
        row.notes.append("naive: the naive full plan of the row plan (no changes)")
    row.notes.append(f"{len(changed)} files changed since the baseline")
    write_files(offer_set, files_dir, only=names)
    return row


def run_all(options: Options, log: Callable[[str], None]) -> dict[str, Any]:
    started = time.perf_counter()
    emu = EmulatorProcess()
    workers = Workers()
    sizes: list[dict[str, Any]] = []
    rows: list[Row] = []
    try:
        for size in options.sizes:
            facts, size_rows = run_size(emu, workers, size, options, log)
            sizes.append({**asdict(facts), "request_floor": facts.request_floor})
            rows.extend(size_rows)
    finally:
        workers.close()
        emu.close()
    return {
        "sizes": sizes,
        "rows": [asdict(r) for r in rows],
        "total_seconds": time.perf_counter() - started,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "apply_changes": options.apply_changes,
        "apply_runs": [asdict(r) for r in options.apply_runs],
    }
