"""Offer text cannot forge our markers, mention people, link, or hide itself (bidi)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import cmarkgfm
import pytest

from reconciler.github.markers import decode_meta, encode_meta
from reconciler.markdown import (
    ZERO_WIDTH_SPACE,
    code_block,
    escape_html,
    escape_markdown,
    visible,
)
from reconciler.render.view import block_label
from tests.support.unicode import default_ignorable

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
    hostile_project: Path, reconciler: Cli, tmp_path_factory: pytest.TempPathFactory
) -> None:
    out = tmp_path_factory.mktemp("runner-temp")  # outside the checkout, as in the workflow
    code, _, err = reconciler(
        "plan", "--emulator", "--out", str(out / "plan.json"),
        "--markdown-out", str(out / "plan.md"),
    )  # fmt: skip
    assert code == 0, err
    plan_md = (out / "plan.md").read_text()
    code, body, err = reconciler(
        "github", "comment-plan", "--body-file", str(out / "plan.md"),
        "--summary-json", str(out / "plan.json"), "--dry-run",
    )  # fmt: skip
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


def test_every_default_ignorable_code_point_and_gh_references_are_inert(
    hostile_project: Path, reconciler: Cli, tmp_path_factory: pytest.TempPathFactory
) -> None:
    hidden = default_ignorable()
    path = hostile_project / "offers" / "hostile.yaml"
    # Written as the characters themselves (the plan shows a new file's own lines).
    text = path.read_text().replace(f'"{HOSTILE}"', f'"Litware GH-1 gh-22 {"".join(hidden)}"')
    path.write_text(text)
    out = tmp_path_factory.mktemp("runner-temp")
    code, _, err = reconciler(
        "plan", "--emulator", "--out", str(out / "plan.json"),
        "--markdown-out", str(out / "plan.md"),
    )  # fmt: skip
    assert code == 0, err
    code, body, err = reconciler(
        "github", "comment-plan", "--body-file", str(out / "plan.md"),
        "--summary-json", str(out / "plan.json"), "--dry-run",
    )  # fmt: skip
    assert code == 0, err
    # Raw HTML kept (<details>, <summary>): GitHub renders them, so the check sees them too.
    html = cmarkgfm.github_flavored_markdown_to_html(
        body, options=cmarkgfm.Options.CMARK_OPT_UNSAFE
    )
    assert "Litware" in html
    flat = re.sub(r"\n\+\s+", "", html)  # the diff wraps a long value over several lines
    shown = [c for c in hidden if f"&lt;U+{ord(c):04X}&gt;" in flat]
    assert len(shown) > 1000  # (a long diff is cut; the full plan has the rest)
    for char in hidden:
        # None is left raw; only the zero-width spaces the escaping adds remain.
        if char != ZERO_WIDTH_SPACE:
            assert char not in html, hex(ord(char))
    # GitHub links GH-1 to issue 1 outside code; there a zero-width space breaks it.
    prose = re.sub(r"<[^>]*>", "", re.sub(r"<pre.*?</pre>|<code>.*?</code>", "", html, flags=re.S))
    assert not re.search(r"(?i)\bgh-\d", prose)


@pytest.mark.parametrize("render", ["inline", "code", "html"])
def test_each_default_ignorable_code_point_renders_as_its_escape(render: str) -> None:
    for char in default_ignorable():
        text = f"a{char}b GH-1"
        if render == "inline":
            markdown = escape_markdown(text)
        elif render == "code":
            markdown = code_block(visible(text))
        else:
            markdown = f"<details><summary>{escape_html(text)}</summary>\n\nx\n</details>"
        html = cmarkgfm.github_flavored_markdown_to_html(
            markdown, options=cmarkgfm.Options.CMARK_OPT_UNSAFE
        )
        assert f"a&lt;U+{ord(char):04X}&gt;b" in html, hex(ord(char))
        assert char not in html.replace(ZERO_WIDTH_SPACE + "-1", "")
        if render != "code":  # GitHub links GH-1 only outside code
            assert not re.search(r"(?i)\bgh-\d", html)


def test_the_text_plan_shows_a_label_on_one_line() -> None:
    # A product or plan name read from the catalogue, with line breaks and a tab in it.
    key = "product/34771906-9711-4196-9f60-4af380fd5042/plan/123456"
    label, ref = block_label(key, {key: "Standard\n+ name: forged line\r\tx\x1b[31m"})
    assert "\n" not in label and "\r" not in label and "\t" not in label and "\x1b" not in label
    assert label == "Standard<U+000A>+ name: forged line<U+000D><U+0009>x<U+001B>[31m"
    assert ref is not None and "\n" not in ref
