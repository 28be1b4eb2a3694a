"""The env file of a stand-alone emulator: ``KEY=value`` lines a shell can source.

Written with mode 0600 (it holds the demo client secret and the admin token); read back by
the ``reconciler emulator`` control sub-commands. Values are single-quoted for the shell.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from pathlib import Path

ENV_EMULATOR_URL = "RECONCILER_EMULATOR_URL"
ENV_ADMIN_TOKEN = "RECONCILER_EMULATOR_ADMIN_TOKEN"  # noqa: S105 - a variable name


def write_env_file(path: Path, env: Mapping[str, str]) -> None:
    lines = [
        "# Written by `reconciler emulator`; load it with: set -a; . FILE; set +a",
        *(f"{key}={shlex.quote(value)}" for key, value in env.items()),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    path.chmod(0o600)


def read_env_file(path: Path) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in path.read_text("utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        parts = shlex.split(value) if value else [""]
        env[key.strip()] = parts[0] if parts else ""
    return env
