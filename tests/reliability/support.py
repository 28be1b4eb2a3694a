"""Shared pieces of the reliability suite: a scratch project, fast settings, an emulator with
test controls, and the end-state checks every fault case ends with.

The end state is the contract of the whole tool: after the faults stop and apply is run
again (as CI would on the next push), the live offers equal the files (the next plan is
empty), every offer name exists exactly once live, and nothing is left pending.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reconciler.api.client import ProductIngestionClient
from reconciler.api.connect import connect_emulator
from reconciler.apply.applier import ApplyOptions
from reconciler.apply.journal import journal_dir, list_journals
from reconciler.apply.outcome import ApplyResult, ProgressEvent
from reconciler.apply.session import run_apply, settle_open
from reconciler.cli.apply import file_locator
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.server import EmbeddedEmulator
from reconciler.plan.plan import Plan
from reconciler.settings import ApiSettings, ApplySettings, Settings
from tests.support.planning import plan_now

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "offers"
# Publisher offers among the examples (offers/partner/ completes one of them as the partner).
PUBLISHER_OFFERS = 10
FAILURE_STATUSES = ("failed", "unknown", "stale", "running", "cancelled")


def copy_examples(root: Path) -> Path:
    """The example offers of the publisher only (the partner's file is another role)."""
    shutil.copytree(EXAMPLES, root / "offers", ignore=shutil.ignore_patterns("partner"))
    return root / "offers"


def fast_settings(
    root: Path, *, timeout: float = 5.0, lost_response_wait: float = 0.6, **apply: Any
) -> Settings:
    """Short timeouts and waits, so a fault case takes seconds, not the real API's minutes."""
    api = ApiSettings(
        retries=8,
        backoff_seconds=0.01,
        retry_max_seconds=20,
        # must exceed the emulator's job latency: a shorter wait mistakes a queued job for
        # a request that never arrived (see docs/apply.md)
        lost_response_wait=lost_response_wait,
        timeout=timeout,
        connect_timeout=2.0,
    )
    options = {"poll_interval": 0.03, "timeout": 60, **apply}
    return Settings(api=api, apply=ApplySettings(**options), root=root)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def emulator(**config: Any) -> Iterator[EmbeddedEmulator]:
    options: dict[str, Any] = {"tls": True, "admin": True, "job_latency": 0.05, **config}
    with EmbeddedEmulator(EmulatorConfig(**options)) as emu:
        yield emu


@contextmanager
def publisher(emu: EmbeddedEmulator, settings: Settings) -> Iterator[ProductIngestionClient]:
    """A write client of the publisher, authenticating through msal at the emulator."""
    with connect_emulator(emu, settings, account="publisher", env={}, writes=True) as client:
        yield client


def plan_for(client: Any, settings: Settings, offers: Path) -> Plan:
    return plan_now(client, settings, (offers,), "publisher", None, False, False)


def apply(
    plan: Plan,
    client: Any,
    settings: Settings,
    *,
    events: list[ProgressEvent] | None = None,
    timeout: float | None = None,
) -> ApplyResult:
    options = ApplyOptions(locate=file_locator(settings), timeout=timeout)
    sink = events.append if events is not None else None
    return run_apply(plan, client, settings, client.endpoint, options=options, progress=sink)


def apply_files(client: Any, settings: Settings, offers: Path) -> ApplyResult:
    """What ``reconciler apply offers --auto-approve`` does: settle, plan now, apply."""
    options = ApplyOptions(locate=file_locator(settings))
    settle_open(client, settings, client.endpoint, options=options)
    plan = plan_for(client, settings, offers)
    if not plan.has_changes:
        return ApplyResult(plan_checksum=plan.checksum)
    return run_apply(plan, client, settings, client.endpoint, options=options)


def live_names(client: Any) -> Counter[str]:
    return Counter(str(o["name"]) for o in client.list_offers() if o.get("state") != "deleted")


def assert_every_failure_reported(result: ApplyResult) -> None:
    """A change that did not succeed says why: a message or an error, and a file position."""
    for outcome in result.outcomes:
        if outcome.status in FAILURE_STATUSES:
            assert outcome.message or outcome.errors, outcome.to_data()
            assert outcome.file, outcome.to_data()
    data = result.to_data()
    failed = sum(data["summary"].get(s, 0) for s in FAILURE_STATUSES)
    assert (result.exit_code == 0) == (failed == 0), data


def converge(client: Any, settings: Settings, offers: Path, *, runs: int = 3) -> list[ApplyResult]:
    """Apply the files again (as the next CI run would) until nothing is left to do."""
    results = []
    for _ in range(runs):
        result = apply_files(client, settings, offers)
        results.append(result)
        assert_every_failure_reported(result)
        if not result.outcomes:
            break
    return results


def assert_end_state(
    client: Any, settings: Settings, offers: Path, expected: int, *, journal: bool = True
) -> None:
    """Live equals the files, every name once, no open journal."""
    names = live_names(client)
    assert max(names.values(), default=1) == 1, f"duplicates: {names}"
    assert len(names) == expected, names
    plan = plan_for(client, settings, offers)
    assert not plan.has_changes, plan.summary()
    if journal:
        assert [j.path.name for j in list_journals(journal_dir(settings))] == []


def subprocess_env(**extra: str) -> dict[str, str]:
    """The runner's environment without anything that would change where the tool talks."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AZURE_", "RECONCILER_", "GITHUB_", "ACTIONS_"))
        or k == "RECONCILER_EMULATOR_JOB_LATENCY"  # the emulator's pace, kept
    }
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


PYTHON = sys.executable
