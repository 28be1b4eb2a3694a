"""The `reconciler emulator` command (being built)."""

from __future__ import annotations

import click


@click.command("emulator")
def command() -> int:
    """Not built yet."""
    raise click.ClickException("'reconciler emulator' is not built yet")
