"""Which files are offer files: regular files under the folders asked for, never a link.

A pull request can add a symbolic link to ``offers/`` pointing at ``/etc/passwd`` or at a
runner's credential file; following it would read that file and quote it in errors, plans
and pull-request comments. So discovery reports every link it meets (to a file or to a
folder, inside a folder or on the way to a path given) as a problem naming it, and reading
opens with ``O_NOFOLLOW`` so a link swapped in after discovery is refused too.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path

from reconciler.errors import Problem

OFFER_SUFFIXES = (".yaml", ".yml")
SYMLINK_RULE = "file-symlink"


class NotRegularFile(OSError):
    """The path is a link, a folder or a device: nothing was read."""


def symlink_problem(shown: str, link: str | None = None) -> Problem:
    what = (
        "is a symbolic link"
        if link is None or link == shown
        else f"is reached through the symbolic link {link}"
    )
    return Problem(
        shown,
        0,
        0,
        "",
        f"{what}; offer files must be regular files inside the offers folder "
        "(nothing was read through it)",
        SYMLINK_RULE,
    )


def link_on_the_way(path: Path) -> Path | None:
    """The first symbolic link among *path* and its folders below the working directory."""
    absolute = Path(os.path.abspath(path))
    try:
        inside = absolute.relative_to(Path(os.path.abspath(Path.cwd())))
    except ValueError:
        # Outside the project: only the path itself is ours to judge.
        return absolute if absolute.is_symlink() else None
    current = Path(os.path.abspath(Path.cwd()))
    for part in inside.parts:
        current = current / part
        if current.is_symlink():
            return current
    return None


def _shown(path: Path) -> str:
    """*path* relative to the working directory without resolving links (a link is shown
    as itself, never as its target)."""
    absolute = os.path.abspath(path)
    try:
        return Path(absolute).relative_to(os.path.abspath(Path.cwd())).as_posix()
    except ValueError:
        return path.as_posix()


def find_offer_files(
    paths: Sequence[Path], display: Callable[[Path], str] | None = None
) -> tuple[list[Path], list[Problem]]:
    """*.yaml / *.yml under each folder (recursive, hidden entries skipped) and each file
    given; sorted, without repeats. Links are not followed but reported; missing paths are
    kept so the loader reports them."""
    shown = display or _shown
    found: set[Path] = set()
    problems: list[Problem] = []
    for path in paths:
        link = link_on_the_way(path)
        if link is not None:
            problems.append(symlink_problem(shown(path), shown(link)))
            continue
        if not path.is_dir():
            found.add(path)
            continue
        for root, dirs, files in os.walk(path):  # never follows a linked folder
            kept = []
            for name in sorted(dirs):
                if name.startswith("."):
                    continue
                if (Path(root) / name).is_symlink():
                    problems.append(symlink_problem(shown(Path(root) / name)))
                else:
                    kept.append(name)
            dirs[:] = kept
            for name in files:
                if not name.endswith(OFFER_SUFFIXES) or name.startswith("."):
                    continue
                file = Path(root) / name
                if file.is_symlink():
                    problems.append(symlink_problem(shown(file)))
                else:
                    found.add(file)
    return sorted(found, key=lambda p: p.as_posix()), problems


def read_regular(path: Path, limit: int) -> bytes | None:
    """The bytes of *path* if it is a regular file (no link) of at most *limit* bytes;
    None when it is larger. Raises :class:`NotRegularFile` or ``OSError``."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if path.is_symlink():
            raise NotRegularFile("is a symbolic link") from exc
        raise
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile("is not a file")
        if info.st_size > limit:
            return None
        return handle.read(limit + 1)
