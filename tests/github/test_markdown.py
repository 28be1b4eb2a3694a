"""Hostile offer content renders inert; long documents are cut only at safe boundaries."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from reconciler.markdown import (
    ZERO_WIDTH_SPACE,
    code_block,
    code_fence,
    escape_html,
    escape_markdown,
    inline_code,
    truncate_markdown,
)
from tests.support.unicode import default_ignorable

MD = MarkdownIt("commonmark").enable("table")
CONTROLS = {chr(c) for c in [*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)]}
MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9]")
HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "[click](https://evil.example)",
    "![pixel](https://evil.example/p.png)",
    "<https://evil.example>",
    "https://evil.example/path www.evil.example",
    "@octocat and @org/team please",
    "``` closing fence\n# heading\n- list",
    "| cell | break |",
    "&lt;entity&gt; &#x3C;b&#x3E;",
    "**bold** _em_ ~~strike~~ `code`",
    "#123 and owner/repo#7",
    "<!-- comment --> <details>",
    "line1\r\nline2\\",
]


def flatten(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for token in tokens:
        out.append(token)
        out.extend(flatten(token.children or []))
    return out


def text_of(tokens: list[Token]) -> str:
    return "".join(t.content for t in flatten(tokens) if t.type in ("text", "code_inline"))


def assert_inert(markdown: str) -> list[Token]:
    tokens = MD.parse(markdown)
    kinds = {t.type for t in flatten(tokens)}
    assert not kinds & {
        "html_inline",
        "html_block",
        "link_open",
        "image",
        "heading_open",
        "bullet_list_open",
        "em_open",
        "strong_open",
        "s_open",
    }, kinds
    texts = [t.content for t in flatten(tokens) if t.type == "text"]
    assert not any(MENTION.search(t) for t in texts)
    assert not any(re.search(r"https?://|www\.", t) for t in texts)
    assert not any(re.search(r"#\d", t) for t in texts)
    return tokens


def test_hostile_text_renders_inert_inline_and_in_table_cells() -> None:
    for text in HOSTILE:
        assert_inert(escape_markdown(text))
        table = f"| Offer | Notes |\n|---|---|\n| {escape_markdown(text)} | ok |\n"
        tokens = assert_inert(table)
        cells = [t for t in flatten(tokens) if t.type == "td_open"]
        assert len(cells) == 2, text  # the value stayed in its cell


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
@example("    0")  # four leading spaces: an indented code block where the text starts a line
def test_escaped_text_shows_exactly_the_input(text: str) -> None:
    tokens = assert_inert(escape_markdown(text))
    shown = text_of(tokens).replace(ZERO_WIDTH_SPACE, "")
    expected = re.sub(r"\r\n|[\r\n\t\u2028\u2029\x85]", " ", text)
    # control characters and every default-ignorable code point are shown as escapes
    hidden = set(default_ignorable())
    expected = "".join(f"<U+{ord(c):04X}>" if c in hidden or c in CONTROLS else c for c in expected)
    assert shown.strip() == expected.replace(ZERO_WIDTH_SPACE, "").strip()


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("`~ a\n"), max_size=40))
def test_a_code_block_cannot_be_closed_by_its_content(content: str) -> None:
    tokens = MD.parse(code_block(content, "diff") + "after\n")
    fences = [t for t in tokens if t.type == "fence"]
    assert len(fences) == 1
    expected = content if content.endswith("\n") or not content else content + "\n"
    assert fences[0].content == expected
    assert len(code_fence(content)) > max((len(r) for r in re.findall("`+", content)), default=0)


def test_inline_code_and_html_contexts() -> None:
    tokens = MD.parse(inline_code("a `` b"))
    assert [t.content for t in flatten(tokens) if t.type == "code_inline"] == ["a `` b"]
    summary = (
        f"<details><summary>{escape_html('<b>@admin</b> & co')}</summary>\n\nx\n\n</details>\n"
    )
    html = MD.render(summary)
    assert "<b>" not in html and "&lt;b&gt;" in html and "@" + ZERO_WIDTH_SPACE in html


def test_truncation_never_cuts_inside_a_fence_or_details() -> None:
    block = "<details><summary>o</summary>\n\n```diff\n" + "+ x\n" * 30 + "```\n\n</details>\n"
    doc = "# Plan\n\n| a |\n|---|\n| 1 |\n\n" + block * 40
    for limit in range(200, len(doc), 97):
        cut = truncate_markdown(doc, limit, "Plan truncated; full plan in the job summary")
        assert len(cut) <= limit
        head = cut[: cut.index("Plan truncated")]
        assert head.count("<details>") == head.count("</details>")
        assert head.count("```") % 2 == 0
    # One block larger than the budget: it is closed explicitly before the note.
    huge = "```\n" + "line\n" * 500 + "```\n"
    cut = truncate_markdown(huge, 300, "truncated")
    assert len(cut) <= 300 and MD.parse(cut)[-1].type == "paragraph_close"
    assert [t.type for t in MD.parse(cut)].count("fence") == 1
    assert truncate_markdown("short", 100, "note") == "short"
