"""The API's error answer, ``{"error": {"code", "message", "details"}}`` (docs/api-unknowns.md)."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse


def api_error(
    status: int,
    code: str,
    message: str,
    details: list[Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return JSONResponse(body, status_code=status, headers=headers)
