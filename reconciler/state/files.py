"""Private, crash-safe files: owner-only directories and atomic replacement."""

from __future__ import annotations

import os
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


def atomic_write(path: Path, text: str) -> None:
    """Write *text* to *path* so that readers see the old file or the whole new one (0600)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ReconcilerError(f"{path}: cannot write: {exc.strerror}") from None
