"""``reconciler jobs list|resume|cancel|discard``: the apply runs the journal still holds open.

* ``list`` reads the journal files only (no API call): one line per open journal with its
  plan, target service, jobs in flight and requests whose answer was lost.
* ``resume`` continues every open journal of the current target: polls its jobs, resolves
  lost answers by checking their effect, and sends the steps its plan still has to send.
* ``cancel`` asks the service to cancel the in-flight jobs and closes the journals; steps
  never sent are dropped (plan again to see what is left).
* ``discard ID`` puts one journal aside (renamed ``*.discarded``): for a corrupt journal, or
  a run settled by hand. It asks the service first and refuses while the jobs the journal
  names are queued or running (``--force`` skips that): discarded too early, the next
  apply would send their changes again. Apply works again after it.

``resume`` and ``cancel`` open the client with ``writes=True``; exit codes as ``apply``.
Both record each offer's outcome in the apply history as ``apply`` does, so ``drift`` and
``import`` judge an offer by how its change really ended.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from reconciler.apply.applier import ApplyOptions
from reconciler.apply.journal import discard, find_journal, journal_dir, list_journals
from reconciler.apply.outcome import ApplyResult
from reconciler.apply.session import cancel_open, resume_open
from reconciler.cli.apply import FORMATS, any_open, emit_result, file_locator
from reconciler.cli.common import (
    ApiTarget,
    AppContext,
    api_options,
    epilog,
    jobs_go_on_when_interrupted,
    pass_app,
)
from reconciler.cli.history import recorder
from reconciler.cli.lock import LOCK_TIMEOUT, apply_lock, refuse_unless_settled
from reconciler.errors import EXIT_JOBS_RUNNING, EXIT_OK
from reconciler.report.progress import ProgressPrinter
from reconciler.secrets import redact
from reconciler.state.lock import kept_journal_dirs


def merge(results: list[ApplyResult]) -> ApplyResult:
    if len(results) == 1:
        return results[0]
    merged = ApplyResult(plan_checksum=",".join(r.plan_checksum for r in results))
    for r in results:
        merged.outcomes.extend(r.outcomes)
        merged.endpoint = r.endpoint
    merged.resumed = True
    merged.journal_closed = all(r.journal_closed for r in results)
    if results and not merged.journal_closed:
        merged.journal = ", ".join(str(r.journal) for r in results if not r.journal_closed)
    return merged


@click.group(
    "jobs",
    epilog=epilog(
        [
            (0, "done: nothing open, or every resumed job took effect"),
            (
                1,
                "error: unreadable journal, settings, credentials or API failure; `discard` "
                "refused while the journal's jobs are queued or running",
            ),
            (5, "a resumed job failed"),
            (6, "jobs still running: run `reconciler jobs resume` again later"),
        ],
        [
            ("see the applies that were interrupted", "reconciler jobs list"),
            (
                "follow their jobs to the end without re-sending",
                "reconciler jobs resume --emulator",
            ),
        ],
    ),
)
def command() -> None:
    """Show and act on unfinished apply runs (the apply journal)."""


@command.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include closed journals.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@pass_app
def list_command(app: AppContext, show_all: bool, fmt: str) -> int:
    """List the open apply journals (this checkout's, and those a run that ended with jobs
    open left in the state directory for the next apply)."""
    folders = [journal_dir(app.settings), *kept_journal_dirs()]
    infos = [i for d in folders for i in list_journals(d, include_closed=show_all)]
    if fmt == "json":
        click.echo(redact(json.dumps([i.to_data() for i in infos], indent=2)))
        return EXIT_OK
    if not infos:
        click.echo("No open apply journals." if not show_all else "No apply journals.")
        return EXIT_OK
    for info in infos:
        data = info.to_data()
        state = f"closed ({data['closed_reason']})" if data["closed"] else "open"
        click.echo(redact(f"{info.path}  [{state}]"))
        click.echo(redact(f"    plan {data['plan_checksum']}  created {data['created_at']}"))
        click.echo(redact(f"    target {data['target']}"))
        inflight = ", ".join(data["jobs_in_flight"]) or "none"
        click.echo(
            f"    {data['changes']} change(s), {data['requests']} request(s); "
            f"jobs in flight: {inflight}; lost answers: {data['unresolved_requests']}"
        )
    return EXIT_OK


@command.command("resume")
@click.argument("journals", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--markdown-out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None)
@LOCK_TIMEOUT
@api_options
@pass_app
def resume_command(
    app: AppContext,
    journals: tuple[Path, ...],
    fmt: str,
    markdown_out: Path | None,
    timeout: float | None,
    lock_timeout: float,
    api: ApiTarget,
) -> int:
    """Continue the open apply journals (all of the current target, or the ones given)."""
    settings = app.settings
    progress = ProgressPrinter(live=None if fmt == "text" else False)
    options = ApplyOptions(
        timeout=timeout, locate=file_locator(settings), emulator=bool(api.emulator)
    )
    with (
        api.open(settings, writes=True) as client,
        apply_lock(api, settings, client.endpoint, lock_timeout) as lock,
    ):
        target = api.journal_target(settings, client.endpoint)
        try:
            with jobs_go_on_when_interrupted():
                results = resume_open(
                    client,
                    settings,
                    target,
                    list(journals),
                    options=options,
                    progress=progress,
                    record=recorder(api, settings, client.endpoint),
                )
        finally:
            progress.close()
            lock.release(open_jobs=any_open(settings, target))
    if not results:
        click.echo("No open apply journals for this target.", err=fmt == "json")
        if fmt == "json":
            click.echo("[]")
        return EXIT_OK
    result = merge(results)
    emit_result(result, fmt, markdown_out)
    return result.exit_code


@command.command("cancel")
@click.argument("journals", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@LOCK_TIMEOUT
@api_options
@pass_app
def cancel_command(
    app: AppContext,
    journals: tuple[Path, ...],
    fmt: str,
    lock_timeout: float,
    api: ApiTarget,
) -> int:
    """Cancel the in-flight jobs of the open apply journals and close them."""
    settings = app.settings
    with (
        api.open(settings, writes=True) as client,
        apply_lock(api, settings, client.endpoint, lock_timeout) as lock,
    ):
        target = api.journal_target(settings, client.endpoint)
        try:
            results = cancel_open(
                client,
                settings,
                target,
                list(journals),
                record=recorder(api, settings, client.endpoint),
            )
        finally:
            lock.release(open_jobs=any_open(settings, target))
    if not results:
        click.echo("No open apply journals for this target.")
        return EXIT_OK
    result = merge(results)
    emit_result(result, fmt, None)
    # Cancelled is what was asked for; only a job that could not be stopped is notable.
    return EXIT_JOBS_RUNNING if result.counts()["running"] else EXIT_OK


@command.command("discard")
@click.argument("journal_id")
@click.option(
    "--force",
    is_flag=True,
    help="Discard even while its jobs have not ended (their changes may be sent again).",
)
@api_options
@pass_app
def discard_command(app: AppContext, journal_id: str, force: bool, api: ApiTarget) -> int:
    """Put journal JOURNAL_ID aside (as shown by `jobs list` or an error) without resuming it.

    Nothing is sent. Refused while the jobs it names are queued or running, or a request
    whose answer was lost may still be queued (the service is asked), unless --force: wait
    for them, or run `reconciler jobs resume`. Then check the live offers (`reconciler plan`).
    """
    path = find_journal([journal_dir(app.settings), *kept_journal_dirs()], journal_id)
    if not force:
        refuse_unless_settled(api, app.settings, [path], f"discard journal {journal_id}")
    aside = discard(path)
    click.echo(redact(f"Discarded journal {journal_id} (kept as {aside})."))
    return EXIT_OK
