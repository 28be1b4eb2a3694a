"""What `pip install offer-reconciler` and `pipx install offer-reconciler` get: the wheel that
`python -m build` makes carries the code, the emulator's data, the schemas and the licence."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_carries_the_emulator_the_schemas_and_the_licence(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("reconciler", "schemas"):
        shutil.copytree(ROOT / folder, source / folder, ignore=skip)
    # No isolation: the build backend of the dev install, so nothing is downloaded here.
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", "dist", "."],
        cwd=source,
        check=True,
        capture_output=True,
    )
    (wheel,) = (source / "dist").glob("offer_reconciler-*-py3-none-any.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(info).decode())
        entry_points = archive.read(info.replace("METADATA", "entry_points.txt")).decode()
    assert "reconciler/emulator/data/catalogue.json" in names
    assert "reconciler/py.typed" in names
    data = {n.split("/data/", 1)[1] for n in names if ".data/data/" in n}
    shipped = {
        f"share/offer-reconciler/schemas/{p.name}" for p in (ROOT / "schemas").glob("*.json")
    }
    assert shipped and shipped <= data
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert metadata["License-Expression"] == "MIT"
    assert metadata["Name"] == "offer-reconciler"
    assert "reconciler = reconciler.cli:main" in entry_points
    assert not any(n.startswith(("tests/", "bench/", "offers/")) for n in names)
