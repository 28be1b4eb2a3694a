"""The emulator in a process of its own: ``python -m bench.server [JSON config]``.

The workers measure the tool's CPU time and memory; an emulator in the same process would
add its own to both. So the emulator runs here, plain HTTP on loopback (the tool's TLS
and msal paths are not what is measured), admin controls and static tokens on. It prints
one JSON line ``{"base_url": ..., "api_url": ...}`` and serves until its stdin closes, so it
never outlives the benchmark that started it.
"""

from __future__ import annotations

import json
import sys

from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.server import EmbeddedEmulator


def main() -> int:
    options = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    config = EmulatorConfig(admin=True, static_tokens=True, tls=False, **options)
    with EmbeddedEmulator(config) as emulator:
        sys.stdout.write(
            json.dumps(
                {
                    "base_url": emulator.base_url,
                    "api_url": emulator.api_url,
                    "admin_token": config.admin_token,
                }
            )
            + "\n"
        )
        sys.stdout.flush()
        sys.stdin.read()  # returns at EOF: the parent closed the pipe or exited
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
