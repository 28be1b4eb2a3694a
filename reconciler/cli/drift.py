"""The `reconciler drift` command (being built)."""

from __future__ import annotations

import click


@click.command("drift")
def command() -> int:
    """Not built yet."""
    raise click.ClickException("'reconciler drift' is not built yet")
