"""Aliases and merge keys share one node budget: a merge-key bomb stops at its line.

``<<: [*a, *a]`` chained 30 times is 850 bytes that ruamel's constructor would expand to a
billion keys (over 20 s and past 1 GiB before the budget). The check runs on the node tree,
before anything is constructed; the command runs under a 2 s CPU limit and 200 MB of
address space, which the kernel enforces (a run past either is killed, and fails here).
"""

from __future__ import annotations

import resource
import subprocess
from pathlib import Path

from reconciler.offers.yamlread import MAX_NODES, parse_yaml
from tests.reliability.support import PYTHON, subprocess_env


def merge_bomb(levels: int = 30) -> str:
    rows = ["a0: &a0 {k: v}"]
    for i in range(1, levels + 1):
        rows.append(f"a{i}: &a{i}\n  <<: [*a{i - 1}, *a{i - 1}]")
    return "\n".join(rows) + "\n"


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (2, 2))
    resource.setrlimit(resource.RLIMIT_AS, (200 << 20, 200 << 20))


def test_a_merge_key_bomb_fails_validate_at_its_line_within_limits(tmp_path: Path) -> None:
    (tmp_path / "offers").mkdir()
    bomb = merge_bomb()
    assert len(bomb) < 1000
    (tmp_path / "offers" / "bomb.yaml").write_text(bomb)
    done = subprocess.run(
        [PYTHON, "-m", "reconciler", "validate", "offers"], cwd=tmp_path, env=subprocess_env(),
        capture_output=True, text=True, timeout=60, preexec_fn=_limits,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    # Each anchor holds twice the one before: a14 is the first past 50,000 values.
    line = bomb.splitlines().index("a14: &a14") + 2
    assert f"offers/bomb.yaml:{line}:" in done.stdout, done.stdout + done.stderr
    assert "merge keys" in done.stdout and "Traceback" not in done.stderr


def test_aliases_and_merges_count_together() -> None:
    # Under the budget a file with merges still loads; one anchor more and it does not.
    small = merge_bomb(10)
    data, problem = parse_yaml(small, "x.yaml")
    assert problem is None and data["a10"] == {"k": "v"}
    wide = (
        "a: &a ["
        + ", ".join(["x"] * 1000)
        + "]\nb: &b {<<: {}, l: ["
        + ", ".join(["*a"] * (MAX_NODES // 1000))
        + "]}\n"
    )
    _, problem = parse_yaml(wide, "x.yaml")
    assert problem is not None and problem.rule == "yaml-too-complex" and problem.line == 2
