"""The `reconciler validate` command (being built)."""

from __future__ import annotations

import click


@click.command("validate")
def command() -> int:
    """Not built yet."""
    raise click.ClickException("'reconciler validate' is not built yet")
