"""``reconciler plan``: offer files + live offers -> a reviewed, never-applied plan.

Thin: load the files, open a read-only client (``writes=False``: the plan can never
write), build the plan with :func:`reconciler.plan.planner.make_plan`, render it, map the
outcome to an exit code:

    0  no changes (or changes without --detailed-exitcode)
    1  error
    2  changes pending (with --detailed-exitcode)
    3  blocked by a safety guard or an impossible change (always)
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from reconciler.apply.created import known_offers
from reconciler.cli.ci_report import report_plan, report_price_warnings
from reconciler.cli.common import (
    ApiTarget,
    AppContext,
    api_options,
    epilog,
    pass_app,
    role_option,
    text_width,
    use_colour,
)
from reconciler.errors import EXIT_BLOCKED, EXIT_CHANGES, EXIT_OK, ReconcilerError
from reconciler.github.plan_outputs import bind, failure_markdown
from reconciler.plan.baseline import git_sha
from reconciler.plan.gone import find_gone
from reconciler.plan.pipeline import PlanInputs, load_files, plan_loaded
from reconciler.plan.plan import Plan
from reconciler.plan.scope import settings_changed_since
from reconciler.plan.sections import separate_drift
from reconciler.render.insights import PlanInsights, RecordingClient
from reconciler.render.markdown import render_markdown
from reconciler.render.plan_notes import drift_notes, full_plan_banner, moved_files_section
from reconciler.render.registry import FULL_BUDGET, PLAN_RENDERERS, Style
from reconciler.settings import Settings

EXIT_CODES = [
    (0, "success: no changes (or changes, without --detailed-exitcode)"),
    (1, "error: invalid offer files, settings, credentials, API or network failure"),
    (2, "changes pending (only with --detailed-exitcode)"),
    (3, "blocked: a safety guard fired or a file asks for an impossible change"),
]


def build_plan(
    settings: Settings, inputs: PlanInputs, api: ApiTarget, extra: PlanInsights | None = None
) -> Plan:
    """Everything ``plan`` and ``drift`` share: files -> live (read-only client) -> Plan.

    *extra* adds what the command shows beyond the diff (price warnings, timeline, watch)
    from the same reads."""
    loaded = load_files(settings, inputs)  # invalid files fail here, before any request
    with api.open(settings, writes=False) as client:
        reader = RecordingClient(client)
        plan = plan_loaded(reader, settings, inputs, loaded)
        if loaded.selection is not None and loaded.selection.full_because:
            plan.extras.append(full_plan_banner(loaded.selection.full_because))
        if extra is not None:
            extra.add(plan, loaded.files, reader)
    # Files that went away: against the baseline, else the last commit (a file deleted in
    # the working tree); outside git nothing can tell, and the plan is made all the same.
    ref = inputs.baseline or ("HEAD" if git_sha(Path.cwd()) else None)
    if ref:
        folders = list(inputs.paths) or [settings.offers_path()]
        gone = find_gone(ref, folders, loaded.files, plan, settings)
        plan.gone = gone.files
        if gone.moved:
            plan.extras.append(moved_files_section(gone.moved))
    return plan


def render(plan: Plan, fmt: str) -> str:
    return PLAN_RENDERERS.render(fmt, plan, Style(colour=use_colour(), width=text_width()))


def write_file(path: Path, text: str) -> None:
    """Plans and reports name offers and hold templates: owner-only (0600), written whole."""
    from reconciler.state.files import atomic_write

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReconcilerError(f"{path}: cannot write: {exc.strerror}") from None
    atomic_write(path, text)


@click.command(
    "plan",
    epilog=epilog(
        EXIT_CODES,
        [
            ("review against the embedded emulator", "reconciler plan --emulator"),
            (
                "in CI: save the plan for apply and the markdown for the PR comment",
                "reconciler plan --out plan.json --markdown-out plan.md --detailed-exitcode "
                "--baseline origin/main",
            ),
        ],
    ),
)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan (JSON) for apply."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(PLAN_RENDERERS.formats),
    default="text",
    show_default=True,
    help="What stdout gets: text for people, markdown for a PR, json for tools.",
)
@click.option(
    "--markdown-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the markdown rendering here.",
)
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes.")
@click.option(
    "--baseline",
    metavar="REF",
    help="Git ref the files are compared with to say why a field changes.",
)
@role_option
@click.option(
    "--allow-republish", is_flag=True, help="Allow withdraw-edit-republish of live offers."
)
@click.option("--force", is_flag=True, help="Override the safety thresholds.")
@click.option(
    "--include-drift",
    is_flag=True,
    help="With --baseline: keep changes made outside git in the plan (default: listed in a "
    "section of their own, not applied with this plan).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Price warnings (above list, deep discount, decimal slip) block the plan (exit 3).",
)
@api_options
@pass_app
def command(
    app: AppContext,
    paths: tuple[Path, ...],
    out: Path | None,
    fmt: str,
    markdown_out: Path | None,
    detailed_exitcode: bool,
    baseline: str | None,
    role: str | None,
    allow_republish: bool,
    force: bool,
    include_drift: bool,
    strict: bool,
    api: ApiTarget,
) -> int:
    """Show what apply would change, offer by offer; never changes anything.

    PATHS are offer files or folders (default: the settings' offers folder). The plan
    compares them with the live offers: what will be created, updated, published,
    replaced, withdrawn or deleted, what is blocked and why, and which files went away.
    """
    inputs = PlanInputs(paths, api.role(role), baseline, allow_republish, force, targeted=True)
    # With two live offers of one name, the file manages the newest this tool created.
    inputs = replace(inputs, ours=known_offers(app.settings))
    extra = PlanInsights(app.settings, with_prices=True, strict=strict)
    try:
        plan = build_plan(app.settings, inputs, api, extra)
    except ReconcilerError as exc:
        if markdown_out is not None:
            # The comment says the plan failed, with this error, bound to this run.
            write_file(markdown_out, failure_markdown(exc))
        raise
    # Settings are part of the pull request: what they change is its change, not drift.
    if not (baseline and settings_changed_since(baseline)):
        included = separate_drift(plan, include=include_drift, settings=app.settings.plan)
        plan.extras += drift_notes(plan, included)
    if out is not None:
        write_file(out, plan.to_json())
    if markdown_out is not None:
        write_file(markdown_out, bind(render_markdown(plan, budget=FULL_BUDGET), plan.checksum))
    # click strips ANSI codes off a pipe unless told: FORCE_COLOR means keep them
    click.echo(render(plan, fmt), nl=False, color=True if use_colour() else None)
    if plan.is_blocked:
        code = EXIT_BLOCKED
    elif detailed_exitcode and plan.has_changes:
        code = EXIT_CHANGES
    else:
        code = EXIT_OK
    report_plan(plan, code, machine_stdout=fmt == "json")
    if extra.price_report is not None:
        report_price_warnings(extra.price_report, machine_stdout=fmt == "json")
    return code
