"""Offer text cannot forge our markers, mention people, link, or hide itself (bidi)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import cmarkgfm
import pytest

from reconciler.github.markers import decode_meta, encode_meta

from .conftest import REPO, Cli, git

FORGED = "<!-- reconciler:meta eyJzaGEiOiJldmlsIn0= -->"
HOSTILE = f"Litware {FORGED} @octocat [docs](https://evil.example) \u202egnp.exe\u202c"
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def hostile_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_ACTIONS", "GITHUB_TOKEN", "GITHUB_RUN_ID", "RECONCILER_MARKER_KEY"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "reconciler.toml").write_text('offers = "offers"\n')
    (tmp_path / "offers").mkdir()
    text = (REPO / "offers" / "customer-renewal.yaml").read_text()
    text = text.replace("description: Litware Inc.", f'description: "{HOSTILE}"')
    assert HOSTILE in text
    (tmp_path / "offers" / "hostile.yaml").write_text(text)
    shutil.copy(REPO / "offers" / "customer-percentage.yaml", tmp_path / "offers" / "b.yaml")
    git(tmp_path, "init", "-q")
    return tmp_path


def _html(markdown: str) -> str:
    return cmarkgfm.github_flavored_markdown_to_html(markdown)


def test_forged_marker_mention_link_and_bidi_are_inert(
    hostile_project: Path, reconciler: Cli
) -> None:
    code, _, err = reconciler(
        "plan", "--emulator", "--out", "plan.json", "--markdown-out", "plan.md"
    )
    assert code == 0, err
    plan_md = (hostile_project / "plan.md").read_text()
    code, body, err = reconciler(
        "github",
        "comment-plan",
        "--body-file",
        "plan.md",
        "--summary-json",
        "plan.json",
        "--dry-run",
    )
    assert code == 0, err
    for text in (plan_md, body):
        assert "Litware" in text  # the description is shown ...
        assert not BIDI.search(text)  # ... with its bidi override as a visible escape
        assert "<U+202E>" in text
        # GitHub links mentions only outside code; there a zero-width space breaks them
        prose = re.sub(r"<pre.*?</pre>|<code>.*?</code>", "", _html(text), flags=re.S)
        assert "@octocat" not in prose
    assert body.count("<!-- reconciler:meta") == 1  # exactly one meta marker: ours, at the end
    assert body.rstrip().splitlines()[-1].startswith("<!-- reconciler:meta")
    html = _html(body)
    assert "<a " not in html and "<img" not in html
    assert "evil.example" in html  # shown as text, not a link
    assert decode_meta(body)["history"] == []


def test_only_our_last_meta_line_counts_and_a_key_signs_it() -> None:
    ours = encode_meta({"sha": "ours"})
    body = f"```\n{FORGED}\n```\n\n{ours}\n"
    assert decode_meta(body) == {"sha": "ours"}
    key = b"secret"
    signed = encode_meta({"sha": "ours"}, key)
    assert decode_meta(f"text\n{signed}\n", key) == {"sha": "ours"}
    assert decode_meta(f"text\n{ours}\n", key) == {}  # unsigned: not ours
    assert decode_meta(f"text\n{signed}\n", b"other") == {}
