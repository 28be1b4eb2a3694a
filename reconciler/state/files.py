"""Private, crash-safe files: owner-only directories and atomic replacement."""

from __future__ import annotations

import errno
import os
import secrets
from contextlib import suppress
from pathlib import Path

from reconciler.errors import ReconcilerError


def private_dir(directory: Path) -> None:
    """Create *directory* readable by its owner only (state names offers and jobs)."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ReconcilerError(
            f"{directory}: cannot create the state directory: {exc.strerror}"
        ) from None


def new_temp_file(path: Path, mode: int = 0o600) -> tuple[Path, int]:
    """A temporary file beside *path*, new: a random name opened with ``O_EXCL`` and
    ``O_NOFOLLOW``, so a file or symbolic link planted at a temporary name is never written
    through (the open fails instead)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    for _ in range(8):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        try:
            return tmp, os.open(tmp, flags, mode)
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(path))


def atomic_write(path: Path, text: str, mode: int = 0o600) -> None:
    """Write *text* to *path* so that readers see the old file or the whole new one (0600)."""
    atomic_write_bytes(path, text.encode("utf-8"), mode)


def atomic_write_bytes(path: Path, data: bytes, mode: int = 0o600) -> None:
    """:func:`atomic_write` for bytes."""
    tmp: Path | None = None
    try:
        tmp, fd = new_temp_file(path, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        with suppress(OSError):  # a read-only file system refuses even that
            if tmp is not None:
                tmp.unlink(missing_ok=True)
        raise ReconcilerError(f"{path}: cannot write: {why(exc)}") from None


def why(exc: OSError) -> str:
    """What an I/O error means for the user: a full disk, a read-only place, or its text."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "read-only"
    return exc.strerror or str(exc)
