"""Hostile offer content, from the offer file to the pull request, renders inert.

Offer names and beneficiary descriptions carry HTML, markdown links and images, autolinks,
@-mentions, issue references and table breakers. They go through the real pipeline: files ->
planner (against the emulator) -> markdown plan -> ``reconciler github comment-plan``; then
apply (one job fails, so errors are rendered too) -> apply markdown -> ``reconciler github
report-apply``. Every body the GitHub stand-in received is parsed with markdown-it-py: no HTML
token from user content, no link or image except the tool's own run link, no @mention
outside code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from reconciler.cli import cli
from reconciler.cli.common import run
from reconciler.render import render_markdown as render_plan_markdown
from reconciler.report.summary import render_markdown as render_apply_markdown
from tests.reliability.support import EXAMPLES, apply, emulator, fast_settings, plan_for, publisher
from tests.support.github_server import GitHubServer

MD = MarkdownIt("commonmark").enable("table").enable("strikethrough")
MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9]")
OWN_LINKS = (
    "https://github.example/octo/offers/actions/runs/91",
    "https://github.example/octo/offers/issues/9#issuecomment-",
)
# The only HTML the tool itself writes (markers, folding), never built from offer content.
OWN_HTML = re.compile(
    r"^(<!-- reconciler:[^>]*-->|</?sub>|</?details>|<details( open)?><summary>[^<>]*</summary>|"
    r"</?summary>|<br>)$"
)

# Offer names may not hold ! < > ^ [ ] @ # % / ~ (the API forbids them; validation says so),
# but everything else markdown reacts to is allowed.
HOSTILE_NAMES = [
    "**bold** _em_ `code` Deal",
    "| broken | table | Deal",
    "Deal &lt;img src=x onerror=alert(1)&gt; &amp;",
    "javascript:alert(1) Deal",
    "www.evil.example Deal",
    "Deal * item + item - item",
    "Deal $$x$$ \\ backslash \\",
    "Deal 1. list) (x)",
]
# Free text elsewhere in a file has no such limit.
HOSTILE_DESCRIPTIONS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "[click me](https://evil.example)",
    "![x](https://evil.example/p.png)",
    "@octocat @org/team please approve",
    "Fixes #1 see https://evil.example www.evil.example",
    "<details open><summary>x</summary>",
    "Deal\u202eevil\u200b [a]: https://evil.example",
]


def flatten(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for token in tokens:
        out.append(token)
        if token.children:
            out.extend(flatten(token.children))
    return out


def assert_inert(body: str) -> None:
    tokens = flatten(MD.parse(body))
    for token in tokens:
        if token.type in ("html_inline", "html_block"):
            for line in token.content.strip().splitlines():
                assert OWN_HTML.match(line.strip()), f"HTML from content: {line!r}"
        assert token.type != "image", token
        if token.type == "link_open":
            # Only the tool's own links: its run, and its comments on the same repository.
            assert str(token.attrs["href"]).startswith(OWN_LINKS), token.attrs
        if token.type == "text":
            assert not MENTION.search(token.content), token.content
            assert (
                "evil.example" not in token.content
                or "\u200b" in token.content
                or (not re.search(r"https?://evil|www\.evil", token.content))
            ), token.content


def _write_offers(root: Path) -> Path:
    offers = root / "offers"
    offers.mkdir()
    template = (EXAMPLES / "customer-percentage.yaml").read_text()
    for i, name in enumerate(HOSTILE_NAMES):
        text = template.replace("state: live", "state: draft")
        named = "name: " + json.dumps(name)
        described = "    description: " + json.dumps(HOSTILE_DESCRIPTIONS[i])
        # re.sub would read escapes in a replacement string: replace line by line instead.
        lines = text.splitlines()
        lines = [named if ln.startswith("name: ") else ln for ln in lines]
        lines = [described if ln.startswith("    description: ") else ln for ln in lines]
        text = "\n".join(lines) + "\n"
        if i == 0:  # its job fails: error messages (which quote the offer) are rendered too
            # (an unknown product: an unknown plan of a known product is refused at plan time)
            text = text.replace(
                "product/34771906-9711-4196-9f60-4af380fd5042",
                "product/00000000-0000-4000-8000-000000000999",
            )
        (offers / f"hostile-{i}.yaml").write_text(text)
    return offers


def _github(monkeypatch: pytest.MonkeyPatch, root: Path, server: GitHubServer, pr: bool) -> None:
    event = root / "event.json"
    payload: dict[str, Any] = (
        {
            "number": 9,
            "pull_request": {
                "number": 9,
                "head": {"sha": "e" * 40, "repo": {"full_name": "octo/offers"}},
            },
        }
        if pr
        else {"after": "f" * 40}
    )
    payload["repository"] = {"full_name": "octo/offers"}
    event.write_text(json.dumps(payload))
    for key, value in {
        "GITHUB_ACTIONS": "true", "GITHUB_API_URL": server.url, "GITHUB_TOKEN": server.token,
        "GITHUB_SERVER_URL": "https://github.example", "GITHUB_REPOSITORY": "octo/offers",
        "GITHUB_RUN_ID": "91", "GITHUB_EVENT_NAME": "pull_request" if pr else "push",
        "GITHUB_EVENT_PATH": str(event), "GITHUB_SHA": "f" * 40,
        "GITHUB_STEP_SUMMARY": str(root / "summary.md"), "GITHUB_OUTPUT": str(root / "out"),
    }.items():  # fmt: skip
        monkeypatch.setenv(key, value)


@pytest.mark.timeout(120)
def test_hostile_offer_content_is_inert_in_plan_and_apply_comments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RECONCILER_GITHUB_AUTHOR", raising=False)
    offers = _write_offers(tmp_path)
    settings = fast_settings(tmp_path)
    with (
        emulator() as emu,
        publisher(emu, settings) as client,
        GitHubServer(repository="octo/offers") as server,
    ):
        plan = plan_for(client, settings, offers)
        assert plan.summary()["create"] == len(HOSTILE_NAMES)
        (tmp_path / "plan.md").write_text(render_plan_markdown(plan))
        (tmp_path / "plan.json").write_text(plan.to_json())
        server.add_pull(9, merge_commit_sha="f" * 40, merged=True)
        _github(monkeypatch, tmp_path, server, pr=True)
        code = run(cli, ["github", "comment-plan", "--body-file", "plan.md",
                         "--summary-json", "plan.json"])  # fmt: skip
        assert code == 0

        result = apply(plan, client, settings)
        assert result.exit_code == 5  # one job failed: its errors are in the report
        (tmp_path / "apply.md").write_text(render_apply_markdown(result))
        _github(monkeypatch, tmp_path, server, pr=False)
        code = run(cli, ["github", "report-apply", "--body-file", "apply.md", "--exit-code", "5"])
        assert code == 0

        bodies = [r.json["body"] for r in server.requests if r.json and "body" in r.json]
        assert len(bodies) >= 3  # plan comment, apply comment, sticky comment rewritten
        for body in bodies:
            assert_inert(body)
        # The names are all there, shown as text (escaped, not dropped).
        rendered = "".join(
            t.content for b in bodies for t in flatten(MD.parse(b)) if t.type == "text"
        )
        assert "**bold** _em_ `code` Deal" in rendered
        summary = tmp_path / "summary.md"
        if summary.exists():
            assert_inert(summary.read_text())
