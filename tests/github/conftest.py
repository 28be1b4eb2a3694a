"""Fixtures: the GitHub stand-in server and a runner that invokes ``reconciler github ...``
the way a workflow step does (GITHUB_* variables, an event file, summary and output files)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import cli
from reconciler.cli.common import run
from reconciler.github.plan_outputs import bind
from tests.support.github_server import GitHubServer

REPO = "octo/offers"
RUN_ID = "4242"
CHECKSUM = "sha256:" + "0" * 64


def pr_event(number: int, *, head_repo: str = REPO, sha: str = "a" * 40) -> dict[str, Any]:
    return {
        "action": "synchronize",
        "number": number,
        "pull_request": {
            "number": number,
            "head": {"sha": sha, "ref": "feature", "repo": {"full_name": head_repo}},
            "base": {"ref": "main", "repo": {"full_name": REPO}},
        },
        "repository": {"full_name": REPO},
    }


def push_event(sha: str) -> dict[str, Any]:
    return {"ref": "refs/heads/main", "after": sha, "repository": {"full_name": REPO}}


@dataclass
class Result:
    code: int
    out: str
    err: str


@dataclass
class Workflow:
    """One workflow job: its environment and files, and a way to run a step in it."""

    tmp: Path
    server: GitHubServer
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]

    @property
    def summary_path(self) -> Path:
        return self.tmp / "step_summary.md"

    @property
    def output_path(self) -> Path:
        return self.tmp / "github_output"

    def summary(self) -> str:
        return self.summary_path.read_text(encoding="utf-8") if self.summary_path.exists() else ""

    def write(self, name: str, text: str) -> Path:
        """A file outside the checkout (the runner's temporary folder)."""
        path = self.tmp / name
        path.write_text(text, encoding="utf-8")
        return path

    def plan_md(self, text: str, checksum: str = CHECKSUM) -> Path:
        """plan.md as `reconciler plan --markdown-out` writes it in this job's run."""
        return self.write("plan.md", bind(text, checksum, {"GITHUB_RUN_ID": RUN_ID}))

    def plan_json(self, summary: dict[str, Any], checksum: str = CHECKSUM) -> Path:
        """The summary of the plan that plan.md shows (its checksum)."""
        return self.write("plan.json", json.dumps({"checksum": checksum, **summary}))

    def env(
        self, event: dict[str, Any], event_name: str, sha: str, token: bool = True
    ) -> dict[str, str]:
        event_path = self.tmp / "event.json"
        event_path.write_text(json.dumps(event), encoding="utf-8")
        env = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_API_URL": self.server.url,
            "GITHUB_SERVER_URL": "https://github.example",
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_RUN_ID": RUN_ID,
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_SHA": sha,
            "GITHUB_STEP_SUMMARY": str(self.summary_path),
            "GITHUB_OUTPUT": str(self.output_path),
        }
        if token:
            env["GITHUB_TOKEN"] = self.server.token
        return env

    def run(
        self,
        *args: str,
        event: dict[str, Any],
        event_name: str = "pull_request",
        sha: str = "b" * 40,
        token: bool = True,
    ) -> Result:
        for key, value in self.env(event, event_name, sha, token).items():
            self.monkeypatch.setenv(key, value)
        if not token:
            self.monkeypatch.delenv("GITHUB_TOKEN", raising=False)
        self.capsys.readouterr()
        code = run(cli, list(args))
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)


@pytest.fixture
def server() -> Iterator[GitHubServer]:
    with GitHubServer(repository=REPO, page_size=2) as gh:
        yield gh


@pytest.fixture
def workflow(
    tmp_path: Path,
    server: GitHubServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Workflow:
    # No settings file around: defaults, as in a fresh offers repository. The job's files
    # (plan.md, plan.json, the summary) lie beside the checkout, not in it.
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    monkeypatch.chdir(checkout)
    for key in ("RECONCILER_ENVIRONMENT", "RECONCILER_GITHUB_AUTHOR", "GITHUB_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    return Workflow(tmp_path, server, monkeypatch, capsys)
