"""The workflow files and the composite action: linters and the security properties."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("offers-*.yml"))
ACTION = ROOT / "action.yml"
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed")
    return found


def load(path: Path) -> dict[str, Any]:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_the_three_workflows_exist() -> None:
    assert [p.name for p in WORKFLOWS] == [
        "offers-apply.yml",
        "offers-drift.yml",
        "offers-plan.yml",
    ]


@pytest.mark.parametrize("persona", ["regular", "pedantic"])
def test_zizmor_has_no_findings(persona: str) -> None:
    result = subprocess.run(
        [
            tool("zizmor"),
            "--offline",
            f"--persona={persona}",
            "--no-progress",
            *map(str, WORKFLOWS),
            str(ACTION),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("schema", "files"),
    [("vendor.github-workflows", WORKFLOWS), ("vendor.github-actions", [ACTION])],
)
def test_check_jsonschema_accepts_the_files(schema: str, files: list[Path]) -> None:
    result = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", schema, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_security_properties_of_the_workflows() -> None:
    for path in [*WORKFLOWS, ACTION]:
        text = path.read_text(encoding="utf-8")
        assert "secrets." not in text, f"{path.name}: OIDC only, no stored secret"
        # Actions pinned by full commit SHA with a version comment.
        for action, comment in re.findall(r"^\s*(?:- )?uses:\s*(\S+)(.*)$", text, re.M):
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), action
            assert re.search(r"#\s*v\d+\.\d+\.\d+", comment), f"{action}: no version comment"

    for path in WORKFLOWS:
        data = load(path)
        assert "pull_request_target" not in data["on"]
        assert data["permissions"] == {}, f"{path.name}: top-level permissions must be empty"
        for name, job in data["jobs"].items():
            perms = job["permissions"]
            assert perms["id-token"] == "write"
            assert perms["contents"] == "read"
            assert set(perms) <= {"contents", "id-token", "pull-requests", "issues"}, name
            assert job["env"]["AZURE_TENANT_ID"] == "${{ vars.AZURE_TENANT_ID }}"
            # pull requests get their own plan-only app: a PR runs its own branch's workflows
            expected = (
                "${{ vars.AZURE_PLAN_CLIENT_ID || vars.AZURE_CLIENT_ID }}"
                if path.name == "offers-plan.yml"
                else "${{ vars.AZURE_CLIENT_ID }}"
            )
            assert job["env"]["AZURE_CLIENT_ID"] == expected
            for step in job["steps"]:
                if "run" in step:
                    assert "${{" not in step["run"], f"{path.name}: {step.get('name')}"
                if str(step.get("uses", "")).startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False


def test_triggers_concurrency_and_environment() -> None:
    workflows = {p.stem: load(p) for p in WORKFLOWS}
    plan, apply, drift = (workflows[f"offers-{n}"] for n in ("plan", "apply", "drift"))
    assert set(plan["on"]) == {"pull_request"}
    assert "offers/**" in plan["on"]["pull_request"]["paths"]
    assert plan["jobs"]["plan"]["permissions"]["pull-requests"] == "write"

    assert apply["on"]["push"]["branches"] == ["main"]
    assert apply["concurrency"]["cancel-in-progress"] is False
    assert apply["jobs"]["apply"]["environment"]
    assert "pull_request" not in apply["on"]

    assert {"schedule", "workflow_dispatch"} <= set(drift["on"])
    assert drift["jobs"]["drift"]["permissions"]["issues"] == "write"
    assert "pull-requests" not in drift["jobs"]["drift"]["permissions"]


def test_the_composite_action_takes_the_documented_inputs() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    assert {"command", "offers", "python-version", "version", "ref"} <= set(action["inputs"])
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"]
            assert step["shell"] == "bash"
