"""The workflow files and the composite action: their security properties, read from the YAML.

zizmor (pedantic) and the workflow schemas run once, in CI (.ci/run); the workflows
themselves run end to end in tests/workflows/.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("offers-*.yml"))
ACTION = ROOT / "action.yml"


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
            # apply only: the github state backend's ref (lock + open journal) needs write
            wanted = "write" if path.name == "offers-apply.yml" and name == "apply" else "read"
            assert perms["contents"] == wanted, name
            assert set(perms) <= {"contents", "id-token", "pull-requests", "issues", "actions"}
            assert perms.get("actions", "read") == "read", name
            assert job["env"]["AZURE_TENANT_ID"] == "${{ vars.AZURE_TENANT_ID }}"
            # every plan (the merge's too) and drift: the read-only app, no environment and no
            # fallback; apply: the environment's app, in that environment only
            applies = path.name == "offers-apply.yml" and name == "apply"
            expected = (
                "${{ vars.AZURE_APPLY_CLIENT_ID }}"
                if applies
                else "${{ vars.AZURE_PLAN_CLIENT_ID }}"
            )
            assert job["env"]["AZURE_CLIENT_ID"] == expected
            assert bool(job.get("environment")) is applies, name
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
    assert {"command", "offers", "python-version"} <= set(action["inputs"])
    # No input installs anything but the action's own source with hash-pinned dependencies.
    assert not {"version", "ref"} & set(action["inputs"])
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"]
            assert step["shell"] == "bash"


def test_every_install_is_pinned_by_hash() -> None:
    for path in [*WORKFLOWS, ACTION]:
        text = path.read_text(encoding="utf-8")
        installs = re.findall(r"pip install[^\n]*", text)
        assert installs, path.name
        for line in installs:
            hashed = "--require-hashes" in line and "reconciler.txt" in line
            # The action: exactly the release its commit pins, a wheel, without dependencies.
            release = path == ACTION and line.endswith(
                'install --no-deps --only-binary=:all: "offer-reconciler==${RECONCILER_VERSION}"'
            )
            # Never the checkout (`pip install .`): a pull request decides what it holds.
            assert hashed or release, f"{path.name}: unpinned install: {line}"
        assert "install --no-deps --no-build-isolation ." not in text, path.name
    assert 'GITHUB_ACTION_PATH}"' not in ACTION.read_text(encoding="utf-8")  # not its checkout
