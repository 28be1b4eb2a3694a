"""``reconciler emulator``: serve the API emulator stand-alone, and drive its controls."""

from __future__ import annotations

import os
import threading
import typing
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import click

from reconciler.cli.common import epilog
from reconciler.emulator.admin import EmulatorAdmin
from reconciler.emulator.catalogue import CatalogueError, read_catalogue
from reconciler.emulator.config import PUBLISHER, EmulatorConfig
from reconciler.emulator.envfile import (
    ENV_ADMIN_TOKEN,
    ENV_EMULATOR_URL,
    read_env_file,
    write_env_file,
)
from reconciler.emulator.hosts import is_loopback
from reconciler.emulator.server import EmbeddedEmulator
from reconciler.errors import EmulatorError

# The demo tenant the env file names (the emulator accepts any tenant).
DEMO_TENANT = "00000000-0000-0000-0000-00000000e001"
_SETTABLE_TYPES = {"true": True, "false": False}


def _setting(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise click.BadParameter(f"{text!r}: expected KEY=VALUE (e.g. withdrawn_state=withdrawn)")
    raw = value.strip()
    parsed: object = _SETTABLE_TYPES.get(raw.lower(), raw)
    if isinstance(parsed, str):
        try:
            parsed = float(raw) if "." in raw else int(raw)
        except ValueError:
            parsed = raw
    return key.strip().replace("-", "_"), parsed


@click.group(
    "emulator",
    invoke_without_command=True,
    epilog=epilog(
        [(0, "stopped cleanly"), (1, "error: port in use, unreadable data or settings")],
        [
            (
                "serve it with TLS and write the variables a client needs",
                "reconciler emulator --tls --data .emulator --env-file emulator.env",
            ),
            (
                "then, from a shell that read it (set -a; . ./emulator.env; set +a)",
                "reconciler emulator latency --job 10 --env-file emulator.env",
            ),
        ],
    ),
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Serve a --host beyond this machine: the demo credentials and controls are then "
    "open to that network, and any Host name is answered.",
)
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
@click.option(
    "--env-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the variables a client needs (endpoint, authority, demo credentials, CA, admin "
    "token) to FILE; then `set -a; . FILE; set +a` and run reconciler without --emulator.",
)
@click.option("--admin", is_flag=True, help="Enable the /_emulator/ controls (token protected).")
@click.option(
    "--catalogue",
    "catalogues",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    multiple=True,
    help="Add the products and plans of a catalogue JSON file (repeatable); see docs/emulator.md.",
)
@click.option(
    "--job-latency",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds from job submission to completion (default 30, or "
    "RECONCILER_EMULATOR_JOB_LATENCY).",
)
@click.option(
    "--request-latency",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Seconds added to every API request (the round trip of the real service).",
)
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="An emulator setting of docs/api-unknowns.md, e.g. --set withdrawn_state=withdrawn.",
)
@click.option("--list-key", type=click.Choice(["privateOffers", "value"]), default="privateOffers",
              show_default=True, help="Envelope key of GET private-offer/query.")  # fmt: skip
@click.option("--strict-dates", is_flag=True, help="Enforce the UI's date rules (see docs).")
@click.option("--require-etag", is_flag=True, help="Refuse updates without an eTag.")
@click.pass_context
def command(
    ctx: click.Context,
    host: str,
    allow_remote: bool,
    port: int,
    data_dir: Path | None,
    tls: bool,
    env_file: Path | None,
    admin: bool,
    catalogues: tuple[Path, ...],
    job_latency: float | None,
    request_latency: float,
    settings: tuple[str, ...],
    list_key: str,
    strict_dates: bool,
    require_etag: bool,
) -> int:
    """Serve the Product Ingestion API emulator (private offers) until Ctrl+C.

    Demo accounts: publisher (client id 00000000-0000-0000-0000-0000000000a1, secret
    emulator-publisher-secret) and partner (client id 00000000-0000-0000-0000-0000000000b2,
    secret emulator-partner-secret); see docs/emulator.md. The sub-commands drive a running
    emulator's controls (it must run with --admin).
    """
    if ctx.invoked_subcommand is not None:
        return 0
    if not is_loopback(host) and not allow_remote:
        raise click.UsageError(
            f"--host {host} serves the emulator beyond this machine: anyone on that network "
            "could use its documented demo credentials and, with --admin, its controls. "
            "Add --allow-remote to do so on purpose."
        )
    config = _config(host, allow_remote, port, data_dir, tls, admin, job_latency, request_latency,
                     list_key, strict_dates, require_etag)  # fmt: skip
    if allow_remote:
        click.echo(
            f"warning: --allow-remote: serving {host} to the network, answering any Host name",
            err=True,
        )
    for text in settings:
        _set(config, text)
    try:
        products = [p for path in catalogues for p in read_catalogue(path)]
    except CatalogueError as exc:
        raise click.ClickException(str(exc)) from None
    _serve(config, products, env_file)
    return 0


def _config(
    host: str,
    allow_remote: bool,
    port: int,
    data_dir: Path | None,
    tls: bool,
    admin: bool,
    job_latency: float | None,
    request_latency: float,
    list_key: str,
    strict_dates: bool,
    require_etag: bool,
) -> EmulatorConfig:
    """The emulator's settings from the command's options."""
    config = EmulatorConfig(
        data_dir=data_dir,
        host=host,
        port=port,
        tls=tls,
        admin=admin,
        request_latency=request_latency,
        list_key="value" if list_key == "value" else "privateOffers",
        strict_dates=strict_dates,
        require_etag=require_etag,
        allowed_hosts=None if allow_remote else EmulatorConfig.allowed_hosts,
    )
    if job_latency is not None:
        config.job_latency = job_latency
    return config


def _set(config: EmulatorConfig, text: str) -> None:
    """One ``--set KEY=VALUE``: a known setting, and one of its choices where it has some."""
    key, value = _setting(text)
    if key not in EmulatorConfig.__dataclass_fields__ or key in ("accounts", "data_dir"):
        raise click.BadParameter(f"unknown emulator setting {key!r}", param_hint="--set")
    choices = typing.get_args(typing.get_type_hints(EmulatorConfig)[key])
    if choices and all(isinstance(c, str) for c in choices) and value not in choices:
        raise click.BadParameter(
            f"{key} is one of {', '.join(choices)}, not {value!r}", param_hint="--set"
        )
    setattr(config, key, value)


def _serve(
    config: EmulatorConfig, products: list[dict[str, object]], env_file: Path | None
) -> None:
    """Start the emulator, say where it is, and serve until Ctrl+C."""
    data_dir, admin = config.data_dir, config.admin
    with EmbeddedEmulator(config) as emulator:
        if products and emulator.app is not None:
            emulator.app.store.add_products(products)
        click.echo(f"Product Ingestion API emulator on {emulator.api_url}")
        click.echo(f"  token authority: {emulator.authority('<tenant>')}")
        if emulator.ca_file:
            click.echo(f"  CA certificate:  {emulator.ca_file}")
        click.echo(f"  state:           {data_dir or 'in memory'}")
        if products:
            click.echo(f"  catalogue:       {len(products)} product(s) added")
        if admin:
            click.echo(f"  controls:        {emulator.base_url}/_emulator/")
            click.echo(f"  admin token:     {config.admin_token}")
        if env_file is not None:
            write_env_file(env_file, _client_env(emulator, config))
            click.echo(f"  env file:        {env_file} (set -a; . {env_file}; set +a)")
        click.echo("Press Ctrl+C to stop.", err=False)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            click.echo("stopping")


def _client_env(emulator: EmbeddedEmulator, config: EmulatorConfig) -> dict[str, str]:
    """Every variable a client needs to use this emulator as if it were the real API."""
    env = {
        "RECONCILER_ENDPOINT": emulator.api_url,
        "AZURE_AUTHORITY_HOST": emulator.base_url,
        "AZURE_TENANT_ID": DEMO_TENANT,
        "AZURE_CLIENT_ID": PUBLISHER.client_id,
        "AZURE_CLIENT_SECRET": PUBLISHER.client_secret,
        # The emulator listens on loopback; the endpoint rules ask for this to allow it.
        "RECONCILER_INSECURE_LOOPBACK": "1",
        ENV_EMULATOR_URL: emulator.base_url,
    }
    if emulator.ca_file:
        env["SSL_CERT_FILE"] = str(Path(emulator.ca_file).resolve())
    if config.admin_token:
        env[ENV_ADMIN_TOKEN] = config.admin_token
    return env


# ---- controls of a running emulator ---------------------------------------------------------

env_file_option = click.option(
    "--env-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The env file the emulator wrote (default: the RECONCILER_EMULATOR_* variables).",
)


@contextmanager
def _admin(env_file: Path | None) -> Iterator[EmulatorAdmin]:
    env: Mapping[str, str] = read_env_file(env_file) if env_file else os.environ
    url = env.get(ENV_EMULATOR_URL)
    if not url:
        raise click.ClickException(
            f"which emulator? pass --env-file FILE or set {ENV_EMULATOR_URL} and {ENV_ADMIN_TOKEN}"
        )
    admin = EmulatorAdmin(url, token=env.get(ENV_ADMIN_TOKEN), ca_file=env.get("SSL_CERT_FILE"))
    try:
        yield admin
    except EmulatorError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        admin.close()


@command.command("catalogue")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@env_file_option
def catalogue_command(file: Path, env_file: Path | None) -> None:
    """Add the products and plans of FILE to a running emulator's catalogue."""
    try:
        products = read_catalogue(file)
    except CatalogueError as exc:
        raise click.ClickException(str(exc)) from None
    with _admin(env_file) as admin:
        admin.add_catalogue({"products": products})
    click.echo(f"added {len(products)} product(s)")


@command.command("latency")
@click.option("--job", type=click.FloatRange(min=0), default=None, help="Job latency (s).")
@click.option("--request", type=click.FloatRange(min=0), default=None, help="Per-request (s).")
@env_file_option
def latency_command(job: float | None, request: float | None, env_file: Path | None) -> None:
    """Set the job and per-request latency of a running emulator."""
    changes = {
        k: v for k, v in (("job_latency", job), ("request_latency", request)) if v is not None
    }
    with _admin(env_file) as admin:
        now = admin.settings(**changes)
    click.echo(f"job latency {now['job_latency']} s, request latency {now['request_latency']} s")


@command.command("accept")
@click.argument("offer_id")
@env_file_option
def accept_command(offer_id: str, env_file: Path | None) -> None:
    """Act as the customer: accept the offer OFFER_ID (it becomes a contract)."""
    with _admin(env_file) as admin:
        admin.accept(offer_id)
    click.echo(f"accepted {offer_id}")


@command.command("partner-withdraw")
@click.argument("offer_id")
@env_file_option
def partner_withdraw_command(offer_id: str, env_file: Path | None) -> None:
    """Act as the selling partner: withdraw its published multiparty offer OFFER_ID."""
    with _admin(env_file) as admin:
        admin.withdraw_as_partner(offer_id)
    click.echo(f"the selling partner withdrew {offer_id}")
