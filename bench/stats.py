"""The emulator's request statistics, read over its admin API by a worker.

A worker only needs two admin calls (reset before the measured part, read after). They are
made here with plain httpx instead of the emulator's own admin client so that a worker
imports what the tool's command imports and nothing of the emulator server (uvicorn,
starlette, the certificate tooling): its peak RSS is the tool's own.
"""

from __future__ import annotations

import httpx


class EmulatorStats:
    def __init__(self, base_url: str, token: str = "") -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=base_url + "/_emulator", headers=headers, timeout=60)

    def reset_stats(self) -> None:
        self._http.delete("/stats").raise_for_status()

    def stats(self) -> dict[str, int]:
        """Requests received, by "METHOD endpoint" (e.g. "GET configure/{id}/status")."""
        response = self._http.get("/stats")
        response.raise_for_status()
        return dict(response.json()["requests"])

    def close(self) -> None:
        self._http.close()
