"""Runs `reconciler` commands in-process, in order, for tests/offers/test_field_recipe.py.

Started as a subprocess whose import path puts an edited copy of the package first; the
steps come as JSON in argv[1] ({"run": [args]} or {"write": [path, text]}), the results go
to stdout as JSON: one {"code", "out", "err"} per run step.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path

from reconciler.cli import cli
from reconciler.cli.common import run


def main() -> None:
    results = []
    for step in json.loads(sys.argv[1]):
        if "write" in step:
            path, text = step["write"]
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(text, encoding="utf-8")
            continue
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = run(cli, list(step["run"]))
        results.append({"code": code, "out": out.getvalue(), "err": err.getvalue()})
    sys.__stdout__.write(json.dumps(results))


if __name__ == "__main__":
    main()
