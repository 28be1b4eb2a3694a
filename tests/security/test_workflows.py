"""The shipped workflows cannot hand a pull request from a fork a token that writes offers.

Asserted from the workflow YAML itself, as GitHub reads it (zizmor runs once, in .ci/run):

* no workflow runs on ``pull_request_target`` or ``workflow_run`` (which run with the base
  repository's secrets and write token on a fork's code);
* the plan workflow runs on ``pull_request`` only, references no ``secrets.``, starts from
  ``permissions: {}``, and asks for ``id-token: write`` only in the job that calls the API;
* the apply workflow runs only on ``push`` to ``main`` (or a manual dispatch guarded to
  ``refs/heads/main``), in a deployment ``environment``, never cancelled midway;
* no ``${{ }}`` expression inside a ``run:`` script (script injection), actions pinned by SHA.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
RELEASE_OIDC_ACTIONS = re.compile(r"(actions/attest-build-provenance|pypa/gh-action-pypi-publish)@")
API_COMMANDS = re.compile(r"\breconciler\s+(plan|apply|drift|jobs|import)\b")


def load(name: str) -> dict[str, Any]:
    data = YAML(typ="safe").load((WORKFLOWS / name).read_text())
    # YAML 1.1 readers turn the key `on` into True; GitHub means the trigger block.
    if True in data:
        data["on"] = data.pop(True)
    return dict(data)


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    on = workflow["on"]
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return dict(on)


def scripts(job: dict[str, Any]) -> list[str]:
    return [str(step["run"]) for step in job.get("steps", []) if "run" in step]


ALL = sorted(p.name for p in WORKFLOWS.glob("*.yml"))


def test_the_workflows_are_the_three_shipped_and_the_tools_own_ci_and_release() -> None:
    assert ALL == [
        "offers-apply.yml",
        "offers-drift.yml",
        "offers-plan.yml",
        "reconciler-ci.yml",
        "release.yml",
    ]


def test_the_tools_own_ci_can_only_read() -> None:
    workflow = load("reconciler-ci.yml")
    for job in workflow["jobs"].values():
        assert job["permissions"] == {"contents": "read"}
        assert "environment" not in job


@pytest.mark.parametrize("name", ALL)
def test_no_privileged_trigger_no_script_injection_pinned_actions(name: str) -> None:
    workflow = load(name)
    assert not {"pull_request_target", "workflow_run"} & set(triggers(workflow))
    assert workflow.get("permissions") == {}, "start from no permissions"
    for job in workflow["jobs"].values():
        for script in scripts(job):
            assert "${{" not in script, f"expression inside run: {script}"
        for step in job.get("steps", []):
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
            if "actions/checkout" in step.get("uses", ""):
                assert step.get("with", {}).get("persist-credentials") is False
        # OIDC only for jobs that talk to the Product Ingestion API, or that sign a build's
        # provenance or publish it with trusted publishing (the release workflow).
        if job.get("permissions", {}).get("id-token") == "write":
            uses = [str(step.get("uses", "")) for step in job.get("steps", [])]
            signs = any(RELEASE_OIDC_ACTIONS.match(u) for u in uses)
            assert signs or any(API_COMMANDS.search(s) for s in scripts(job)), job.get("name")


def test_the_plan_workflow_gives_a_pull_request_no_secret() -> None:
    workflow = load("offers-plan.yml")
    assert set(triggers(workflow)) == {"pull_request"}
    text = (WORKFLOWS / "offers-plan.yml").read_text()
    assert "secrets." not in text and "secrets[" not in text
    for job in workflow["jobs"].values():
        assert "environment" not in job
        permissions = job.get("permissions", {})
        assert permissions.get("contents") in (None, "read")
        assert "write" not in {v for k, v in permissions.items() if k not in (
            "pull-requests", "id-token")}  # fmt: skip


def test_the_apply_workflow_runs_only_on_main_in_an_environment() -> None:
    workflow = load("offers-apply.yml")
    on = triggers(workflow)
    assert set(on) <= {"push", "workflow_dispatch"}
    assert on["push"]["branches"] == ["main"]
    assert "tags" not in on["push"] and "branches-ignore" not in on["push"]
    assert workflow["concurrency"]["cancel-in-progress"] is False
    for job in workflow["jobs"].values():
        if any("reconciler apply" in s for s in scripts(job)):
            assert job.get("environment"), "apply must run in a protected environment"
            if "workflow_dispatch" in on:
                # A manual run can start from any branch: the job itself must refuse it.
                assert "github.ref == 'refs/heads/main'" in str(job.get("if", ""))


def test_the_release_publishes_from_a_tag_in_its_own_environment_with_no_stored_token() -> None:
    workflow = load("release.yml")
    assert set(triggers(workflow)) == {"push"}
    assert set(triggers(workflow)["push"]) == {"tags"}
    text = (WORKFLOWS / "release.yml").read_text()
    assert "secrets." not in text and "password" not in text
    publish = workflow["jobs"]["publish"]
    assert publish["environment"]["name"] == "pypi"
    assert publish["permissions"] == {"id-token": "write"}
