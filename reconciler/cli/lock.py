"""``reconciler lock status|release``: the apply lock of a service and account.

``status`` shows who holds the lock (or left it with jobs open); ``release ID`` removes a
lock record by its exact id, as ``terraform force-unlock`` does (a lock held by a running
apply ends with that process). :func:`apply_lock` is what apply and ``jobs resume|cancel``
hold while they write. The backend (``local``: this machine; ``github``: a ref in the
repository) follows ``RECONCILER_STATE_BACKEND``, else the setting ``apply.state-backend``;
``auto`` is ``github`` in GitHub Actions with a token, else ``local``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import click

from reconciler.cli.common import ApiTarget, AppContext, api_options, echo_err, epilog, pass_app
from reconciler.errors import EXIT_OK, ReconcilerError
from reconciler.secrets import redact
from reconciler.settings import Settings
from reconciler.state.backend import LockInfo, StateLock
from reconciler.state.lock import LocalLock, state_dir
from reconciler.state.remote import GitHubLock

GITHUB_NEEDS = ("GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_API_URL")

LOCK_TIMEOUT = click.option(
    "--lock-timeout",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Seconds to wait for another apply of this service and account (then exit 7).",
)


def account_of(api: ApiTarget) -> str:
    """Whose offers: the emulator's demo account, else the Entra app of the environment."""
    if api.account:
        return api.account
    tenant = os.environ.get("AZURE_TENANT_ID", "")
    client = os.environ.get("AZURE_CLIENT_ID", "")
    return f"{tenant}/{client}" if tenant or client else "default"


def backend_name(settings: Settings, env: Mapping[str, str] | None = None) -> str:
    """``local`` or ``github``: the environment's override, else the setting (``auto``)."""
    env = os.environ if env is None else env
    chosen = env.get("RECONCILER_STATE_BACKEND") or settings.apply.state_backend
    if chosen not in ("auto", "local", "github"):
        raise ReconcilerError(
            f"RECONCILER_STATE_BACKEND={chosen!r}: expected auto, local or github"
        )
    if chosen == "auto":
        in_actions = env.get("GITHUB_ACTIONS") == "true"
        return "github" if in_actions and all(env.get(k) for k in GITHUB_NEEDS) else "local"
    return chosen


def lock_for(api: ApiTarget, settings: Settings, endpoint: str) -> StateLock:
    target = api.journal_target(settings, endpoint)
    account = account_of(api)
    from reconciler.apply.journal import journal_dir
    from reconciler.apply.session import open_journals

    def open_files() -> list[Path]:
        return [j.path for j in open_journals(settings, target)]

    if backend_name(settings) == "local":
        return LocalLock(
            state_dir(target, account),
            target=target,
            account=account,
            journal_dir=journal_dir(settings),
            open_journals=open_files,
        )
    missing = [k for k in GITHUB_NEEDS if not os.environ.get(k)]
    if missing:
        raise ReconcilerError(
            "the github state backend needs " + ", ".join(missing) + " in the environment"
        )
    from reconciler.github.client import GitHubClient
    from reconciler.github.state_ref import GitHubRefStore

    repository = os.environ["GITHUB_REPOSITORY"]
    client = GitHubClient(os.environ["GITHUB_API_URL"], os.environ["GITHUB_TOKEN"])

    return GitHubLock(
        GitHubRefStore(client, repository),
        target=target,
        account=account,
        journal_dir=journal_dir(settings),
        open_journals=open_files,
        where=repository,
    )


@contextmanager
def apply_lock(
    api: ApiTarget, settings: Settings, endpoint: str, timeout: float
) -> Iterator[StateLock]:
    """Hold the lock for a writing command; it is kept (marked open) when jobs stay open."""
    lock = lock_for(api, settings, endpoint)

    def waiting(holder: LockInfo | None) -> None:
        what = holder.describe() if holder else "another apply"
        echo_err(redact(f"waiting up to {timeout:g} s for the state lock: {what}"))

    lock.acquire(timeout=timeout, on_wait=waiting)
    if lock.previous is not None:
        echo_err(
            redact(
                f"note: the last run ({lock.previous.describe()}) left jobs open; "
                "following them before anything new is sent"
            )
        )
    try:
        yield lock
    except BaseException:
        lock.release(open_jobs=True)  # a crash: what it left open must be followed
        raise


@click.group(
    "lock",
    epilog=epilog(
        [
            (0, "done"),
            (
                1,
                "error: no such lock id, the state cannot be read, or `release` refused "
                "while the open journal's jobs are queued or running",
            ),
        ],
        [
            ("who holds the apply lock of this service and account", "reconciler lock status"),
            ("release a lock left by a killed run (the exact id)", "reconciler lock release ID"),
        ],
    ),
)
def command() -> None:
    """Show or release the apply lock of a service and account."""


@command.command("status")
@api_options
@pass_app
def status_command(app: AppContext, api: ApiTarget) -> int:
    """Show who holds the apply lock (nothing is sent to the API)."""
    lock = lock_for(api, app.settings, _endpoint(api, app.settings))
    info = lock.read_info()
    if info is None:
        click.echo("No apply holds the lock.")
        return EXIT_OK
    held = not info.open_jobs if isinstance(lock, GitHubLock) else lock.held()
    state = "held" if held else ("left with jobs open" if info.open_jobs else "stale")
    click.echo(redact(f"{info.describe()} [{state}]"))
    return EXIT_OK


@command.command("release")
@click.argument("lock_id")
@click.option(
    "--force",
    is_flag=True,
    help="Release even while the open journal's jobs have not ended (they may be sent again).",
)
@api_options
@pass_app
def release_command(app: AppContext, lock_id: str, force: bool, api: ApiTarget) -> int:
    """Remove lock LOCK_ID (its exact id, from `lock status`), like terraform force-unlock.

    Refused while the open journals of this service still have jobs queued or running (the
    service is asked), unless --force."""
    from reconciler.apply.journal import journal_dir, journal_paths
    from reconciler.apply.recovery import salvage

    settings = app.settings
    endpoint = _endpoint(api, settings)
    lock = lock_for(api, settings, endpoint)
    info = lock.read_info()
    if info is not None and info.id == lock_id and not force:
        target = api.journal_target(settings, endpoint)
        folders = [journal_dir(settings)]
        if isinstance(lock, LocalLock):
            folders.append(lock.kept_dir)  # the open journals a run left for the next one
        mine = [p for d in folders for p in journal_paths(d) if salvage(p).target in (target, None)]
        refuse_unless_settled(api, settings, mine, f"release lock {lock_id}")
    info = lock.force_release(lock_id)
    click.echo(redact(f"Released {info.describe()}."))
    return EXIT_OK


def refuse_unless_settled(
    api: ApiTarget, settings: Settings, journals: list[Path], what: str
) -> None:
    """Refuse *what* while the work of *journals* may still change the live offers."""
    from contextlib import nullcontext

    from reconciler.apply.recovery import needs_service, refusal, salvage, unsettled
    from reconciler.apply.runs import lost_wait

    found = [salvage(path) for path in journals]
    if not found:
        return
    opened = api.open(settings) if needs_service(found) else nullcontext(None)
    with opened as client:
        wait = lost_wait(settings, emulator=bool(api.emulator))
        reasons = unsettled(client, found, lost_wait=wait)
    if reasons:
        raise ReconcilerError(refusal(what, reasons))


def _endpoint(api: ApiTarget, settings: Settings) -> str:
    # The embedded emulator's journals and locks are keyed by its data folder, not its port.
    return api.endpoint or os.environ.get("RECONCILER_ENDPOINT") or settings.api.endpoint
