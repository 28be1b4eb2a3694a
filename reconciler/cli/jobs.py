"""The `reconciler jobs` command (being built)."""

from __future__ import annotations

import click


@click.command("jobs")
def command() -> int:
    """Not built yet."""
    raise click.ClickException("'reconciler jobs' is not built yet")
