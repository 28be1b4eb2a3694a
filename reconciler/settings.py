"""Project settings: ``[tool.reconciler]`` in ``pyproject.toml`` or a ``reconciler.toml``.

Found like ruff finds its configuration: the nearest ``reconciler.toml`` (top-level keys)
or ``pyproject.toml`` with a ``[tool.reconciler]`` table, searching from the working
directory upwards. Keys are kebab-case (``poll-interval``); snake_case is accepted too.
An ``[environments.NAME]`` table overlays any top-level key for ``--environment NAME``.
Every setting has a default, so a project with no settings at all works.
"""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from reconciler.errors import SettingsError

REAL_ENDPOINT = "https://graph.microsoft.com/rp/product-ingestion"
# Endpoint rules (see docs/security.md): the bearer token and the client credential only go
# over https, to these hosts, or to loopback when the run opts in (an emulator).
API_HOSTS = frozenset({"graph.microsoft.com"})
AUTHORITY_HOSTS = frozenset({"login.microsoftonline.com"})
ENV_INSECURE_LOOPBACK = "RECONCILER_INSECURE_LOOPBACK"
# A pull request can edit reconciler.toml / pyproject.toml but not the workflow's environment:
# only the environment can let those files choose where the token goes.
ENV_ALLOW_FILE_ENDPOINT = "RECONCILER_ALLOW_FILE_ENDPOINT"
FILE_GUARDED_KEYS = ("endpoint", "authority_host")


def _kebab(name: str) -> str:
    return name.replace("_", "-")


class _Section(BaseModel):
    model_config = ConfigDict(
        extra="forbid", alias_generator=_kebab, validate_by_name=True, validate_by_alias=True
    )


_VERSION_PATTERN = r"^\d{4}-\d{2}-\d{2}(-dev|-preview\d+)?$"


class ApiVersions(_Section):
    """Schema versions the reconciler reads and writes; see docs/api-unknowns.md.

    The newest documented: private-offer 2026-02-01 and
    price-and-availability-private-offer-plan 2025-06-01 (both effective April 17, 2026).
    Reads use the same version as writes, so no field written is missing on read.
    """

    offer: str = Field(default="2026-02-01", pattern=_VERSION_PATTERN)
    price: str = Field(default="2025-06-01", pattern=_VERSION_PATTERN)


class ApiSettings(_Section):
    endpoint: str = REAL_ENDPOINT
    versions: ApiVersions = Field(default_factory=ApiVersions)
    # Unknown for the real API whether the list envelope is "privateOffers" or "value";
    # "auto" accepts either (see docs/api-unknowns.md).
    list_key: Literal["auto", "privateOffers", "value"] = "auto"
    page_size: int = Field(default=100, ge=1, le=1000)
    timeout: float = Field(default=30.0, gt=0)
    connect_timeout: float = Field(default=10.0, gt=0)
    max_connections: int = Field(default=8, ge=1)
    retries: int = Field(default=5, ge=0, le=20)
    retry_max_seconds: float = Field(default=120.0, gt=0)
    backoff_seconds: float = Field(default=1.0, ge=0)
    # How long to look for the effect of a POST configure whose response was lost before
    # re-sending it. None = 900 s (the documented publishing time) against the real API,
    # 5 s against the embedded emulator (reconciler.apply.runs.lost_wait).
    lost_response_wait: float | None = Field(default=None, ge=0)
    authority_host: str = "https://login.microsoftonline.com"
    scope: str = "https://graph.microsoft.com/.default"


class PlanSettings(_Section):
    # octoDNS-style guards: a share of the managed offers and an absolute count, active once
    # at least `min-existing` offers are managed.
    update_threshold: float = Field(default=0.3, ge=0, le=1)
    update_max: int = Field(default=50, ge=0)
    withdraw_threshold: float = Field(default=0.1, ge=0, le=1)
    withdraw_max: int = Field(default=10, ge=0)
    min_existing: int = Field(default=10, ge=0)
    allow_withdraw_all: bool = False
    allow_republish: bool = False
    ignore: list[str] = Field(default_factory=list)
    # With --baseline (a pull request): "changed" plans only the offer files changed since
    # the baseline and reads only their offers; "all" plans everything. Apply and drift
    # always read everything.
    scope: Literal["all", "changed"] = "all"
    # Price guard: a discount above this percentage is a warning; strict-prices makes every
    # price warning block the plan (exit 3), like `plan --strict`.
    discount_warning: float = Field(default=60.0, gt=0, le=100)
    strict_prices: bool = False
    # Watch of the drift run: acceptBy within this many days; where the accepted offers
    # seen by the last run are remembered (relative to the settings file's folder).
    watch_days: int = Field(default=14, ge=0, le=366)
    watch_state: str = ".reconciler/watch-state.json"
    # An upgrade (upgradedFrom) of an offer its customer has not accepted: "accepted" plans
    # it as blocked (Partner Center: "upgrade an existing accepted private offer"), "any"
    # sends it and lets the service decide (docs/api-unknowns.md).
    upgrade_from: Literal["accepted", "any"] = "accepted"


class ApplySettings(_Section):
    max_resources_per_request: int = Field(default=20, ge=1, le=500)
    max_concurrent_requests: int = Field(default=16, ge=1, le=64)
    # None = 60 s against the real API (its documented limit), 0.5 s against the emulator.
    poll_interval: float | None = Field(default=None, gt=0)
    # The rate budget shared by all of apply's requests (submissions, guard reads, polls):
    # None = 10 per second against the real API (its limit is not documented and shared
    # with the publisher's other tools), no limit against a loopback endpoint. A 429 with
    # Retry-After pauses every request of the run for the advertised time.
    requests_per_second: float | None = Field(default=None, gt=0, le=1000)
    request_burst: int = Field(default=10, ge=1, le=1000)
    timeout: float = Field(default=3600.0, gt=0)
    journal_dir: str = ".reconciler"
    # Where the apply lock and the open journal live: "auto" = the GitHub repository when in
    # GitHub Actions with a token, else this machine (env RECONCILER_STATE_BACKEND overrides).
    state_backend: Literal["auto", "local", "github"] = "auto"


class GitHubSettings(_Section):
    comment_marker: str = "reconciler:plan"
    drift_issue_title: str = "Private offers drifted from git"
    drift_labels: list[str] = Field(default_factory=lambda: ["offers-drift"])
    # Outcome labels on the pull request (changes / no-changes / destructive / blocked);
    # an empty prefix turns them off.
    plan_label_prefix: str = "offers:"


def _inside_project(value: str) -> str:
    """``offers`` names a folder of the checkout: a pull request edits the settings file, and
    must not point plan, validate or import at the runner's other files."""
    parts = PurePosixPath(value.replace("\\", "/")).parts
    if not value.strip() or value.startswith(("/", "\\", "~")) or ".." in parts or ":" in value:
        raise ValueError(
            f"{value!r} is not a folder inside the project: write a relative path "
            "without '..' (the offers folder is part of the checkout)"
        )
    return value


class Settings(_Section):
    offers: Annotated[str, AfterValidator(_inside_project)] = "offers"
    # UI-documented rules the API may not enforce (month boundaries, acceptBy in the past) are
    # warnings unless strict; see docs/validation.md.
    strict: bool = False
    allow_sas_signature: bool = False
    # Environment variables offer files may use as ${VAR} (RECONCILER_VAR_* always may).
    env: list[str] = Field(default_factory=list)
    api: ApiSettings = Field(default_factory=ApiSettings)
    plan: PlanSettings = Field(default_factory=PlanSettings)
    apply: ApplySettings = Field(default_factory=ApplySettings)
    github: GitHubSettings = Field(default_factory=GitHubSettings)
    environments: dict[str, dict[str, object]] = Field(default_factory=dict)

    source: str | None = Field(default=None, exclude=True)
    # Which of FILE_GUARDED_KEYS the settings file set (checked by check_file_endpoint).
    file_endpoint_keys: list[str] = Field(default_factory=list, exclude=True)
    root: Path = Field(default_factory=Path.cwd, exclude=True)

    def offers_path(self) -> Path:
        path = (self.root / self.offers).resolve()
        if not path.is_relative_to(self.root.resolve()):
            # A folder linked out of the project (the loader refuses links too).
            where = self.source or "settings"
            raise SettingsError(f"{where}: offers = {self.offers!r} leads outside the project")
        return path


def _find_config(start: Path) -> tuple[Path, dict[str, object]] | None:
    for folder in [start, *start.parents]:
        own = folder / "reconciler.toml"
        if own.is_file():
            return own, own_table(own, _read_toml(own))
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            data = _read_toml(pyproject)
            table = data.get("tool", {}).get("reconciler")
            if isinstance(table, dict):
                return pyproject, table
    return None


def own_table(path: Path, data: dict[str, object]) -> dict[str, object]:
    """reconciler.toml's settings: bare keys, or the same under ``[tool.reconciler]`` (the
    pyproject form, so a block can move between the two files unchanged)."""
    tool = data.get("tool")
    if not isinstance(tool, dict) or "reconciler" not in tool:
        return data
    table = tool["reconciler"]
    others = [k for k in data if k != "tool"] + [k for k in tool if k != "reconciler"]
    if others or not isinstance(table, dict):
        raise SettingsError(
            f"{path}: use either bare keys or one [tool.reconciler] table, not both "
            f"(also found: {', '.join(sorted(others)) or 'a non-table tool.reconciler'})"
        )
    return table


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read: {exc.strerror}") from exc


def _merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_settings(
    start: Path | None = None, *, config: Path | None = None, environment: str | None = None
) -> Settings:
    """Load settings for the project around *start* (default: the working directory)."""
    start = (start or Path.cwd()).resolve()
    if config is not None:
        data = _read_toml(config)
        if config.name == "pyproject.toml":
            data = data.get("tool", {}).get("reconciler", {})
        else:
            data = own_table(config, data)
        found: tuple[Path, dict[str, Any]] | None = (config.resolve(), data)
    else:
        found = _find_config(start)
    source, table = found if found else (None, {})
    if environment:
        envs = table.get("environments", {})
        if environment not in envs:
            where = source or "settings"
            known = ", ".join(sorted(envs)) or "none defined"
            raise SettingsError(f"{where}: unknown environment {environment!r} (known: {known})")
        table = _merge({k: v for k, v in table.items() if k != "environments"}, envs[environment])
    try:
        settings = Settings.model_validate(table)
    except ValidationError as exc:
        lines = []
        for err in exc.errors(include_url=False):
            loc = ".".join(str(p) for p in err["loc"])
            lines.append(f"  {loc}: {err['msg']}")
        where = source or "settings"
        raise SettingsError(
            f"{where}: invalid [tool.reconciler] settings\n" + "\n".join(lines)
        ) from None
    settings.source = str(source) if source else None
    api_table = table.get("api")
    if isinstance(api_table, dict):
        settings.file_endpoint_keys = [
            key for key in FILE_GUARDED_KEYS if key in api_table or _kebab(key) in api_table
        ]
    settings.root = source.parent if source else start
    return settings


# ---------------------------------------------------------------------------- endpoint rules


def env_flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_file_endpoint(
    settings: Settings, env: Mapping[str, str], *, used: set[str] | None = None
) -> None:
    """Refuse an endpoint or authority taken from a settings file unless the run opts in.

    *used*: the keys this run really takes from the settings (default: all of them).
    """
    keys_set = [k for k in settings.file_endpoint_keys if used is None or k in used]
    if not keys_set or env_flag(env, ENV_ALLOW_FILE_ENDPOINT):
        return
    keys = ", ".join(f"api.{_kebab(k)}" for k in keys_set)
    raise SettingsError(
        f"{settings.source or 'settings'}: {keys} is set in a file a pull request can change; "
        f"refusing to send credentials where it says. Set it with --endpoint / "
        f"RECONCILER_ENDPOINT / AZURE_AUTHORITY_HOST in the workflow instead, or let the "
        f"file decide with {ENV_ALLOW_FILE_ENDPOINT}=1 in the workflow's environment"
    )


def check_url(url: str, *, what: str, hosts: frozenset[str], loopback: bool) -> str:
    """*url* when it is https to an allowed host; a SettingsError saying why not otherwise.

    Loopback hosts pass only with *loopback* (an emulator the run asked for).
    """
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise SettingsError(f"{what} {url!r} is not a valid URL") from None
    if parts.scheme.lower() != "https":
        raise SettingsError(
            f"{what} {url!r} is not https: the access token would travel in clear; "
            "only https:// endpoints are allowed"
        )
    if parts.username is not None or parts.password is not None:
        raise SettingsError(f"{what} must not carry user:password")
    if not host:
        raise SettingsError(f"{what} {url!r} names no host")
    if is_loopback_host(host):
        if loopback:
            return url
        raise SettingsError(
            f"{what} {url!r} is a loopback address: allowed only for an emulator, with "
            f"--emulator or --insecure-loopback ({ENV_INSECURE_LOOPBACK}=1)"
        )
    if host.rstrip(".").lower() not in hosts:
        allowed = ", ".join(sorted(hosts))
        raise SettingsError(f"{what} {url!r}: host {host} is not allowed (allowed: {allowed})")
    return url
