"""The workflows' lock file agrees with pyproject.toml and pins every package by hash."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .harness import ROOT

LOCK = ROOT / ".github" / "requirements" / "reconciler.txt"


def locked() -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) for the lock's entries."""
    text = re.sub(r"\\\n", " ", LOCK.read_text(encoding="utf-8"))
    entries: dict[str, tuple[str, list[str]]] = {}
    for line in text.splitlines():
        line = line.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        match = re.match(r"([A-Za-z0-9._-]+)==([^\s;]+)", line)
        assert match, f"not pinned with ==: {line}"
        entries[canonicalize_name(match.group(1))] = (
            match.group(2),
            re.findall(r"--hash=sha256:[0-9a-f]{64}", line),
        )
    return entries


def test_every_locked_package_is_pinned_with_hashes() -> None:
    entries = locked()
    assert entries
    for name, (_, hashes) in entries.items():
        assert hashes, f"{name} has no --hash"


def test_the_lock_satisfies_every_dependency_of_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    build = project["build-system"]["requires"]
    entries = locked()
    for spec in [*project["project"]["dependencies"], *build]:
        requirement = Requirement(spec)
        if requirement.marker and not requirement.marker.evaluate():
            continue
        name = canonicalize_name(requirement.name)
        assert name in entries, f"{spec}: missing from {LOCK.name}: regenerate it (see its header)"
        version = entries[name][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{spec}: the lock pins {version}: regenerate {LOCK.name} (see its header)"
        )
