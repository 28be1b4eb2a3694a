"""``reconciler apply``: make the live offers match a reviewed plan (the only command that writes).

Two ways in:

* ``apply plan.json`` -- exactly the saved plan (``reconciler plan --out``); its checksum is
  verified, so a plan edited after review is refused. No question is asked: the review
  happened on the plan.
* ``apply [PATHS]`` -- plan now (default: the settings' offers folder), show the plan, ask
  (``--auto-approve`` skips the question; without a terminal it is required), then apply.
  Before planning, unfinished runs recorded in the journal are settled, so the new plan
  sees what they did instead of planning their creates again.

The client is opened with ``writes=True`` here (and in ``reconciler jobs resume|cancel``)
only. Exit codes: 0 all succeeded or nothing to do, 1 error before anything was sent,
3 blocked (a safety guard, or every change blocked), 4 stale changes (not sent), 5 failed
jobs, 6 jobs still running at the deadline, 8 partly applied (the offers reported blocked
or waiting were left alone, every other change succeeded).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from reconciler.api.client import ProductIngestionClient
from reconciler.apply.applier import ApplyOptions, Locate
from reconciler.apply.created import known_offers
from reconciler.apply.outcome import ApplyResult, left_alone_outcomes
from reconciler.apply.session import run_apply, settle_open, unfinished
from reconciler.checks.deal import add_deals
from reconciler.cli.common import (
    ApiTarget,
    AppContext,
    api_options,
    echo_err,
    epilog,
    jobs_go_on_when_interrupted,
    pass_app,
    role_option,
)
from reconciler.cli.history import recorder, remember
from reconciler.cli.lock import LOCK_TIMEOUT, apply_lock
from reconciler.errors import EXIT_BLOCKED, PlanFileError, ReconcilerError
from reconciler.plan.pipeline import PlanInputs, load_files, plan_loaded
from reconciler.plan.plan import Plan
from reconciler.render.insights import add_price_guard
from reconciler.render.plan_notes import full_plan_banner
from reconciler.report.progress import ProgressPrinter
from reconciler.report.summary import outputs, render_markdown, render_table
from reconciler.secrets import redact
from reconciler.settings import Settings

FORMATS = ("text", "json")


def file_locator(settings: Settings) -> Locate:
    """file + field path -> (line, col) by loading the offer file, when it still loads."""
    cache: dict[str, object] = {}

    def locate(file: str, path: Sequence[str | int]) -> tuple[int, int] | None:
        from reconciler.offers.loader import load_offer_files

        if file not in cache:
            try:
                cache[file] = load_offer_files([Path(file)], settings)[0]
            except (ReconcilerError, OSError, IndexError):
                cache[file] = None
        offer_file = cache[file]
        if offer_file is None:
            return None
        try:
            line, col = offer_file.position(list(path))  # type: ignore[attr-defined]
        except (KeyError, IndexError, ValueError, TypeError):
            return None
        return int(line), int(col)

    return locate


def read_plan(path: Path) -> Plan:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot read the plan: {exc.strerror}") from None
    try:
        return Plan.from_json(text)
    except PlanFileError as exc:
        raise PlanFileError(f"{path}: {exc.message}") from None


def refused_whole(plan: Plan) -> bool:
    """Nothing is sent when a safety guard fired, or when every change is a blocked one.

    Otherwise blocked and waiting offers are left alone, each reported with its reason,
    and every other change goes out (exit 8 when all of those succeed)."""
    return plan.safety.blocked or (bool(plan.blocked_changes) and not plan.has_changes)


def report_blocked(plan: Plan) -> int:
    echo_err("error: the plan is blocked; nothing was sent")
    for reason in plan.blocked_reasons():
        echo_err(f"  ! {reason}")
    return EXIT_BLOCKED


def emit_result(result: ApplyResult, fmt: str, markdown_out: Path | None) -> None:
    """Print the outcome, write --markdown-out, and report to GitHub Actions when in it."""
    from reconciler.github.actions import (
        annotate_error,
        in_actions,
        write_outputs,
        write_step_summary,
    )

    if fmt == "json":
        click.echo(redact(json.dumps(result.to_data(), indent=2, ensure_ascii=False)))
    else:
        from reconciler.cli.common import text_width

        click.echo(render_table(result, width=text_width()), nl=False)
    markdown = render_markdown(result)
    if markdown_out is not None:
        try:
            markdown_out.parent.mkdir(parents=True, exist_ok=True)
            markdown_out.write_text(markdown, encoding="utf-8")
        except OSError as exc:
            raise ReconcilerError(f"{markdown_out}: cannot write: {exc.strerror}") from None
    if in_actions():
        write_step_summary(markdown)
        write_outputs(outputs(result))
        # Keep stdout pure JSON with --format json; the runner reads commands on stderr too.
        stream = sys.stderr if fmt == "json" else sys.stdout
        for o in result.outcomes:
            if o.status in ("succeeded", "not-sent", "waiting"):
                continue
            title = f"{o.action} {o.offer_name}: {o.status}"
            if o.errors:
                for e in o.errors:
                    annotate_error(e.file, e.line, f"{e.code}: {e.message}", title, stream=stream)
            else:
                annotate_error(o.file, o.line, o.message or o.status, title, stream=stream)


@click.command(
    "apply",
    epilog=epilog(
        [
            (0, "applied: every change took effect (or nothing to do)"),
            (1, "error: invalid files or plan, settings, credentials, API or network failure"),
            (3, "blocked: a safety guard fired, or every change is blocked; nothing was sent"),
            (4, "stale: a live offer changed since the plan; nothing was sent for it"),
            (5, "a job failed: the report says which offer, field and line"),
            (6, "jobs still running or an outcome unknown: run `reconciler jobs resume`"),
            (
                7,
                "locked: another apply holds this service and account (`reconciler lock status`)",
            ),
            (
                8,
                "partly applied: offers blocked or waiting were left alone (each with its "
                "reason); every other change succeeded",
            ),
        ],
        [
            ("plan, review and apply against the embedded emulator", "reconciler apply --emulator"),
            (
                "in CI after merge: apply exactly the reviewed plan",
                "reconciler apply plan.json --auto-approve --markdown-out apply.md",
            ),
        ],
    ),
)
@click.argument("source", nargs=-1, type=click.Path(path_type=Path))
@click.option("--auto-approve", is_flag=True, help="Apply without asking (needed without a tty).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--markdown-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the apply outcome as markdown here (for `reconciler github report-apply`).",
)
@click.option("--force", is_flag=True, help="Override the safety thresholds (when planning).")
@click.option(
    "--allow-republish", is_flag=True, help="Allow withdraw-edit-republish (when planning)."
)
@click.option(
    "--expect-checksum",
    metavar="SHA256",
    default=None,
    help="With a saved plan: refuse it unless its checksum is this one (the merge workflow "
    "passes the checksum its plan job computed and showed).",
)
@role_option
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds to wait for the jobs (default: settings apply.timeout).",
)
@LOCK_TIMEOUT
@api_options
@pass_app
def command(
    app: AppContext,
    source: tuple[Path, ...],
    auto_approve: bool,
    fmt: str,
    markdown_out: Path | None,
    force: bool,
    allow_republish: bool,
    expect_checksum: str | None,
    role: str | None,
    timeout: float | None,
    lock_timeout: float,
    api: ApiTarget,
) -> int:
    """Apply a saved plan (plan.json) or plan PATHS and apply after confirmation."""
    settings = app.settings
    plan_file = source[0] if len(source) == 1 and source[0].suffix == ".json" else None
    plan: Plan | None = None
    if plan_file is not None:
        plan = read_plan(plan_file)
        if expect_checksum is not None and plan.checksum != expect_checksum:
            raise PlanFileError(
                f"{plan_file}: checksum {plan.checksum} is not the expected {expect_checksum}; "
                "this is not the plan that was shown: nothing was sent"
            )
        if refused_whole(plan):
            return report_blocked(plan)
    elif any(p.suffix == ".json" for p in source):
        raise ReconcilerError("give either one saved plan (.json) or offer paths, not both")
    options = ApplyOptions(
        timeout=timeout, locate=file_locator(settings), emulator=bool(api.emulator)
    )
    progress = ProgressPrinter(live=None if fmt == "text" else False)
    inputs = PlanInputs(source, api.role(role), None, allow_republish, force)
    loaded = load_files(settings, inputs) if plan is None else None
    with (
        api.open(settings, writes=True) as client,
        apply_lock(api, settings, client.endpoint, lock_timeout) as lock,
    ):
        target = api.journal_target(settings, client.endpoint)
        try:
            result = _locked(
                api,
                client,
                settings,
                target,
                plan,
                loaded,
                inputs,
                options,
                progress,
                fmt,
                markdown_out,
                auto_approve,
            )
        finally:
            lock.release(open_jobs=any_open(settings, target))
    if isinstance(result, int):
        return result
    emit_result(result, fmt, markdown_out)
    return result.exit_code


def _locked(
    api: ApiTarget,
    client: ProductIngestionClient,
    settings: Settings,
    target: str,
    plan: Plan | None,
    loaded: Any,
    inputs: PlanInputs,
    options: ApplyOptions,
    progress: ProgressPrinter,
    fmt: str,
    markdown_out: Path | None,
    auto_approve: bool,
) -> ApplyResult | int:
    """The part of apply that runs under the state lock."""
    if plan is not None:
        check_same_service(plan, client.endpoint)
    if loaded is not None:
        # Finish what an interrupted apply left open first, so the plan sees its effect.
        history = recorder(api, settings, client.endpoint)
        settled = settle_open(
            client, settings, target, options=options, progress=progress, record=history
        )
        waiting = unfinished(settled)
        if waiting is not None:
            progress.close()
            echo_err(
                "note: an earlier apply is not finished (jobs still running, or a lost answer "
                "not decided yet); nothing new was planned or sent. Run apply again later, or "
                "`reconciler jobs resume`"
            )
            return waiting
        plan = plan_loaded(client, settings, replace(inputs, ours=known_offers(settings)), loaded)
        if loaded.selection is not None and loaded.selection.full_because:
            plan.extras.append(full_plan_banner(loaded.selection.full_because))
        # The plan command's price guard (plan.strict-prices blocks here too).
        report = add_price_guard(plan, loaded.files, client, settings)
        # Who each offer waits for after apply (customers, accept-by) comes from the files.
        add_deals(plan, loaded.files, [], None, report)
        shown = render_plan(plan)
        click.echo(shown, nl=False, err=fmt == "json")
        if refused_whole(plan):
            return report_blocked(plan)
        if not plan.has_changes:
            # Nothing to send; offers waiting (if any) are reported, nothing is asked.
            return ApplyResult(plan_checksum=plan.checksum, outcomes=left_alone_outcomes(plan))
        confirm(auto_approve)
    assert plan is not None  # read from the file, or planned just above
    with jobs_go_on_when_interrupted():
        try:
            result = run_apply(
                plan,
                client,
                settings,
                target,
                options=options,
                progress=progress,
                record=recorder(api, settings, client.endpoint),
            )
        finally:
            progress.close()
    remember(api, settings, client.endpoint, plan, result)
    return result


def any_open(settings: Settings, target: str) -> bool:
    """Whether journals of *target* are still open (the lock record then stays for the next run)."""
    from reconciler.apply.session import open_journals

    try:
        return bool(open_journals(settings, target))
    except ReconcilerError:
        return True


def check_same_service(plan: Plan, endpoint: str) -> None:
    """Refuse a saved plan made against another service: its eTags and ids mean nothing here.

    Two loopback endpoints are not compared (the embedded emulator gets a new port on every
    start; its journals are keyed by its data folder instead), but a plan made against a
    local emulator is never applied to a remote service, nor the other way round.
    """
    from reconciler.api.jobs import is_local_endpoint

    planned = plan.meta.endpoint.rstrip("/")
    if not planned:
        return
    if is_local_endpoint(planned) and is_local_endpoint(endpoint):
        return
    if planned != endpoint.rstrip("/"):
        raise PlanFileError(
            f"the plan was made against {planned}, but this apply targets {endpoint}; "
            "plan again against the service you apply to"
        )


def can_ask() -> bool:
    return sys.stdin.isatty()


def confirm(auto_approve: bool) -> None:
    """Ask as Terraform does: only the word `yes` approves (a reflex `y` or Enter does not)."""
    if auto_approve:
        return
    if not can_ask():
        raise ReconcilerError(
            "refusing to apply without confirmation: no terminal to ask on; "
            "review the plan and pass --auto-approve (or apply a saved plan file)"
        )
    echo_err(
        "\nDo you want to apply these changes?\n"
        "  The reconciler will send the changes described above to the live offers.\n"
        "  Only 'yes' will be accepted to approve.\n"
    )
    answer = click.prompt("  Enter a value", default="", show_default=False, err=True)
    if answer.strip() != "yes":
        raise ReconcilerError("apply cancelled (only 'yes' approves): nothing was sent")


def render_plan(plan: Plan) -> str:
    from reconciler.cli.common import text_width, use_colour
    from reconciler.render import render_text

    return render_text(plan, colour=use_colour(), width=text_width())
