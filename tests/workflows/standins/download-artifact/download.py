"""The download-artifact stand-in: copy $HARNESS_ARTIFACTS/<name>/ into the destination."""

import os
import shutil
import sys
from pathlib import Path

name = os.environ["NAME"]
source = Path(os.environ["HARNESS_ARTIFACTS"]) / name
if not source.is_dir():
    sys.exit(f"::error::Unable to download artifact(s): Artifact not found for name: {name}")
dest = Path(os.environ.get("DEST") or ".")
dest.mkdir(parents=True, exist_ok=True)
for path in sorted(source.iterdir()):
    shutil.copy2(path, dest / path.name)
with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
    out.write(f"download-path={dest.resolve()}\n")
print(f"downloaded {name} to {dest}")
