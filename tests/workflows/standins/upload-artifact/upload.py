"""The upload-artifact stand-in: copy the matching files to $HARNESS_ARTIFACTS/<name>/."""

import glob
import os
import shutil
import sys
from pathlib import Path

name = os.environ["NAME"]
if not name or any(c in name for c in '"<>|*?\r\n\\/:'):
    sys.exit(f"::error::artifact name {name!r} is not valid")
target = Path(os.environ["HARNESS_ARTIFACTS"]) / name
if target.exists() and os.environ.get("OVERWRITE") != "true":
    sys.exit(f"::error::an artifact named {name!r} was already uploaded in this run")
files = [
    Path(match)
    for pattern in os.environ["PATTERNS"].splitlines()
    if pattern.strip()
    for match in sorted(glob.glob(pattern.strip(), recursive=True))
    if Path(match).is_file()
]
if not files:
    message = f"No files were found with the provided path: {os.environ['PATTERNS'].strip()}"
    mode = os.environ.get("IF_NO_FILES", "warn")
    if mode == "error":
        sys.exit(f"::error::{message}")
    if mode == "warn":
        print(f"::warning::{message}. No artifacts will be uploaded.")
    sys.exit(0)
shutil.rmtree(target, ignore_errors=True)
target.mkdir(parents=True)
for path in files:
    shutil.copy2(path, target / path.name)
with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
    out.write(f"artifact-id={len(list(target.parent.iterdir()))}\n")
print(f"uploaded {len(files)} file(s) as {name}")
