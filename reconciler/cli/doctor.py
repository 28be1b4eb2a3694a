"""``reconciler doctor``: a read-only first contact with the configured service.

Run it first against the real API: it reads what the service shows (token, list shape and
keys, eTags, schema versions, one offer of each type, one price template), prints for each
"assumption -> what the service did -> what the tool will do", and writes the same as JSON
(``--out``) to attach to an issue. It never sends a POST: the client is opened read-only.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from reconciler.cli.common import (
    ApiTarget,
    AppContext,
    api_options,
    epilog,
    pass_app,
    text_width,
)
from reconciler.errors import EXIT_ERROR, EXIT_OK


@click.command(
    "doctor",
    epilog=epilog(
        [
            (0, "the service answered every read (warnings are in the report)"),
            (1, "error: settings, credentials, an unreachable endpoint or a refused read"),
        ],
        [
            ("first contact with the real API", "reconciler doctor --out doctor.json"),
            ("against the embedded emulator", "reconciler doctor --emulator"),
        ],
    ),
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report as JSON here (no secret in it: attach it to an issue).",
)
@api_options
@pass_app
def command(app: AppContext, out: Path | None, api: ApiTarget) -> int:
    """Read what the service shows and say what the tool will do with it (never writes)."""
    from reconciler.api.doctor import examine

    pinned = set(app.settings.api.versions.model_fields_set)
    with api.open(app.settings) as client:
        report = examine(client, pinned=pinned)
    click.echo(report.render_text(width=text_width()), nl=False)
    if out is not None:
        out.write_text(json.dumps(report.to_data(), indent=2) + "\n")
        click.echo(f"report written to {out}")
    return EXIT_OK if report.posts == 0 else EXIT_ERROR
