"""The `reconciler import` command (being built)."""

from __future__ import annotations

import click


@click.command("import")
def command() -> int:
    """Not built yet."""
    raise click.ClickException("'reconciler import' is not built yet")
