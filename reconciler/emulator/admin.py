"""``EmulatorAdmin``: the Python client of the emulator's test controls (``/_emulator/``).

The controls exist only when the emulator runs with ``admin=True``. They are what tests,
the demo and the benchmarks use to act as the world outside the API: a customer accepting
an offer, someone editing an offer behind git's back, an unreliable network, a slow service.
"""

from __future__ import annotations

import ssl
from typing import Any

import httpx

from reconciler.errors import EmulatorError

CONFIGURE_SCHEMA = "https://schema.mp.microsoft.com/schema/configure/2022-07-01"


class EmulatorAdmin:
    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        ca_file: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        verify: ssl.SSLContext | bool = True
        if ca_file is not None:
            verify = ssl.create_default_context(cafile=ca_file)
        elif base_url.startswith("http://"):
            # No TLS, nothing to verify: httpx would still load the system's trust store (about
            # 25 ms of CPU) for every admin client of a plain-HTTP emulator.
            verify = False
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=base_url + "/_emulator", verify=verify, timeout=timeout, headers=headers
        )

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, json: Any = None) -> Any:
        try:
            response = self._http.request(method, path, json=json)
        except httpx.HTTPError as exc:
            raise EmulatorError(f"emulator admin {method} {path}: {exc}") from None
        if response.status_code == 404 and "error" not in response.text:
            raise EmulatorError(
                "the emulator's admin controls are off (start it with admin enabled)"
            )
        if response.status_code >= 400:
            try:
                error = response.json().get("error", {})
                message = f"{error.get('code')}: {error.get('message')}"
            except ValueError:
                message = response.text
            raise EmulatorError(
                f"emulator admin {method} {path}: HTTP {response.status_code} {message}"
            )
        return response.json()

    # ---- state --------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every offer, price resource, job, fault and statistic."""
        self._call("POST", "/reset")

    def accept(self, offer_id: str) -> str:
        """Simulate the customer accepting the offer (or a CSP partner transacting it).

        Returns the offer's new eTag."""
        result = self._call("POST", f"/offers/{_guid(offer_id)}/accept")
        return str(result["eTag"])

    def edit(self, offer_id: str, fields: dict[str, object], *, state: str | None = None) -> str:
        """Change fields of an offer outside the API (drift); None removes a field.

        Returns the offer's new eTag."""
        result = self._call(
            "POST", f"/offers/{_guid(offer_id)}/edit", {"fields": fields, "state": state}
        )
        return str(result["eTag"])

    def seed(
        self, resources: list[dict[str, object]], *, account: str = "publisher"
    ) -> list[dict[str, object]]:
        """Create resources at once, as a successful job would; returns them with their ids."""
        result = self._call("POST", "/seed", {"account": account, "resources": resources})
        return list(result["resources"])

    def withdraw_as_partner(self, offer_id: str) -> str:
        """The selling partner withdraws its published multiparty offer; returns the eTag."""
        result = self._call("POST", f"/offers/{_guid(offer_id)}/partner-withdraw")
        return str(result["eTag"])

    def add_catalogue(self, catalogue: dict[str, object]) -> list[dict[str, object]]:
        """Add products and plans (``{"products": [...]}``); returns the whole catalogue."""
        return list(self._call("POST", "/catalogue", catalogue)["products"])

    def settings(self, **changes: object) -> dict[str, object]:
        """Read, or change at run time, settings such as job_latency or require_etag."""
        result: dict[str, object] = self._call("POST", "/settings", changes)
        return result

    # ---- faults and statistics ----------------------------------------------------------

    def add_fault(
        self,
        kind: str,
        path: str = "*",
        *,
        method: str = "*",
        status: int = 500,
        retry_after: float | None = None,
        delay: float = 0.0,
        share: float | None = None,
        count: int | None = None,
        code: str = "internalServerError",
        message: str = "Injected failure.",
    ) -> str:
        """Inject a fault (see reconciler.emulator.faults); returns its id."""
        body = {
            "kind": kind, "path": path, "method": method, "status": status,
            "retry_after": retry_after, "delay": delay, "share": share, "count": count,
            "code": code, "message": message,
        }  # fmt: skip
        return str(self._call("POST", "/faults", body)["id"])

    def faults(self) -> list[dict[str, object]]:
        return list(self._call("GET", "/faults")["faults"])

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def stats(self) -> dict[str, int]:
        """Requests received, by "METHOD endpoint" (e.g. "GET configure/{id}/status")."""
        return dict(self._call("GET", "/stats")["requests"])

    def reset_stats(self) -> None:
        self._call("DELETE", "/stats")


def _guid(offer_id: str) -> str:
    return offer_id.rsplit("/", 1)[-1]
