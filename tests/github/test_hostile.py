"""Hostile offer content posted through the real command renders inert on the pull request."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from markdown_it import MarkdownIt

from reconciler.markdown import code_block, escape_markdown
from tests.github.conftest import Workflow, pr_event
from tests.github.test_markdown import HOSTILE, MENTION, flatten

MD = MarkdownIt("commonmark").enable("table")
# The HTML and links the comment itself adds (never built from offer content).
OWN_HTML = re.compile(
    r"^(<!-- reconciler:[^>]*-->|</?sub>|<details><summary>Previous runs</summary>|</details>)\s*$"
)


def hostile_plan() -> str:
    rows = "".join(f"| {escape_markdown(text)} | update |\n" for text in HOSTILE)
    diff = "".join(f"~ notes: {text}\n" for text in HOSTILE)
    return (
        "## Offers plan\n\n| Offer | Action |\n|---|---|\n" + rows + "\n" + code_block(diff, "diff")
    )


def test_a_hostile_plan_comment_renders_inert(workflow: Workflow) -> None:
    pr = workflow.server.add_pull(21)
    body = workflow.plan_md(hostile_plan())
    assert (
        workflow.run("github", "comment-plan", "--body-file", str(body), event=pr_event(pr)).code
        == 0
    )
    posted = workflow.server.comments_on(pr)[0]["body"]
    tokens = flatten(MD.parse(posted))
    for token in tokens:
        if token.type in ("html_inline", "html_block"):
            for line in token.content.strip().splitlines():
                assert OWN_HTML.match(line.strip()), line
        assert token.type != "image"
        if token.type == "link_open":
            assert token.attrs["href"] == "https://github.example/octo/offers/actions/runs/4242"
        if token.type == "text":
            assert not MENTION.search(token.content), token.content
    assert "<img src=x onerror=alert(1)>" in "".join(t.content for t in tokens if t.type == "text")


def test_the_command_line_entry_point_works_as_in_a_workflow(workflow: Workflow) -> None:
    """One real subprocess, exactly as a workflow step runs it."""
    pr = workflow.server.add_pull(22)
    body = workflow.plan_md("## Offers plan\n\n1 to create\n")
    env = {**os.environ, **workflow.env(pr_event(pr), "pull_request", "b" * 40)}
    env.pop("RECONCILER_ENVIRONMENT", None)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "reconciler",
            "-vv",
            "github",
            "comment-plan",
            "--body-file",
            str(body),
        ],
        env=env,
        cwd=workflow.tmp,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert len(workflow.server.comments_on(pr)) == 1
    assert workflow.server.token not in result.stdout + result.stderr
