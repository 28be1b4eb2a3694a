"""``reconciler emulator``: serve the Product Ingestion API emulator until interrupted."""

from __future__ import annotations

import threading
from pathlib import Path

import click

from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.server import EmbeddedEmulator


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=int, default=8400, show_default=True, help="Port (0 = any free port).")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep state in SQLite under DIR (default: in memory, lost on exit).",
)
@click.option(
    "--tls", is_flag=True, help="Serve HTTPS with a locally generated CA (needed by msal)."
)
@click.option("--admin", is_flag=True, help="Enable the /_emulator/ test controls.")
@click.option(
    "--job-latency",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Seconds from job submission to completion.",
)
@click.option("--list-key", type=click.Choice(["privateOffers", "value"]), default="privateOffers",
              show_default=True, help="Envelope key of GET private-offer/query.")  # fmt: skip
@click.option("--strict-dates", is_flag=True, help="Enforce the UI's date rules (see docs).")
@click.option("--require-etag", is_flag=True, help="Refuse updates without an eTag.")
def command(
    host: str,
    port: int,
    data_dir: Path | None,
    tls: bool,
    admin: bool,
    job_latency: float,
    list_key: str,
    strict_dates: bool,
    require_etag: bool,
) -> int:
    """Serve the Product Ingestion API emulator (private offers) until Ctrl+C.

    Demo accounts: publisher (client id 00000000-0000-0000-0000-0000000000a1, secret
    emulator-publisher-secret) and partner (client id 00000000-0000-0000-0000-0000000000b2,
    secret emulator-partner-secret); see docs/emulator.md.
    """
    config = EmulatorConfig(
        data_dir=data_dir,
        host=host,
        port=port,
        tls=tls,
        admin=admin,
        job_latency=job_latency,
        list_key="value" if list_key == "value" else "privateOffers",
        strict_dates=strict_dates,
        require_etag=require_etag,
    )
    with EmbeddedEmulator(config) as emulator:
        click.echo(f"Product Ingestion API emulator on {emulator.api_url}")
        click.echo(f"  token authority: {emulator.authority('<tenant>')}")
        if emulator.ca_file:
            click.echo(f"  CA certificate:  {emulator.ca_file}")
        click.echo(f"  state:           {data_dir or 'in memory'}")
        if admin:
            click.echo(f"  test controls:   {emulator.base_url}/_emulator/")
        click.echo("Press Ctrl+C to stop.")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            click.echo("stopping")
    return 0
