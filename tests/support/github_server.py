"""A local stand-in for the GitHub REST API endpoints the reconciler uses, over real HTTP.

Run it as a context manager; point ``GITHUB_API_URL`` at :attr:`GitHubServer.url` and
``GITHUB_TOKEN`` at :attr:`GitHubServer.token`::

    with GitHubServer(page_size=2) as gh:
        gh.add_pull(7, head_repo="octo/offers", merge_commit_sha="abc")
        ... run `reconciler github ...` with the env ...
        assert len(gh.comments_on(7)) == 1

Implemented (one repository, :attr:`repository`):

* ``GET /user`` -> 403, like ``GITHUB_TOKEN``;
* ``GET|POST /repos/{o}/{r}/issues/{n}/comments`` (list paginated with ``Link`` headers),
  ``PATCH /repos/{o}/{r}/issues/comments/{id}``;
* ``GET /repos/{o}/{r}/commits/{sha}/pulls``;
* ``GET /repos/{o}/{r}/issues`` (``labels`` all-of filter, ``state`` open|closed|all, sorted by
  update time, newest first; pull requests are listed too, with a ``pull_request`` key, as
  GitHub does), ``POST /repos/{o}/{r}/issues``, ``GET|PATCH /repos/{o}/{r}/issues/{n}``.

Every request needs ``Authorization: Bearer <token>`` (401 otherwise) and is recorded in
:attr:`requests` (method, path, query, headers, JSON body). Bodies over 65,536 characters
get 422 like GitHub. Failures are injected with :meth:`fail` (status, method, path regex,
count, headers); :attr:`read_only` answers every write with 403 like a fork's token.

Job tokens, as GitHub mints them for a workflow run: :meth:`mint_token` gives a token limited
to a job's ``permissions:`` (403 "Resource not accessible by integration" beyond them);
:meth:`mint_oidc` gives the ``ACTIONS_ID_TOKEN_REQUEST_TOKEN`` for ``GET /_oidc/token``
(``ACTIONS_ID_TOKEN_REQUEST_URL``), recorded in :attr:`oidc_issued`;
``GET /repos/{o}/{r}/environments/{name}`` answers from :attr:`environments`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.support import github_git, github_tokens

BOT = "github-actions[bot]"
BODY_LIMIT = 65_536


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any


@dataclass
class Fault:
    status: int
    method: str
    path: re.Pattern[str]
    remaining: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)


class GitHubServer:
    def __init__(
        self,
        *,
        repository: str = "octo/offers",
        token: str = "ghs_standin_token_0123456789",
        page_size: int = 100,
        actor: str = BOT,
    ) -> None:
        self.repository = repository
        self.token = token
        self.page_size = page_size
        self.actor = actor  # the login that owns what this token creates
        self.read_only = False
        self.requests: list[Recorded] = []
        self.issues: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, dict[str, Any]] = {}
        self.commit_pulls: dict[str, list[int]] = {}
        self._faults: list[Fault] = []
        self.scoped: dict[str, dict[str, str]] = {}  # job token -> its permissions
        self.oidc_requests: dict[str, dict[str, Any]] = {}  # request token -> claims
        self.oidc_issued: list[dict[str, Any]] = []  # claims of every OIDC token handed out
        self.environments: dict[str, dict[str, Any]] = {}
        self.git = github_git.GitStore()  # blobs, trees, commits and refs (the Git data API)
        self._lock = threading.Lock()
        self._next_number = 1
        self._next_comment = 1000
        self._clock = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> GitHubServer:
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()

    # -- fixtures -----------------------------------------------------------------------------

    def _tick(self) -> str:
        self._clock += 1
        return f"2025-01-01T00:{self._clock // 60:02d}:{self._clock % 60:02d}Z"

    def add_pull(
        self,
        number: int | None = None,
        *,
        head_repo: str | None = None,
        merge_commit_sha: str | None = None,
        merged: bool = False,
        title: str = "Update offers",
    ) -> int:
        with self._lock:
            if number is None:
                number = self._next_number
            self._next_number = max(self._next_number, number + 1)
            self.issues[number] = {
                "number": number,
                "title": title,
                "body": "",
                "state": "closed" if merged else "open",
                "labels": [],
                "user": {"login": "octocat"},
                "pull_request": {"url": f"/repos/{self.repository}/pulls/{number}"},
                "updated_at": self._tick(),
                "_pr": {
                    "number": number,
                    "merge_commit_sha": merge_commit_sha,
                    "merged_at": "2025-01-01T00:00:00Z" if merged else None,
                    "head": {"repo": {"full_name": head_repo or self.repository}},
                    "base": {"ref": "main", "repo": {"full_name": self.repository}},
                },
            }
            if merge_commit_sha:
                self.commit_pulls.setdefault(merge_commit_sha, []).append(number)
            return number

    def mint_token(self, permissions: dict[str, str]) -> str:
        """A job's GITHUB_TOKEN: it may do what *permissions* grant and nothing more."""
        with self._lock:
            token = f"ghs_job_{len(self.scoped) + 1:04d}_{'x' * 20}"
            self.scoped[token] = dict(permissions)
            return token

    def mint_oidc(self, claims: dict[str, Any]) -> str:
        """A job's ACTIONS_ID_TOKEN_REQUEST_TOKEN; its OIDC tokens carry *claims*."""
        with self._lock:
            token = f"oidc_request_{len(self.oidc_requests) + 1:04d}"
            self.oidc_requests[token] = dict(claims)
            return token

    def add_environment(
        self,
        name: str,
        *,
        reviewers: list[str] | None = None,
        prevent_self_review: bool = True,
        admins_bypass: bool = False,
    ) -> None:
        """An environment as GET /repos/{o}/{r}/environments/{name} shows it."""
        rules: list[dict[str, Any]] = [{"type": "branch_policy"}]
        if reviewers:
            users = [{"type": "User", "reviewer": {"login": r}} for r in reviewers]
            rules.append(
                {
                    "type": "required_reviewers",
                    "prevent_self_review": prevent_self_review,
                    "reviewers": users,
                }
            )
        self.environments[name] = {
            "name": name,
            "can_admins_bypass": admins_bypass,
            "protection_rules": rules,
        }

    def add_comment(self, number: int, body: str, *, login: str) -> int:
        with self._lock:
            return self._create_comment(number, body, login)["id"]

    def fail(
        self,
        status: int,
        *,
        method: str = "*",
        path: str = ".*",
        count: int = 1,
        headers: dict[str, str] | None = None,
        message: str = "injected failure",
    ) -> None:
        """Answer the next *count* matching requests with *status*."""
        with self._lock:
            self._faults.append(
                Fault(
                    status,
                    method.upper(),
                    re.compile(path),
                    count,
                    headers or {},
                    {"message": message},
                )
            )

    # -- views ----------------------------------------------------------------------------------

    def comments_on(self, number: int) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(c) for c in self.comments.values() if c["_issue"] == number]

    def real_issues(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(i) for i in self.issues.values() if "pull_request" not in i]

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method in ("POST", "PATCH", "PUT", "DELETE")]

    def sent_text(self) -> Iterator[str]:
        """Every string GitHub received in a request body (for leak checks)."""
        for request in self.requests:
            if request.json is not None:
                yield json.dumps(request.json)

    # -- state changes (under the lock) ----------------------------------------------------

    def _create_comment(self, number: int, body: str, login: str) -> dict[str, Any]:
        comment_id = self._next_comment
        self._next_comment += 1
        comment = {
            "id": comment_id,
            "body": body,
            "user": {"login": login, "type": "Bot" if login.endswith("[bot]") else "User"},
            "html_url": f"https://github.example/{self.repository}/issues/{number}#issuecomment-{comment_id}",
            "created_at": self._tick(),
            "_issue": number,
        }
        comment["updated_at"] = comment["created_at"]
        self.comments[comment_id] = comment
        return comment


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if not k.startswith("_")}


def _make_handler(server: GitHubServer) -> type[BaseHTTPRequestHandler]:
    repo_prefix = f"/repos/{server.repository}"

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = b"" if status == 204 else json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _page(self, items: list[dict[str, Any]], path: str, query: dict[str, str]) -> None:
            per_page = min(int(query.get("per_page", "30")), server.page_size)
            page = int(query.get("page", "1"))
            start = (page - 1) * per_page
            chunk = items[start : start + per_page]
            headers = {}
            if start + per_page < len(items):
                following = dict(query, page=str(page + 1), per_page=str(per_page))
                qs = "&".join(f"{k}={v}" for k, v in following.items())
                headers["Link"] = f'<{server.url}{path}?{qs}>; rel="next"'
            self._send(200, [_public(i) for i in chunk], headers)

        def _handle(self, method: str) -> None:
            parts = urlsplit(self.path)
            path = parts.path
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                self._send(400, {"message": "Problems parsing JSON"})
                return
            with server._lock:
                server.requests.append(
                    Recorded(
                        method, path, query, {k.lower(): v for k, v in self.headers.items()}, body
                    )
                )
                auth = self.headers.get("Authorization", "").removeprefix("Bearer ")
                if path == "/_oidc/token":
                    self._send(*github_tokens.answer_oidc(server, auth, query))
                    return
                if auth != server.token and auth not in server.scoped:
                    self._send(401, {"message": "Bad credentials"})
                    return
                for fault in server._faults:
                    if (
                        fault.remaining > 0
                        and fault.method in ("*", method)
                        and fault.path.search(path)
                    ):
                        fault.remaining -= 1
                        self._send(fault.status, fault.body, fault.headers)
                        return
                if server.read_only and method != "GET":
                    self._send(
                        403,
                        {"message": "Resource not accessible by integration"},
                        {"X-Accepted-GitHub-Permissions": "issues=write; pull_requests=write"},
                    )
                    return
                if github_tokens.denied(server, auth, method, path):
                    self._send(403, {"message": "Resource not accessible by integration"})
                    return
                text = body.get("body") if isinstance(body, dict) else None
                if isinstance(text, str) and len(text) > BODY_LIMIT:
                    self._send(
                        422,
                        {
                            "message": "Validation Failed",
                            "errors": [{"message": "Body is too long"}],
                        },
                    )
                    return
                self._route(method, path, query, body if isinstance(body, dict) else {})

        def _route(
            self, method: str, path: str, query: dict[str, str], body: dict[str, Any]
        ) -> None:
            if path == "/user":
                self._send(403, {"message": "Resource not accessible by integration"})
                return
            if not path.startswith(repo_prefix + "/"):
                self._send(404, {"message": "Not Found"})
                return
            rest = path[len(repo_prefix) :]
            if (
                git := github_git.answer(server.git, method, rest, body, server.url + repo_prefix)
            ) is not None:
                self._send(*git)
                return
            if m := re.fullmatch(r"/environments/([^/]+)", rest):
                environment = server.environments.get(unquote(m.group(1)))
                if environment is None:
                    self._send(404, {"message": "Not Found"})
                else:
                    self._send(200, environment)
                return
            if m := re.fullmatch(r"/issues/(\d+)/comments", rest):
                number = int(m.group(1))
                if number not in server.issues:
                    self._send(404, {"message": "Not Found"})
                elif method == "GET":
                    items = sorted(
                        (c for c in server.comments.values() if c["_issue"] == number),
                        key=lambda c: c["id"],
                    )
                    self._page(items, path, query)
                elif method == "POST":
                    self._send(
                        201,
                        _public(
                            server._create_comment(number, str(body.get("body", "")), server.actor)
                        ),
                    )
                else:
                    self._send(405, {"message": "Method not allowed"})
                return
            if m := re.fullmatch(r"/issues/comments/(\d+)", rest):
                comment = server.comments.get(int(m.group(1)))
                if comment is None:
                    self._send(404, {"message": "Not Found"})
                elif method == "PATCH":
                    if comment["user"]["login"] != server.actor:
                        self._send(403, {"message": "Must have admin rights to Repository."})
                        return
                    comment["body"] = str(body.get("body", ""))
                    comment["updated_at"] = server._tick()
                    self._send(200, _public(comment))
                else:
                    self._send(200, _public(comment))
                return
            if m := re.fullmatch(r"/commits/([0-9a-fA-F]+)/pulls", rest):
                numbers = server.commit_pulls.get(m.group(1), [])
                self._page([server.issues[n]["_pr"] for n in numbers], path, query)
                return
            if rest == "/issues":
                if method == "GET":
                    state = query.get("state", "open")
                    wanted = [x for x in query.get("labels", "").split(",") if x]
                    items = [
                        i
                        for i in server.issues.values()
                        if (state == "all" or i["state"] == state)
                        and all(w in [lab["name"] for lab in i["labels"]] for w in wanted)
                    ]
                    items.sort(key=lambda i: i["updated_at"], reverse=True)
                    self._page(items, path, query)
                elif method == "POST":
                    number = server._next_number
                    server._next_number += 1
                    issue = {
                        "number": number,
                        "title": str(body.get("title", "")),
                        "body": str(body.get("body", "")),
                        "state": "open",
                        "state_reason": None,
                        "labels": [{"name": str(n)} for n in body.get("labels", [])],
                        "user": {"login": server.actor},
                        "html_url": f"https://github.example/{server.repository}/issues/{number}",
                        "updated_at": server._tick(),
                    }
                    server.issues[number] = issue
                    self._send(201, _public(issue))
                else:
                    self._send(405, {"message": "Method not allowed"})
                return
            if m := re.fullmatch(r"/issues/(\d+)/labels(?:/([^/]+))?", rest):
                issue = server.issues.get(int(m.group(1)))
                if issue is None:
                    self._send(404, {"message": "Not Found"})
                    return
                names = [lab["name"] for lab in issue["labels"]]
                if method == "POST" and m.group(2) is None:
                    for name in body.get("labels", []):
                        if str(name) not in names:
                            issue["labels"].append({"name": str(name)})
                    self._send(200, issue["labels"])
                elif method == "DELETE" and m.group(2) is not None:
                    name = unquote(m.group(2))
                    if name not in names:
                        self._send(404, {"message": "Label does not exist"})
                        return
                    issue["labels"] = [lab for lab in issue["labels"] if lab["name"] != name]
                    self._send(200, issue["labels"])
                else:
                    self._send(405, {"message": "Method not allowed"})
                return
            if m := re.fullmatch(r"/issues/(\d+)", rest):
                issue = server.issues.get(int(m.group(1)))
                if issue is None:
                    self._send(404, {"message": "Not Found"})
                    return
                if method == "PATCH":
                    for key in ("title", "body", "state", "state_reason"):
                        if key in body:
                            issue[key] = body[key]
                    if "labels" in body:
                        issue["labels"] = [{"name": str(n)} for n in body["labels"]]
                    issue["updated_at"] = server._tick()
                self._send(200, _public(issue))
                return
            self._send(404, {"message": "Not Found"})

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

    return Handler
