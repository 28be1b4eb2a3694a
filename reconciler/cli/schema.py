"""``reconciler schema``: write (or ``--check``) the JSON Schemas of offer, plan and journal files.

The schema is generated from the models, so it can only drift when someone edits the
models and forgets to regenerate; ``--check`` is the CI guard for that.
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.apply.journal_records import render_journal_schemas
from reconciler.checks.schema import render_plan_schemas
from reconciler.cli.common import AppContext, epilog, pass_app
from reconciler.errors import EXIT_ERROR, EXIT_OK, ReconcilerError
from reconciler.offers.schema import render_schemas


@click.command(
    "schema",
    epilog=epilog(
        [(0, "schemas written, or in sync with --check"), (1, "out of sync (with --check)")],
        [
            ("regenerate schemas/ after changing the models", "reconciler schema"),
            ("in CI: fail when a model changed without its schema", "reconciler schema --check"),
        ],
    ),
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the schema files (default: schemas/ next to the settings file).",
)
@click.option("--check", is_flag=True, help="Exit 1 when the files differ from the models.")
@pass_app
def command(app: AppContext, out: Path | None, check: bool) -> int:
    """Write the JSON Schemas of offer files and plan files (schemas/*.schema.json).

    schemas/offer.schema.json describes the offer YAML files; schemas/plan.schema.json the
    plan JSON (``reconciler plan --out`` / ``--format json``); schemas/journal.schema.json one
    line of an apply journal.
    """
    folder = out if out is not None else app.settings.root / "schemas"
    ctx = click.get_current_context()
    stale = []
    for name, text in {
        **render_schemas(),
        **render_plan_schemas(),
        **render_journal_schemas(),
    }.items():
        target = folder / name
        try:
            current = target.read_text(encoding="utf-8") if target.is_file() else None
        except (OSError, UnicodeDecodeError) as exc:
            raise ReconcilerError(f"{target}: cannot read: {exc}") from exc
        if current == text:
            continue
        if check:
            stale.append(target)
            continue
        try:
            folder.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ReconcilerError(f"{target}: cannot write: {exc.strerror}") from exc
        click.echo(f"wrote {target}")
    for target in stale:
        click.echo(f"{target} is out of date; run 'reconciler schema' and commit it", err=True)
    ctx.exit(EXIT_ERROR if stale else EXIT_OK)
    return EXIT_OK
