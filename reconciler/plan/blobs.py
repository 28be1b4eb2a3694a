"""Many files as they were at a git ref, read by one git process.

A plan with ``--baseline`` reads every offer file at the ref: one ``git show`` each was one
process per file (5,000 files, 5,000 processes). ``git cat-file --batch`` reads them all
from one process: each ``REV:path`` line on its input gets a header line (``<oid> <type>
<size>``, or ``<name> missing``) and the object's bytes on its output.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from pathlib import Path


class BlobReadError(Exception):
    """git failed or answered something other than ``cat-file --batch`` output."""


def read_at(top: Path, ref: str, paths: Iterable[str]) -> dict[str, bytes | None]:
    """Each repository-relative path's bytes at *ref* (None: no such file there).

    Something that is not a file at *ref* (a folder, a submodule) reads as empty bytes:
    no offer file can be read from it, as from any unreadable content.
    """
    names = list(dict.fromkeys(paths))
    found: dict[str, bytes | None] = {}
    # cat-file --batch reads one name a line: a path with a newline takes git show.
    batched = [p for p in names if "\n" not in p]
    for path in names:
        if "\n" in path:
            found[path] = _show(top, ref, path)
    if not batched:
        return found
    feed = b"".join(os.fsencode(f"{ref}:{p}") + b"\n" for p in batched)
    result = subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=top,
        input=feed,
        capture_output=True,
        check=False,
        timeout=60 + len(batched) // 100,
    )
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip()
        raise BlobReadError(f"git cat-file: {detail or 'failed'}")
    found.update(zip(batched, _parse(result.stdout, len(batched)), strict=True))
    return found


def _parse(out: bytes, count: int) -> list[bytes | None]:
    blobs: list[bytes | None] = []
    pos = 0
    for _ in range(count):
        end = out.find(b"\n", pos)
        if end < 0:
            raise BlobReadError("git cat-file: output ended early")
        header = out[pos:end]
        pos = end + 1
        if header.endswith((b" missing", b" ambiguous")):
            blobs.append(None)
            continue
        bits = header.split(b" ")
        if len(bits) != 3 or not bits[2].isdigit():
            raise BlobReadError(f"git cat-file: unexpected header {header[:80]!r}")
        size = int(bits[2])
        body = out[pos : pos + size]
        pos += size + 1  # the object's bytes end with a newline of git's own
        blobs.append(body if bits[1] == b"blob" else b"")
    return blobs


def _show(top: Path, ref: str, path: str) -> bytes | None:
    shown = subprocess.run(
        ["git", "show", f"{ref}:{path}"], cwd=top, capture_output=True, check=False, timeout=60
    )
    return shown.stdout if shown.returncode == 0 else None


def as_text(blob: bytes) -> str | None:
    """*blob* as text read the way a file is (UTF-8, universal newlines); None if not UTF-8."""
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")
