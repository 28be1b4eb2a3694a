"""The reconciler's own error hierarchy.

Every failure a user can meet is one of these classes, so the CLI maps each to an
exit code and a one-line message without ever printing a traceback. Library
exceptions (httpx, msal, pydantic, ruamel.yaml) are wrapped with ``raise ... from``
at the boundary where they occur and never leak past it.

    ReconcilerError                      exit 1
    ├── SettingsError                    bad [tool.reconciler] / reconciler.toml
    ├── OfferFilesInvalid                one or more offer files failed validation
    ├── CredentialError                  nothing (or something broken) configured for auth
    ├── ApiError                         the Product Ingestion API said no / could not be reached
    │   ├── ApiClientError (4xx)
    │   │   ├── AuthenticationError (401)
    │   │   ├── ForbiddenError (403)
    │   │   ├── NotFoundError (404)
    │   │   ├── ConflictError (409/412)
    │   │   └── ThrottledError (429, after retries)
    │   ├── ApiServerError (5xx, after retries)
    │   ├── ApiUnreachable (connection, timeout, after retries)
    │   └── AmbiguousSubmission  a configure response was lost; carries what was found
    ├── WriteRefused                     a write on a client opened without writes=True
    ├── JobTimeout                       jobs still running at the deadline   exit 6
    ├── PlanBlocked                      a safety guard refused the plan      exit 3
    ├── PlanFileError                    a saved plan is unreadable/tampered
    ├── GitHubError                      GitHub REST API failure
    └── EmulatorError                    the embedded emulator failed to start
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

# Exit codes, shared by every command (documented in the README).
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_BLOCKED = 3
EXIT_STALE = 4
EXIT_JOBS_FAILED = 5
EXIT_JOBS_RUNNING = 6
EXIT_LOCKED = 7  # another apply holds the state lock of this service and account
# Applied, except the offers reported blocked or waiting (each with its reason), left alone.
EXIT_PARTLY = 8
# A mistyped command, option or argument: sysexits' EX_USAGE. Not click's 2, which is
# "changes found" here and read as success by the workflows.
EXIT_USAGE = 64
EXIT_INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as shells report it


class ReconcilerError(Exception):
    """Base of every error the reconciler raises on purpose."""

    exit_code: ClassVar[int] = EXIT_ERROR

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class SettingsError(ReconcilerError):
    pass


@dataclass(frozen=True, order=True)
class Problem:
    """One validation finding, pointing at a file position and a field path.

    ``line`` and ``col`` are 1-based; 0 means "the file as a whole".
    ``path`` is the dotted field path in the file (``pricing[0].discountPercentage``).
    ``rule`` names the rule that fired (see docs/validation.md) when there is one.
    """

    file: str
    line: int
    col: int
    path: str
    message: str
    rule: str | None = None
    severity: str = "error"  # "error" | "warning"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}" if self.line else self.file
        field_part = f" {self.path}:" if self.path else ""
        return f"{where}:{field_part} {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "col": self.col,
            "path": self.path,
            "message": self.message,
            "rule": self.rule,
            "severity": self.severity,
        }


class OfferFilesInvalid(ReconcilerError):
    """Raised with every problem of every file, never just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        super().__init__(f"{len(errors)} problem(s) in offer files")


class CredentialError(ReconcilerError):
    pass


class ApiError(ReconcilerError):
    """An error answered by (or on the way to) the Product Ingestion API.

    Carries what the API said; never the request headers (they hold the token).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        details: list[dict[str, object]] | None = None,
        request_id: str | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.details = details or []
        self.request_id = request_id
        self.method = method
        self.url = url

    def __str__(self) -> str:
        parts = []
        if self.method and self.url:
            parts.append(f"{self.method} {self.url}")
        if self.status is not None:
            parts.append(f"HTTP {self.status}")
        if self.code:
            parts.append(self.code)
        head = " ".join(parts)
        text = f"{head}: {self.message}" if head else self.message
        for detail in self.details:
            text += f"\n  - {detail.get('code', '')}: {detail.get('message', '')}"
        if self.request_id:
            text += f"\n  (request id {self.request_id})"
        return text

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(status={self.status!r}, code={self.code!r}, message={self.message!r})"


class ApiClientError(ApiError):
    pass


class AuthenticationError(ApiClientError):
    pass


class ForbiddenError(ApiClientError):
    pass


class NotFoundError(ApiClientError):
    pass


class ConflictError(ApiClientError):
    pass


class ThrottledError(ApiClientError):
    pass


class ApiServerError(ApiError):
    pass


class ApiUnreachable(ApiError):
    pass


class TlsVerifyError(ApiError):
    """The service's certificate is not trusted: no retry or wait can change that."""


class AmbiguousSubmission(ApiError):
    """The response to ``POST configure`` was lost and the client checked the effect instead.

    ``accepted`` is True when the request's effect was found (``found`` holds the offers that
    show it; the job id is unknown), None when it could not be determined. The request is
    never re-sent in either case: re-sending a create could make a duplicate offer.
    """

    def __init__(
        self,
        message: str,
        *,
        accepted: bool | None,
        found: list[dict[str, object]] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message, status=status, method="POST", url="configure")
        self.accepted = accepted
        self.found = found or []


class WriteRefused(ReconcilerError):
    """A write (configure, cancel) on a client that was opened read-only."""


class JobTimeout(ReconcilerError):
    exit_code: ClassVar[int] = EXIT_JOBS_RUNNING

    def __init__(self, message: str, job_ids: list[str] | None = None) -> None:
        super().__init__(message)
        self.job_ids = job_ids or []


class PlanBlocked(ReconcilerError):
    exit_code: ClassVar[int] = EXIT_BLOCKED

    def __init__(self, message: str, reasons: list[str] | None = None) -> None:
        super().__init__(message)
        self.reasons = reasons or []


class PlanFileError(ReconcilerError):
    pass


class GitHubError(ReconcilerError):
    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class EmulatorError(ReconcilerError):
    pass


class LockHeld(ReconcilerError):
    """Another apply holds the state lock; the message names the holder."""

    exit_code: ClassVar[int] = EXIT_LOCKED
