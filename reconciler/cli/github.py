"""The `reconciler github` command (being built)."""

from __future__ import annotations

import click


@click.command("github")
def command() -> int:
    """Not built yet."""
    raise click.ClickException("'reconciler github' is not built yet")
