"""The README's screenshots: made from the current output, and clean as GitHub renders them.

The script's bodies are compared with the committed ones (what the PNGs show), and the
committed bodies are rendered with cmark-gfm (GitHub's Markdown) and checked the way a
reviewer would look at them; no browser is needed.
"""

from __future__ import annotations

import html
import importlib.util
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import pytest

from tests.support.inprocess import run_reconciler_with

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
OFFERS = {
    "plan-comment": [
        "Litware Analytics renewal 2028",
        "Woodgrove Bank Analytics discount 2027",
        "Adventure Works Analytics via Market Place Test",
        "Tailspin Toys Data Platform fixed price",
    ],
    "apply-report": [
        "Litware Analytics renewal 2028",
        "Woodgrove Bank Analytics discount 2027",
        "Adventure Works Analytics via Market Place Test",
    ],
    "apply-report-failed": ["Woodgrove Bank Analytics discount 2027", "WITHDRAWN right now"],
    "drift-issue": ["Contoso Analytics CSP margin 2027"],
}


# The example files' long ids and URLs (beneficiary ids, terms documents).
LONG_TOKENS = sorted(
    {
        token
        for path in (ROOT / "offers").rglob("*.yaml")
        for token in re.findall(r"(?:id|[sS]asUrl): (\S{40,})", path.read_text())
    }
)


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "docs" / "screenshots.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["screenshots"] = module
    spec.loader.exec_module(module)
    return module


def _text(page: str) -> str:
    """What a reader sees: tags and our hidden comments removed, entities decoded."""
    body = page.split('<div class="markdown-body">', 1)[1].split("<script>", 1)[0]
    return html.unescape(re.sub(r"<!--.*?-->|<[^>]+>", "", body, flags=re.S))


@pytest.mark.parametrize("name", sorted(OFFERS))
def test_rendered_comment_is_clean(name: str) -> None:
    page = _script().render_html((SHOTS / f"{name}.md").read_text(), name)
    for width in ("", "-400"):  # the screenshots exist, at 1000 px and at 400 px
        assert (SHOTS / f"{name}{width}.png").stat().st_size > 10_000
    code = "\n".join(
        html.unescape(re.sub(r"<[^>]+>", "", block))
        for block in re.findall(r"<pre[^>]*>(.*?)</pre>", page, flags=re.S)
    )
    for token in LONG_TOKENS:  # never hard-wrapped: a copied id or URL is whole
        assert token[:24] not in code or token in code, token
    shown = _text(page)
    for offer in OFFERS[name]:
        assert offer in shown, offer
    for raw in ("<!--", "-->", "reconciler:meta", "\\_", "\\-", "\\(", "\\:", "&lt;", "&amp;"):
        assert raw not in shown, raw  # no markers, escapes or entities visible
    assert not re.search(r"\[!(NOTE|WARNING|CAUTION|IMPORTANT)\]", shown)
    assert "pricing[product/" not in shown
    if name == "plan-comment":  # the timeline is drawn by Mermaid, as GitHub draws it
        assert '<pre class="mermaid">' in page and "todayMarker" in page


def _in_process(cwd: Path, env: dict[str, str], args: Sequence[str]) -> tuple[int, str, str]:
    # The script's commands, in this process: an interpreter's start-up saved per command.
    return run_reconciler_with(cwd, env, *args)


def test_screenshots_match_the_current_output() -> None:
    script = _script()
    for name, body in script.bodies(_in_process).items():
        assert script.normalise(body) == (SHOTS / f"{name}.md").read_text(), (
            f"docs/screenshots/{name}.md is stale: run python docs/screenshots.py"
        )
