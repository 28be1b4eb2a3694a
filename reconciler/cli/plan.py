"""The `reconciler plan` command (being built)."""

from __future__ import annotations

import click


@click.command("plan")
def command() -> int:
    """Not built yet."""
    raise click.ClickException("'reconciler plan' is not built yet")
