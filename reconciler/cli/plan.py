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

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import click

from reconciler.cli.ci_report import report_plan
from reconciler.cli.common import AppContext, api_options, pass_app
from reconciler.errors import EXIT_BLOCKED, EXIT_CHANGES, EXIT_OK, ReconcilerError
from reconciler.plan.plan import Plan
from reconciler.plan.render import render_json, render_markdown, render_text
from reconciler.settings import Settings

FORMATS = ("text", "markdown", "json")


@dataclass
class PlanRequest:
    paths: tuple[Path, ...]
    baseline: str | None
    role: str | None
    allow_republish: bool
    force: bool
    endpoint: str | None
    emulator: bool
    emulator_data: Path | None
    account: str | None


def resolve_role(role: str | None, account: str | None) -> str:
    if role:
        return role
    return "partner" if account == "partner" else "publisher"


def build_plan(settings: Settings, req: PlanRequest) -> Plan:
    """Everything ``plan`` and ``drift`` share: files -> live (read-only) -> Plan."""
    from reconciler.api.connect import open_client
    from reconciler.offers.loader import load_offer_files
    from reconciler.plan.baseline import git_sha, load_baseline
    from reconciler.plan.live import fetch_live, managed_selector
    from reconciler.plan.planner import PlanOptions, make_plan, role_kinds

    role = resolve_role(req.role, req.account)
    paths = list(req.paths) or [settings.offers_path()]
    files = load_offer_files(paths, settings)
    baseline = load_baseline(req.baseline, files, settings) if req.baseline else None
    mine = [f for f in files if f.kind in role_kinds(role)]
    managed = managed_selector({f.name for f in mine}, {f.id for f in mine if f.id})
    with open_client(
        settings,
        endpoint=req.endpoint,
        emulator=req.emulator,
        emulator_data=req.emulator_data,
        account=req.account,
        writes=False,
    ) as client:
        live = fetch_live(client, managed=managed)
        endpoint = client.endpoint
    options = PlanOptions(
        role=role,
        allow_republish=req.allow_republish,
        force=req.force,
        endpoint=endpoint,
        git_sha=git_sha(Path.cwd()),
    )
    return make_plan(files, live, settings, baseline=baseline, options=options)


def use_colour() -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def render(plan: Plan, fmt: str) -> str:
    if fmt == "json":
        return render_json(plan)
    if fmt == "markdown":
        return render_markdown(plan)
    return render_text(plan, colour=use_colour())


def write_file(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ReconcilerError(f"{path}: cannot write: {exc.strerror}") from None


@click.command("plan")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan (JSON) for apply."
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
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
@click.option(
    "--role",
    type=click.Choice(["publisher", "partner"]),
    envvar="RECONCILER_ROLE",
    default=None,
    help="Whose offers to plan (default: partner with --account partner, else publisher).",
)
@click.option(
    "--allow-republish", is_flag=True, help="Allow withdraw-edit-republish of live offers."
)
@click.option("--force", is_flag=True, help="Override the safety thresholds.")
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
    endpoint: str | None,
    emulator: bool,
    emulator_data: Path | None,
    account: str | None,
) -> int:
    """Show what apply would change: create, update, publish, withdraw, delete, blocked."""
    req = PlanRequest(
        paths, baseline, role, allow_republish, force, endpoint, emulator, emulator_data, account
    )
    plan = build_plan(app.settings, req)
    if out is not None:
        write_file(out, plan.to_json())
    if markdown_out is not None:
        write_file(markdown_out, render_markdown(plan))
    click.echo(render(plan, fmt), nl=False)
    if plan.is_blocked:
        code = EXIT_BLOCKED
    elif detailed_exitcode and plan.has_changes:
        code = EXIT_CHANGES
    else:
        code = EXIT_OK
    report_plan(plan, code, machine_stdout=fmt == "json")
    return code
