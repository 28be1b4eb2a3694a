"""The `reconciler apply` command (being built)."""

from __future__ import annotations

import click


@click.command("apply")
def command() -> int:
    """Not built yet."""
    raise click.ClickException("'reconciler apply' is not built yet")
