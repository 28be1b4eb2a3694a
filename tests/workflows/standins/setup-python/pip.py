"""The pip stand-in: offline, so nothing is downloaded; it refuses what --require-hashes refuses.

``pip install --require-hashes -r FILE``: every requirement of FILE must be pinned (``==``)
with at least one ``--hash``. ``pip install --no-deps [--no-build-isolation] DIR``: DIR must
be a project (pyproject.toml). ``pip install --no-deps --only-binary=:all:
offer-reconciler==VERSION``: a released wheel, exactly pinned. Anything else would fetch a
package without a pinned version or hash: refused, exit 1. After an accepted install the
already installed ``reconciler`` command is linked next to the ``python`` stand-in, as a real
install would put it on PATH.
"""

import json
import os
import re
import sys
from pathlib import Path


def fail(message: str) -> None:
    print(f"ERROR: {message}", file=sys.stderr)
    sys.exit(1)


def requirements(path: Path) -> list[str]:
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    lines = (line.split(" #")[0].strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def main(args: list[str]) -> None:
    with open(os.environ["HARNESS_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps({"pip": args}) + "\n")
    if not args or args[0] != "install":
        fail(f"pip stand-in: only `pip install` is supported, not {args}")
    options = args[1:]
    files = [options[i + 1] for i, a in enumerate(options) if a in ("-r", "--requirement")]
    targets = [a for i, a in enumerate(options) if not a.startswith("-")
               and (i == 0 or options[i - 1] not in ("-r", "--requirement"))]  # fmt: skip
    for name in files:
        path = Path(name)
        if not path.is_file():
            fail(f"Could not open requirements file: {name}")
        if "--require-hashes" not in options:
            fail(f"{name}: installed without --require-hashes")
        for requirement in requirements(path):
            if not re.match(r"^[A-Za-z0-9._-]+(\[[^]]*\])?==\S+", requirement) or (
                "--hash=sha256:" not in requirement
            ):
                fail(f"Hashes are required in --require-hashes mode: {requirement.split()[0]}")
    for target in targets:
        if re.fullmatch(r"offer-reconciler==\d+(\.\d+)*", target):
            if "--only-binary=:all:" not in options or "--no-deps" not in options:
                fail(f"pip stand-in: `{target}` must be the released wheel, without its deps")
            continue
        if not (Path(target) / "pyproject.toml").is_file():
            fail(f"pip stand-in: `{target}` would be downloaded without a pinned hash")
        if "--no-deps" not in options:
            fail(f"pip stand-in: `{target}` without --no-deps would resolve unpinned dependencies")
    if not files and not targets:
        fail("You must give at least one requirement to install")
    command = Path(sys.executable).parent / "reconciler"
    link = Path(os.environ["STANDIN_BIN"]) / "reconciler"
    if not link.exists():
        link.symlink_to(command)
    print("stand-in: requirements satisfied by the installed Python")


main(sys.argv[1:])
