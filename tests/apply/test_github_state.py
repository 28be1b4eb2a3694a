"""The ``github`` state backend through `reconciler apply`: the lock and the open journal in a
ref of the repository (the GitHub stand-in, with GitHub's compare-and-set semantics), so a
fresh runner with no local state follows the jobs a timed-out run left and sends nothing twice.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.cli.common import ApiTarget
from reconciler.cli.lock import backend_name, lock_for
from reconciler.emulator.server import EmbeddedEmulator
from reconciler.errors import EXIT_JOBS_RUNNING, EXIT_LOCKED, EXIT_OK, EXIT_STALE
from reconciler.settings import ApplySettings, Settings
from reconciler.state.remote import GitHubLock, StateDocument
from tests.apply.cli_support import posts, run, setup_project
from tests.apply.conftest import client, fast_settings
from tests.support.github_server import GitHubServer


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHubServer]:
    with GitHubServer() as gh:
        for key, value in {
            "GITHUB_API_URL": gh.url,
            "GITHUB_TOKEN": gh.token,
            "GITHUB_REPOSITORY": gh.repository,
            "GITHUB_SERVER_URL": "https://github.example",
            "GITHUB_RUN_ID": "4242",
            "RECONCILER_STATE_BACKEND": "github",
        }.items():
            monkeypatch.setenv(key, value)
        for key in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID"):
            monkeypatch.delenv(key, raising=False)
        yield gh


def checkout(root: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator) -> None:
    """A fresh clone on a fresh runner: its own folder, an empty state directory."""
    setup_project(root, monkeypatch, emu)
    monkeypatch.setenv("XDG_STATE_HOME", str(root / "empty-state-home"))


def names(emu: EmbeddedEmulator) -> Counter[str]:
    with client(emu, fast_settings(Path.cwd())) as c:
        return Counter(str(o.get("name")) for o in c.list_offers())


def state_refs(gh: GitHubServer) -> dict[str, str]:
    """The lock refs (the apply history keeps a ref of its own beside them)."""
    return {ref: sha for ref, sha in gh.git.refs.items() if "/state-" in ref}


def state_docs(gh: GitHubServer) -> list[StateDocument]:
    return [StateDocument.model_validate_json(gh.git.text_of(ref) or "") for ref in state_refs(gh)]


def first_run_exits_6(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator
) -> int:
    """Checkout one applies every offer; its jobs outlive --timeout (exit 6). POSTs sent."""
    checkout(tmp_path / "first", monkeypatch, emu)
    code, out, err = run("apply", "offers", "--auto-approve", "--timeout", "0.5", *shared(tmp_path))
    assert code == EXIT_JOBS_RUNNING, out + err
    return posts(emu)


def shared(tmp_path: Path) -> list[str]:
    """The same emulator for every checkout (its data folder keys the state)."""
    return ["--emulator", "--emulator-data", str(tmp_path / "emu")]


# A multi-offer request refused with a 400 (not failed in its job after 3 s): the first run
# has one job per offer open when it stops, which is what the second run must follow.
@pytest.mark.emulator(job_latency=3.0, multi_offer_requests="refused")
def test_a_fresh_runner_follows_the_open_jobs_from_the_state_ref_and_creates_nothing_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator, github: GitHubServer
) -> None:
    sent = first_run_exits_6(tmp_path, monkeypatch, emu)
    assert sent > 0
    # The lock and the open journal stay in the repository's state ref.
    (left,) = state_docs(github)
    assert left.owner.open_jobs and left.journals
    assert left.owner.run_url == "https://github.example/octo/offers/actions/runs/4242"

    # A second checkout with nothing local: it takes the lock over, follows those jobs.
    checkout(tmp_path / "second", monkeypatch, emu)
    code, out, err = run("apply", "offers", "--auto-approve", *shared(tmp_path))
    assert code == EXIT_OK, out + err
    assert "left jobs open" in err
    assert posts(emu) == sent  # nothing sent again
    live = names(emu)
    assert len(live) > 1 and set(live.values()) == {1}, live
    assert state_refs(github) == {}  # released: no jobs open any more
    code, out, err = run("plan", "offers", "--detailed-exitcode", *shared(tmp_path))
    assert code == EXIT_OK, out + err


@pytest.mark.emulator(job_latency=3.0, multi_offer_requests="refused")
def test_the_workflow_path_plan_then_apply_plan_json_on_a_fresh_runner_creates_nothing_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator, github: GitHubServer
) -> None:
    # The apply workflow plans (no lock) and then applies the saved plan: the plan was made
    # while the first run's jobs were still open, so its creates must not be sent again.
    sent = first_run_exits_6(tmp_path, monkeypatch, emu)
    checkout(tmp_path / "second", monkeypatch, emu)
    run("plan", "offers", "--out", "plan.json", *shared(tmp_path))
    code, out, err = run("apply", "plan.json", "--auto-approve", *shared(tmp_path))
    assert code in (EXIT_OK, EXIT_STALE), out + err
    assert posts(emu) == sent
    live = names(emu)
    assert len(live) > 1 and set(live.values()) == {1}, live
    assert state_refs(github) == {}
    code, out, err = run("plan", "offers", "--detailed-exitcode", *shared(tmp_path))
    assert code == EXIT_OK, out + err


@pytest.mark.emulator(job_latency=0.05)
def test_a_second_holder_waits_then_exits_7_naming_the_holder_and_lock_release_frees_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator, github: GitHubServer
) -> None:
    checkout(tmp_path / "repo", monkeypatch, emu)
    api = ApiTarget(emulator=True, emulator_data=tmp_path / "emu")
    holder = lock_for(api, fast_settings(Path.cwd()), "https://unused")
    assert isinstance(holder, GitHubLock)
    info = holder.acquire()

    code, out, err = run(
        "apply", "offers", "--auto-approve", "--lock-timeout", "1", *shared(tmp_path)
    )
    assert code == EXIT_LOCKED, out + err
    assert "waiting up to 1 s" in err and info.id in err and "locked" in err
    assert posts(emu) == 0
    code, out, _ = run("lock", "status", *shared(tmp_path))
    assert code == EXIT_OK and info.id in out and "[held]" in out
    code, out, _ = run("lock", "release", "not-the-id", *shared(tmp_path))
    assert code != EXIT_OK and len(state_refs(github)) == 1
    code, out, _ = run("lock", "release", info.id, *shared(tmp_path))
    assert code == EXIT_OK, out
    assert state_refs(github) == {}
    code, out, err = run("apply", "offers", "--auto-approve", *shared(tmp_path))
    assert code == EXIT_OK, out + err
    assert state_refs(github) == {}


@pytest.mark.emulator(job_latency=3.0)
def test_a_takeover_based_on_a_stale_commit_gets_422_and_sends_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator, github: GitHubServer
) -> None:
    import re

    sent = first_run_exits_6(tmp_path, monkeypatch, emu)
    ((ref, base),) = state_refs(github).items()

    # Another runner takes the lock over between this runner's read and its write.
    def other_runner_writes() -> None:
        left = StateDocument.model_validate_json(github.git.text_of(ref) or "")
        other = left.owner.model_copy(update={"id": "0therrunner0", "open_jobs": False})
        text = StateDocument(owner=other, journals=left.journals).model_dump_json()
        blob = github.git.put_blob(text.encode())
        tree = github.git.put_tree([{"path": "state.json", "mode": "100644", "sha": blob}])
        github.git.refs[ref] = github.git.put_commit("other", tree, [base])

    github.git.before.append(("PATCH", re.compile(r"^/git/refs/"), other_runner_writes))
    checkout(tmp_path / "second", monkeypatch, emu)
    before = len(github.requests)
    code, out, err = run("apply", "offers", "--auto-approve", *shared(tmp_path))
    assert code == EXIT_LOCKED, out + err
    assert "0therrunner0" in err
    refused = [r for r in github.requests[before:] if r.method == "PATCH"]
    assert len(refused) == 1 and refused[0].json["force"] is False
    assert posts(emu) == sent  # nothing sent
    assert not (tmp_path / "second" / ".reconciler").exists()  # nor any journal taken over
    (doc,) = state_docs(github)
    assert doc.owner.id == "0therrunner0"


def test_the_backend_is_github_in_actions_with_a_token_else_local() -> None:
    settings = Settings()
    actions = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_TOKEN": "t",
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_API_URL": "https://api.github.com",
    }
    assert backend_name(settings, actions) == "github"
    assert backend_name(settings, {**actions, "GITHUB_TOKEN": ""}) == "local"
    assert backend_name(settings, {}) == "local"
    assert backend_name(settings, {**actions, "RECONCILER_STATE_BACKEND": "local"}) == "local"
    chosen = Settings(apply=ApplySettings(state_backend="github"))
    assert backend_name(chosen, {}) == "github"
    assert json.loads(chosen.model_dump_json())["apply"]["state_backend"] == "github"


@pytest.mark.emulator(job_latency=0.05)
def test_a_fresh_runner_finishes_a_recreate_the_last_runner_left_half_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator, github: GitHubServer
) -> None:
    checkout(tmp_path / "first", monkeypatch, emu)
    code, out, err = run("apply", "offers", "--auto-approve", *shared(tmp_path))
    assert code == EXIT_OK, out + err
    csp = Path("offers/csp-promotion.yaml")
    csp.write_text(csp.read_text().replace("discountPercentage: 5", "discountPercentage: 6", 1))
    emu.admin.settings(job_latency=0.6)  # the create outlives the run: exit 6 after step 1
    flags = ("--allow-republish", "--auto-approve")
    code, out, err = run("apply", "offers", *flags, "--timeout", "0.3", *shared(tmp_path))
    assert code == EXIT_JOBS_RUNNING, out + err
    emu.admin.settings(job_latency=0.05)

    checkout(tmp_path / "second", monkeypatch, emu)  # the merged change, on a new runner
    csp.write_text(csp.read_text().replace("discountPercentage: 5", "discountPercentage: 6", 1))
    code, out, err = run("apply", "offers", *flags, *shared(tmp_path))
    assert code == EXIT_OK, out + err
    with client(emu, fast_settings(Path.cwd())) as c:
        live = Counter(str(o["name"]) for o in c.list_offers() if o["state"] == "live")
    assert set(live.values()) == {1}, live  # the old CSP offer was withdrawn, not left
    assert state_refs(github) == {}
    code, out, err = run("plan", "offers", "--detailed-exitcode", *shared(tmp_path))
    assert code == EXIT_OK, out + err
