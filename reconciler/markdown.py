"""Inert markdown for text that comes from offer files (or any other untrusted source).

Offer names, notes and descriptions end up in pull request comments, issue bodies and the
Actions step summary. Whoever edits an offer file must not be able to inject HTML, links,
images, tables or @-mentions into those places, nor break out of a diff code block.

Two tools, both dependency-free so that every layer (the plan renderer included) can use them:

* :func:`escape_markdown` -- for inline text and table cells. Every ASCII punctuation
  character gets a backslash (CommonMark allows escaping any of them, and an escaped
  character can never start markup: no ``<tag>``, ``&entity;``, ``[link](...)``,
  ``![image]``, ``|`` cell break, emphasis, heading or list marker). Line breaks become
  spaces so a value stays inside its table cell. GitHub applies some rules *after*
  markdown (``@mention``, ``#123`` references) and autolinks bare URLs, which escaping
  cannot stop; a zero-width space (U+200B) is inserted after ``@``, between ``#`` and a
  digit, inside ``://`` and after ``www`` so those patterns never match. The rendered
  text reads the same to a human.
* :func:`code_fence` -- the backtick fence for a fenced code block: longer than the
  longest backtick run in the content, so the content can never close the block. Inside
  a fenced block nothing is interpreted (no HTML, links or mentions), so the content
  needs no further escaping. :func:`code_block` builds the whole block and
  :func:`inline_code` does the same for code spans.

:func:`truncate_markdown` shortens a document to a budget at a line that is outside every
code fence and ``<details>`` element, so what is left still renders as intended.

Inside raw HTML (``<summary>...</summary>`` of a ``<details>`` block) markdown is not
parsed, so backslash escapes would show literally and would not stop ``<tags>``; use
:func:`escape_html` there instead.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterator

__all__ = [
    "code_block",
    "code_fence",
    "escape_html",
    "escape_markdown",
    "inline_code",
    "md_inline",
    "truncate_markdown",
    "visible",
    "visible_line",
]

ZERO_WIDTH_SPACE = "\u200b"

_PUNCTUATION = frozenset(string.punctuation)
_BACKTICK_RUN = re.compile(r"`+")
# C0/C1 controls (except tab/newline, handled separately) and every Unicode
# Default_Ignorable_Code_Point have no business in a comment: they disguise text (bidi
# overrides, the "trojan source" trick) or hide it (soft hyphen, fillers, tag characters).
# The default-ignorable ranges are DerivedCoreProperties.txt of the Unicode Character
# Database (https://www.unicode.org/Public/UCD/latest/ucd/DerivedCoreProperties.txt).
_DEFAULT_IGNORABLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)
_INVISIBLE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_DEFAULT_IGNORABLE}]")
# The same, plus line breaks and tabs: for text shown on one line (a label, a name).
_INVISIBLE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_DEFAULT_IGNORABLE}]")
# (U+200B is escaped in offer text; the escapes below insert it afterwards, on purpose.)
# An HTML comment opener, and our own marker names, never reach a body from offer text:
# a forged ``<!-- reconciler:meta ... -->`` must not look like ours even inside a code block.
_MARKERISH = re.compile(r"<!--|(?i:reconciler):(?=[a-z])")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\t\u2028\u2029\x85]")
# Patterns GitHub turns into links or notifications after markdown is parsed.
_AUTOLINK_PATTERNS = (
    re.compile(r"@"),  # @user, @org/team, emails
    re.compile(r"#(?=\d)"),  # #123 issue references (and owner/repo#123)
    re.compile(r":(?=//)"),  # scheme://
    re.compile(r"(?i)\bwww(?=\.)"),  # www.example.com
    re.compile(r"(?i)\bgh(?=-\d)"),  # GH-123 issue references
)


def visible(text: object) -> str:
    """*text* with control, bidi and zero-width characters shown as ``<U+202E>`` escapes.

    For content shown literally (code blocks, plain text): a reviewer sees what is there
    instead of text the characters reorder or hide ("trojan source"), and an HTML comment
    opener or marker name in it is broken with a zero-width space so that nothing can pass
    for the tool's own hidden markers.
    """
    value = "" if text is None else str(text)
    value = _INVISIBLE.sub(lambda m: f"<U+{ord(m.group(0)):04X}>", value)
    return _MARKERISH.sub(lambda m: m.group(0)[:-1] + ZERO_WIDTH_SPACE + m.group(0)[-1], value)


def visible_line(text: object) -> str:
    """:func:`visible` for text shown on one line: line breaks and tabs are escaped too, so
    a label cannot start a line of its own (and pass for another entry of a plan)."""
    value = "" if text is None else str(text)
    value = _INVISIBLE_LINE.sub(lambda m: f"<U+{ord(m.group(0)):04X}>", value)
    return _MARKERISH.sub(lambda m: m.group(0)[:-1] + ZERO_WIDTH_SPACE + m.group(0)[-1], value)


def _break_autolinks(text: str) -> str:
    for pattern in _AUTOLINK_PATTERNS:
        text = pattern.sub(lambda m: m.group(0) + ZERO_WIDTH_SPACE, text)
    return text


def escape_markdown(text: object) -> str:
    """Return *text* as inert inline markdown (safe in running text and table cells)."""
    value = "" if text is None else str(text)
    value = visible(_LINE_BREAKS.sub(" ", value))
    value = _break_autolinks(value)
    escaped = "".join("\\" + ch if ch in _PUNCTUATION else ch for ch in value)
    # Where the text starts a line, four leading spaces would make it an indented code
    # block: the first one is written as a character reference, which still shows a space.
    if escaped.startswith("    "):
        escaped = "&#32;" + escaped[1:]
    return escaped


def md_inline(text: object) -> str:
    """Our own message (which may quote offer text) as inert markdown with its code spans.

    Segments between single backticks become code spans, everything else is escaped, so
    a message like "set `state: withdrawn`" reads as intended while any offer text inside
    it stays inert whichever segment it lands in.
    """
    value = "" if text is None else str(text)
    parts = value.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: nothing is a code span
        return escape_markdown(value)
    return "".join(
        inline_code(part) if i % 2 else escape_markdown(part) for i, part in enumerate(parts)
    )


def escape_html(text: object) -> str:
    """Return *text* as inert text for a raw-HTML context such as ``<summary>``."""
    value = "" if text is None else str(text)
    value = visible(_LINE_BREAKS.sub(" ", value))
    value = (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )
    return _break_autolinks(value)


def code_fence(content: str, *, minimum: int = 3) -> str:
    """The backtick fence to wrap *content* in: longer than any backtick run inside it."""
    longest = max((len(run) for run in _BACKTICK_RUN.findall(content)), default=0)
    return "`" * max(minimum, longest + 1)


def code_block(content: str, info: str = "") -> str:
    """A complete fenced code block (``info`` such as ``diff``), ending with a newline."""
    fence = code_fence(content)
    # The info string must not contain backticks (CommonMark) or a line break.
    info = re.sub(r"[`\s]+", "", info)
    content = visible(content)
    body = content if content.endswith("\n") or not content else content + "\n"
    return f"{fence}{info}\n{body}{fence}\n"


def inline_code(text: object) -> str:
    """A code span showing *text* literally (on one line)."""
    value = visible(_LINE_BREAKS.sub(" ", "" if text is None else str(text)))
    if not value:
        return ""
    fence = code_fence(value, minimum=1)
    # A span that starts or ends with a backtick needs padding, which CommonMark strips.
    pad = " " if value.startswith("`") or value.endswith("`") or value.strip() == "" else ""
    return f"{fence}{pad}{value}{pad}{fence}"


_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_DETAILS_OPEN = re.compile(r"<details\b", re.IGNORECASE)
_DETAILS_CLOSE = re.compile(r"</details\s*>", re.IGNORECASE)


def _cut_points(lines: list[str]) -> Iterator[tuple[int, str]]:
    """(end offset, closing text) after each line; closing text re-closes what is open there.

    A generator: the caller stops at its budget, so a long text is not scanned past the cut."""
    offset = 0
    fence: str | None = None  # the opening fence while inside a fenced block
    depth = 0  # open <details> elements
    for line in lines:
        offset += len(line)
        stripped = line.rstrip("\r\n")
        if fence is not None:
            candidate = stripped.strip()
            if candidate and set(candidate) == {fence[0]} and len(candidate) >= len(fence):
                fence = None
        else:
            match = _FENCE_OPEN.match(stripped)
            # A backtick fence whose info string holds a backtick is not a fence (CommonMark).
            if match and not (match.group(1)[0] == "`" and "`" in stripped[match.end() :]):
                fence = match.group(1)
            else:
                depth += len(_DETAILS_OPEN.findall(stripped))
                depth = max(0, depth - len(_DETAILS_CLOSE.findall(stripped)))
        closing = ""
        if fence is not None:
            closing += "\n" + fence + "\n"
        if depth:
            closing += "\n</details>" * depth + "\n"
        yield offset, closing


def truncate_markdown(
    text: str,
    limit: int,
    note: str,
    *,
    measure: Callable[[str], int] = len,
) -> str:
    """Return *text* if it fits in *limit*, else a prefix of it followed by *note*.

    The cut falls at the end of a line outside every code fence and ``<details>`` element
    when such a line fits; only when none does (one huge block) is the open fence or
    element closed explicitly before the note. ``measure`` defaults to characters; pass
    an additive measure such as the UTF-8 byte count for byte budgets (the step summary).
    """
    if measure(text) <= limit:
        return text
    tail = "\n\n" + note.strip("\n") + "\n"
    budget = limit - measure(tail)
    lines = text.splitlines(keepends=True)
    best_clean: int | None = None
    best_closed: tuple[int, str] | None = None
    size = 0
    for line, (end, closing) in zip(lines, _cut_points(lines), strict=True):
        size += measure(line)
        if size > budget:
            break
        if not closing:
            best_clean = end
        if size + measure(closing) <= budget:
            best_closed = (end, closing)
    if best_clean is not None:
        return text[:best_clean].rstrip("\n") + tail
    if best_closed is not None:
        end, closing = best_closed
        return text[:end].rstrip("\n") + closing + tail
    return tail.lstrip("\n")
