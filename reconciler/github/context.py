"""What a workflow run knows about itself: the ``GITHUB_*`` environment and the event payload.

Read once, from an explicit mapping (``os.environ`` by default), so tests and subprocesses
describe a run with plain variables and a temp event file -- exactly what the runner does.
The token is kept out of ``repr`` and registered as a secret so it is redacted everywhere.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.errors import GitHubError
from reconciler.secrets import add_secret

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_SERVER_URL = "https://github.com"


@dataclass(frozen=True)
class ActionsContext:
    api_url: str = DEFAULT_API_URL
    server_url: str = DEFAULT_SERVER_URL
    repository: str = ""  # owner/name
    token: str | None = field(default=None, repr=False)
    event_name: str = ""
    event: Mapping[str, object] = field(default_factory=dict, repr=False)
    sha: str = ""
    ref: str = ""
    run_id: str = ""
    run_attempt: str = ""
    in_actions: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ActionsContext:
        env = os.environ if env is None else env
        token = env.get("GITHUB_TOKEN") or None
        add_secret(token)
        return cls(
            api_url=(env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
            server_url=(env.get("GITHUB_SERVER_URL") or DEFAULT_SERVER_URL).rstrip("/"),
            repository=env.get("GITHUB_REPOSITORY", ""),
            token=token,
            event_name=env.get("GITHUB_EVENT_NAME", ""),
            event=_read_event(env.get("GITHUB_EVENT_PATH")),
            sha=env.get("GITHUB_SHA", ""),
            ref=env.get("GITHUB_REF", ""),
            run_id=env.get("GITHUB_RUN_ID", ""),
            run_attempt=env.get("GITHUB_RUN_ATTEMPT", ""),
            in_actions=env.get("GITHUB_ACTIONS", "").lower() == "true",
        )

    @property
    def run_url(self) -> str | None:
        if not (self.repository and self.run_id):
            return None
        url = f"{self.server_url}/{self.repository}/actions/runs/{self.run_id}"
        if self.run_attempt and self.run_attempt != "1":
            url += f"/attempts/{self.run_attempt}"
        return url

    @property
    def pull_request(self) -> Mapping[str, object]:
        pr = self.event.get("pull_request")
        return pr if isinstance(pr, Mapping) else {}

    @property
    def pr_number(self) -> int | None:
        number = self.pull_request.get("number", self.event.get("number"))
        return number if isinstance(number, int) and not isinstance(number, bool) else None

    @property
    def head_sha(self) -> str:
        head = self.pull_request.get("head")
        if isinstance(head, Mapping) and isinstance(head.get("sha"), str):
            return str(head["sha"])
        return self.sha

    @property
    def base_ref(self) -> str | None:
        base = self.pull_request.get("base")
        if isinstance(base, Mapping) and isinstance(base.get("ref"), str):
            return str(base["ref"])
        return None

    @property
    def is_fork(self) -> bool:
        """A pull request from another repository: its token is read-only."""
        head = self.pull_request.get("head")
        if not isinstance(head, Mapping):
            return False
        head_repo = head.get("repo")
        repo = self.event.get("repository")
        head_name = head_repo.get("full_name") if isinstance(head_repo, Mapping) else None
        base_name = repo.get("full_name") if isinstance(repo, Mapping) else self.repository
        # A deleted fork has head.repo = null: treat it as a fork, it certainly is not ours.
        if head_name is None:
            return True
        return str(head_name).lower() != str(base_name or self.repository).lower()


def _read_event(path: str | None) -> Mapping[str, object]:
    if not path:
        return {}
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise GitHubError(f"cannot read the event payload {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise GitHubError(f"{path}: the event payload is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise GitHubError(f"{path}: the event payload is not a JSON object")
    return data
