"""Framing of journal lines: each record carries its own checksum, so a torn write is seen.

A record is one line of JSON whose last key is ``"crc"``: the CRC-32 of the line's text
without that key. A line is *complete* when it ends with a newline and its checksum holds.
A process killed mid-write, or a disk that filled mid-write, leaves at most the last line
incomplete (records are only ever appended); such a *torn tail* is not a record: readers
skip it and the next writer cuts it off before appending (:func:`torn_tail`), so the record
it appends starts on a line of its own instead of being glued to the fragment.

Lines without ``"crc"`` (journals of earlier versions) are taken as they are.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

_CRC = re.compile(r', ?"crc": "([0-9a-f]{8})"\}$|^\{"crc": "([0-9a-f]{8})"\}$')


def frame(text: str) -> bytes:
    """The line for the JSON object *text* (as ``json.dumps`` wrote it), newline included."""
    crc = zlib.crc32(text.encode("utf-8"))
    inner = text[:-1].rstrip()
    sep = ", " if inner != "{" else ""
    return f'{inner}{sep}"crc": "{crc:08x}"}}\n'.encode()


def check(line: str) -> bool:
    """Whether *line* (no newline) is a whole record: valid JSON, its checksum holding."""
    match = _CRC.search(line)
    if match is not None:
        body = line[: match.start()] + "}" if match.group(1) else "{}"
        if f"{zlib.crc32(body.encode('utf-8')):08x}" != (match.group(1) or match.group(2)):
            return False
    try:
        return isinstance(json.loads(line), dict)
    except json.JSONDecodeError:
        return False


@dataclass(frozen=True)
class Line:
    number: int  # 1-based
    text: str
    ok: bool


@dataclass(frozen=True)
class Tail:
    """A torn last record: where the whole records end, and how many bytes follow."""

    keep: int
    dropped: int


def lines(data: bytes) -> Iterator[Line]:
    """The newline-terminated lines of *data* (blank ones skipped); the unterminated rest is
    not a line (see :func:`torn_tail`)."""
    end = data.rfind(b"\n") + 1
    for number, raw in enumerate(data[:end].split(b"\n")[:-1], 1):
        text = raw.decode("utf-8", errors="replace")
        if text.strip():
            yield Line(number, text, check(text))


def torn_tail(data: bytes) -> Tail | None:
    """The torn tail of a journal's bytes, or None when every line is whole.

    Torn: bytes after the last newline, or a last line that fails its check (a crash can
    leave a block of zeros or garbage at the end of a file). A bad line *before* the last
    one is no tear (records are only appended): the reader reports it as damage.
    """
    end = data.rfind(b"\n") + 1
    rest = data[end:]
    keep = end
    if end:
        start = data.rfind(b"\n", 0, end - 1) + 1
        last = data[start : end - 1].decode("utf-8", errors="replace")
        if last.strip() and not check(last):
            keep = start
    if not rest.strip(b"\x00 \t\r") and keep == end:
        return None if not rest else Tail(end, len(rest))
    return Tail(keep, len(data) - keep)
