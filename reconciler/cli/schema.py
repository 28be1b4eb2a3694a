"""The `reconciler schema` command (being built)."""

from __future__ import annotations

import click


@click.command("schema")
def command() -> int:
    """Not built yet."""
    raise click.ClickException("'reconciler schema' is not built yet")
