"""A small GitHub REST client on httpx, for the handful of endpoints the reporting needs.

Design points:

* Explicit API version and media type headers on every request; ``GITHUB_API_URL`` as the
  base so GitHub Enterprise Server works unchanged.
* Explicit timeouts (10 s connect, 30 s total per read) -- a hung API must not hold a
  workflow until its six-hour limit.
* Modest retries with the shared policy (:mod:`reconciler.retrying`): 5xx and rate limits
  (429, or 403 with ``Retry-After`` / ``x-ratelimit-remaining: 0`` / "secondary rate
  limit") are retried a few times with exponential backoff, honouring ``Retry-After`` and
  ``x-ratelimit-reset`` up to a cap. A wait
  beyond the cap fails at once instead of blocking the job. A POST (which creates something)
  is retried only when GitHub cannot have acted on it: connection failures before sending
  and rate-limit refusals -- a 5xx after a POST might hide a created comment, and a
  duplicate comment is worse than a reported failure.
* ``Link: rel="next"`` pagination, followed only to the API's own origin so the token is
  never sent elsewhere.
* Every failure is a :class:`reconciler.errors.GitHubError` naming the method, path,
  status and GitHub's message (plus the missing permission on a 403 when GitHub says which).
  The token is registered with the redaction registry and never part of a message or repr.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, TypedDict, cast
from urllib.parse import quote

import httpx

from reconciler import __version__
from reconciler.errors import GitHubError
from reconciler.retrying import RetryPolicy, parse_retry_after
from reconciler.secrets import add_secret, redact

log = logging.getLogger(__name__)

API_VERSION = "2022-11-28"
RETRY_STATUSES = frozenset({500, 502, 503, 504})
MAX_PAGES = 200


class GitHubComment(TypedDict, total=False):
    """The fields of an issue or pull request comment this tool reads."""

    id: int
    body: str | None
    html_url: str
    created_at: str
    updated_at: str
    user: dict[str, object]


class GitHubIssue(TypedDict, total=False):
    """The fields of an issue this tool reads."""

    number: int
    title: str
    body: str | None
    state: str
    state_reason: str | None
    html_url: str
    user: dict[str, object]
    labels: list[dict[str, object]]
    pull_request: dict[str, object]
    created_at: str
    updated_at: str


class GitHubClient:
    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 1.0,
        max_wait: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not token:
            raise GitHubError("no GitHub token (set GITHUB_TOKEN)")
        add_secret(token)
        self.api_url = api_url.rstrip("/")
        self._origin = httpx.URL(self.api_url)
        # The shared policy: a few retries, plain doubling backoff, and a wait longer than
        # max_wait fails at once instead of holding the job.
        self.policy = RetryPolicy(
            retries=retries,
            backoff=backoff,
            max_backoff=None,
            jitter=False,
            max_seconds=None,
            max_wait=max_wait,
        )
        self._sleep = sleep
        self._clock = clock
        self._http = httpx.Client(
            base_url=self.api_url + "/",
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {token}",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": f"offer-reconciler/{__version__}",
            },
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            follow_redirects=False,
            # Requests only ever go to the origin's scheme (see _url): an http origin (a GitHub
            # stand-in on loopback) has no certificate to check, and verify=True would load
            # the system trust store (about 25 ms of CPU) for nothing.
            verify=self._origin.scheme == "https",
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"GitHubClient(api_url={self.api_url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transport -----------------------------------------------------------------------

    def _url(self, path_or_url: str) -> httpx.URL:
        if path_or_url.startswith(("http://", "https://")):
            url = httpx.URL(path_or_url)
            same_origin = (url.scheme, url.host, url.port) == (
                self._origin.scheme,
                self._origin.host,
                self._origin.port,
            )
            if not same_origin:
                raise GitHubError(f"refusing to follow a link to another host: {url.host}")
            return url
        return self._origin.join(self._origin.path.rstrip("/") + "/" + path_or_url.lstrip("/"))

    def _asked_wait(self, response: httpx.Response) -> float | None:
        """Seconds GitHub asked to wait (``Retry-After``, or the rate limit's reset time)."""
        now = datetime.fromtimestamp(self._clock(), UTC)
        asked = parse_retry_after(response.headers.get("retry-after"), now)
        if asked is not None:
            return asked
        headers = response.headers
        if response.status_code in (403, 429) and headers.get("x-ratelimit-remaining") == "0":
            try:
                return max(0.0, float(headers.get("x-ratelimit-reset", "")) - self._clock())
            except ValueError:
                return None  # back off
        return None

    @staticmethod
    def _rate_limited(response: httpx.Response) -> bool:
        """A rate-limit refusal: GitHub did nothing, so even a POST may be sent again."""
        if response.status_code not in (403, 429):
            return False
        headers = response.headers
        return (
            response.status_code == 429
            or "retry-after" in headers
            or headers.get("x-ratelimit-remaining") == "0"
            or "secondary rate limit" in response.text.lower()
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        json: object = None,
        params: Mapping[str, str | int] | None = None,
    ) -> httpx.Response:
        url = self._url(path)
        if params:
            url = url.copy_merge_params(dict(params))
        shown = f"{method} {url.path}"
        post = method == "POST"

        def once() -> httpx.Response | httpx.TransportError:
            try:
                return self._http.request(method, url, json=json)
            except httpx.TransportError as exc:
                return exc

        def retryable(result: httpx.Response | httpx.TransportError) -> bool:
            if isinstance(result, httpx.TransportError):
                # A POST is sent again only when it certainly never left.
                return not post or isinstance(result, httpx.ConnectError | httpx.ConnectTimeout)
            if self._rate_limited(result):
                return True
            # a 5xx after a POST might hide a created comment: a duplicate is worse
            return result.status_code in RETRY_STATUSES and not post

        def wait_hint(result: httpx.Response | httpx.TransportError) -> float | None:
            return None if isinstance(result, httpx.TransportError) else self._asked_wait(result)

        def on_retry(result: httpx.Response | httpx.TransportError, delay: float, _: int) -> None:
            if isinstance(result, httpx.TransportError):
                name = type(result).__name__
                log.warning("%s failed (%s); retrying in %.1fs", shown, name, delay)
            else:
                log.warning("%s: HTTP %s; retrying in %.1fs", shown, result.status_code, delay)

        done = self.policy.run(
            once,
            should_retry=retryable,
            wait_hint=wait_hint,
            on_retry=on_retry,
            sleep=self._sleep,
            clock=self._clock,
        )
        result = done.value
        if isinstance(result, httpx.TransportError):
            raise GitHubError(
                f"{shown}: cannot reach GitHub at {self.api_url}: {type(result).__name__}: {result}"
            ) from result
        if result.is_success:
            return result
        raise self._error(shown, result)

    @staticmethod
    def _error(shown: str, response: httpx.Response) -> GitHubError:
        message = ""
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, Mapping):
            message = str(data.get("message") or "")
            errors = data.get("errors")
            if isinstance(errors, list) and errors:
                details = [
                    str(e.get("message") or e.get("code") or e)
                    if isinstance(e, Mapping)
                    else str(e)
                    for e in errors
                ]
                message += " (" + "; ".join(details) + ")"
        if not message:
            message = response.reason_phrase or "request failed"
        text = f"{shown}: HTTP {response.status_code}: {message}"
        needed = response.headers.get("x-accepted-github-permissions")
        if response.status_code == 403 and needed:
            text += f" (the token needs: {needed})"
        return GitHubError(redact(text), status=response.status_code)

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise GitHubError(
                f"{response.request.method} {response.request.url.path}: "
                "GitHub answered with something that is not JSON"
            ) from exc

    def get_json(self, path: str, params: Mapping[str, str | int] | None = None) -> Any:
        return self._json(self.request("GET", path, params=params))

    def paginate(
        self, path: str, params: Mapping[str, str | int] | None = None
    ) -> Iterator[dict[str, object]]:
        """Every item of a list endpoint, following ``Link: rel="next"`` across all pages."""
        merged: dict[str, str | int] = {"per_page": 100, **(params or {})}
        response = self.request("GET", path, params=merged)
        for _ in range(MAX_PAGES):
            items = self._json(response)
            if not isinstance(items, list):
                raise GitHubError(f"GET {path}: expected a list from GitHub")
            yield from (item for item in items if isinstance(item, dict))
            following = response.links.get("next", {}).get("url")
            if not following:
                return
            response = self.request("GET", following)
        raise GitHubError(f"GET {path}: more than {MAX_PAGES} pages; giving up")

    # -- endpoints -----------------------------------------------------------------------

    def _repo(self, repository: str) -> str:
        return f"repos/{repository}"

    def list_issue_comments(self, repository: str, number: int) -> Iterator[GitHubComment]:
        return (
            cast(GitHubComment, c)
            for c in self.paginate(f"{self._repo(repository)}/issues/{number}/comments")
        )

    def create_issue_comment(self, repository: str, number: int, body: str) -> GitHubComment:
        response = self.request(
            "POST",
            f"{self._repo(repository)}/issues/{number}/comments",
            json={"body": redact(body)},
        )
        return cast(GitHubComment, self._json(response))

    def update_issue_comment(self, repository: str, comment_id: int, body: str) -> GitHubComment:
        response = self.request(
            "PATCH",
            f"{self._repo(repository)}/issues/comments/{comment_id}",
            json={"body": redact(body)},
        )
        return cast(GitHubComment, self._json(response))

    def pulls_for_commit(self, repository: str, sha: str) -> list[dict[str, object]]:
        return list(self.paginate(f"{self._repo(repository)}/commits/{sha}/pulls"))

    def list_issues(
        self, repository: str, *, labels: list[str], state: str = "all"
    ) -> Iterator[GitHubIssue]:
        """Issues (not pull requests) carrying every label in *labels*."""
        params: dict[str, str | int] = {"state": state, "sort": "updated", "direction": "desc"}
        if labels:
            params["labels"] = ",".join(labels)
        for item in self.paginate(f"{self._repo(repository)}/issues", params):
            if "pull_request" not in item:
                yield cast(GitHubIssue, item)

    def create_issue(
        self, repository: str, *, title: str, body: str, labels: list[str]
    ) -> GitHubIssue:
        response = self.request(
            "POST",
            f"{self._repo(repository)}/issues",
            json={"title": redact(title), "body": redact(body), "labels": labels},
        )
        return cast(GitHubIssue, self._json(response))

    def update_issue(self, repository: str, number: int, **fields: object) -> GitHubIssue:
        payload = {k: redact(v) if isinstance(v, str) else v for k, v in fields.items()}
        response = self.request("PATCH", f"{self._repo(repository)}/issues/{number}", json=payload)
        return cast(GitHubIssue, self._json(response))

    def get_issue(self, repository: str, number: int) -> GitHubIssue:
        return cast(GitHubIssue, self.get_json(f"{self._repo(repository)}/issues/{number}"))

    def add_labels(self, repository: str, number: int, labels: list[str]) -> None:
        self.request(
            "POST", f"{self._repo(repository)}/issues/{number}/labels", json={"labels": labels}
        )

    def remove_label(self, repository: str, number: int, label: str) -> None:
        try:
            self.request(
                "DELETE", f"{self._repo(repository)}/issues/{number}/labels/{quote(label, safe='')}"
            )
        except GitHubError as exc:
            if exc.status != 404:  # already gone: the wanted end state
                raise
