"""What every API route of the emulator receives once auth and ``$version`` passed."""

from __future__ import annotations

from starlette.requests import Request

from reconciler.emulator.config import Account


class ApiCall:
    """What every API route has once auth and ``$version`` passed."""

    def __init__(self, request: Request, account: Account, version: str) -> None:
        self.request = request
        self.account = account
        self.version = version
