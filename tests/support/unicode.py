"""Unicode data the tests check the escaping against (copied from the Unicode Character
Database with its source address, so the tests never read outside the checkout)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "default_ignorable.txt"


@cache
def default_ignorable() -> tuple[str, ...]:
    """Every Default_Ignorable_Code_Point, as one-character strings."""
    found: list[str] = []
    for line in DATA.read_text(encoding="utf-8").splitlines():
        field = line.split("#", 1)[0].split(";", 1)[0].strip()
        if not field:
            continue
        first, _, last = field.partition("..")
        found += [chr(c) for c in range(int(first, 16), int(last or first, 16) + 1)]
    return tuple(found)
