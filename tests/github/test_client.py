"""The REST client's retry, paging and error rules (narrow unit tests on MockTransport)."""

from __future__ import annotations

import httpx
import pytest

from reconciler.errors import GitHubError
from reconciler.github.client import GitHubClient

TOKEN = "ghs_unit_test_token_abcdef"


def client(handler, sleeps: list[float] | None = None) -> GitHubClient:
    record = sleeps if sleeps is not None else []
    return GitHubClient(
        "https://api.example",
        TOKEN,
        transport=httpx.MockTransport(handler),
        sleep=record.append,
        clock=lambda: 1000.0,
    )


def test_5xx_on_get_is_retried_with_backoff() -> None:
    answers = iter(
        [httpx.Response(502), httpx.Response(503), httpx.Response(200, json=[{"id": 1}])]
    )
    sleeps: list[float] = []
    gh = client(lambda request: next(answers), sleeps)
    assert list(gh.paginate("repos/o/r/issues/1/comments")) == [{"id": 1}]
    assert sleeps == [1.0, 2.0]


def test_5xx_on_post_is_not_resent() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        return httpx.Response(500, json={"message": "oops"})

    with pytest.raises(GitHubError, match="HTTP 500: oops") as info:
        client(handler).create_issue_comment("o/r", 1, "body")
    assert calls == ["POST"] and info.value.status == 500


def test_secondary_rate_limit_waits_as_told_then_gives_up_beyond_the_cap() -> None:
    answers = iter(
        [
            httpx.Response(
                403,
                headers={"Retry-After": "3"},
                json={"message": "You have exceeded a secondary rate limit"},
            ),
            httpx.Response(201, json={"id": 5}),
        ]
    )
    sleeps: list[float] = []
    assert client(lambda r: next(answers), sleeps).create_issue_comment("o/r", 1, "b")["id"] == 5
    assert sleeps == [3.0]

    reset = httpx.Response(
        403,
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "4600"},
        json={"message": "API rate limit exceeded"},
    )
    sleeps = []
    with pytest.raises(GitHubError, match="rate limit"):
        client(lambda r: reset, sleeps).get_json("rate")
    assert sleeps == []  # an hour's wait is not worth blocking the job


def test_forbidden_names_the_missing_permission_and_hides_the_token() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        return httpx.Response(
            403,
            headers={"X-Accepted-GitHub-Permissions": "pull_requests=write"},
            json={"message": "Resource not accessible by integration"},
        )

    gh = client(handler)
    with pytest.raises(GitHubError) as info:
        gh.create_issue_comment("o/r", 1, f"body with {TOKEN}")
    assert "pull_requests=write" in str(info.value)
    assert TOKEN not in str(info.value) and TOKEN not in repr(gh)


def test_bodies_are_redacted_before_sending() -> None:
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.content)
        return httpx.Response(201, json={"id": 1})

    client(handler).create_issue_comment("o/r", 1, f"leak {TOKEN} and ?sig=abcdef123456")
    assert TOKEN.encode() not in seen[0] and b"abcdef123456" not in seen[0]


def test_pagination_does_not_follow_links_to_another_host() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json=[{"id": 1}], headers={"Link": '<https://evil.example/x?page=2>; rel="next"'}
        )

    with pytest.raises(GitHubError, match="another host"):
        list(client(handler).paginate("repos/o/r/issues"))


def test_network_failure_is_a_github_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    sleeps: list[float] = []
    with pytest.raises(GitHubError, match="cannot reach GitHub"):
        client(handler, sleeps).get_json("x")
    assert sleeps == [1.0, 2.0, 4.0]


def test_a_client_needs_a_token() -> None:
    with pytest.raises(GitHubError, match="GITHUB_TOKEN"):
        GitHubClient("https://api.example", "")
