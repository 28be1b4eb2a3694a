"""Keyed field paths (``pricing[product/…/plan/123456].discountPercentage``) and their parts."""

from __future__ import annotations


def split_path(path: str) -> list[str]:
    """``a[k1].b.c[k2]`` -> ``['a', '[k1]', 'b', 'c', '[k2]']`` (keys may hold dots)."""
    parts: list[str] = []
    i, n = 0, len(path)
    while i < n:
        ch = path[i]
        if ch == ".":
            i += 1
            continue
        if ch == "[":
            # a key ends at the "]" followed by the end, "." or "["
            j = i + 1
            while j < n and not (path[j] == "]" and (j + 1 == n or path[j + 1] in ".[")):
                j += 1
            parts.append(path[i : j + 1])
            i = j + 1
            continue
        j = i
        while j < n and path[j] not in ".[":
            j += 1
        parts.append(path[i:j])
        i = j
    return parts
