"""A failed apply is not drift: the next drift run says "approved in git, not applied yet"
and suggests applying again, never importing; import keeps git's approved values; the
suggested fix, run, leaves no drift. A run finished by `jobs resume` is recorded the same."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.apply.session import target_for
from reconciler.emulator.server import EmbeddedEmulator
from reconciler.errors import EXIT_CHANGES, EXIT_JOBS_FAILED, EXIT_JOBS_RUNNING, EXIT_OK
from reconciler.state.history import LocalHistory
from tests.apply.cli_support import EMU, FAST, fault_at_post, git, live, run, setup_project
from tests.support.github_server import GitHubServer

CUSTOMER = "offers/customer-percentage.yaml"
WOODGROVE = "Woodgrove Bank Analytics discount 2027"
NEW = "offers/northwind.yaml"
NEW_NAME = "Northwind Traders Analytics discount 2027"


@pytest.fixture(params=["local", "github"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Where the apply history is kept: this machine, or a ref of the repository."""
    if request.param == "local":
        yield "local"
        return
    with GitHubServer() as gh:
        for key, value in {
            "GITHUB_API_URL": gh.url,
            "GITHUB_TOKEN": gh.token,
            "GITHUB_REPOSITORY": gh.repository,
            "RECONCILER_STATE_BACKEND": "github",
        }.items():
            monkeypatch.setenv(key, value)
        yield "github"


@pytest.mark.emulator(job_latency=0.05)
def test_one_failed_job_is_approved_not_applied_and_the_fix_is_to_apply_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator, backend: str
) -> None:
    setup_project(tmp_path, monkeypatch, emu)
    # One offer per request, so one job can fail while the others succeed.
    (tmp_path / "reconciler.toml").write_text(FAST + "max-resources-per-request = 1\n")
    (tmp_path / ".gitignore").write_text("emu/\n.reconciler/\n")
    code, out, err = run("apply", CUSTOMER, "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    # The merged change: Woodgrove 10 -> 12 % (a republish) and a new offer.
    text = Path(CUSTOMER).read_text()
    Path(NEW).write_text(text.replace(WOODGROVE, NEW_NAME))
    text = text.replace("discountPercentage: 10\n", "discountPercentage: 12\n")
    Path(CUSTOMER).write_text(
        text.replace("state: live\n", "state: live\nreconciler:\n  allowRepublish: true\n")
    )
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "offers")

    # Wave 1: the create and the republish's withdraw; the 3rd request, its update, fails.
    with fault_at_post(emu, 3, "fail_job"):
        code, out, err = run("apply", CUSTOMER, NEW, "--auto-approve", *EMU)
    assert code == EXIT_JOBS_FAILED, out + err
    offers = live(emu)
    assert offers[NEW_NAME]["state"] == "live"  # the other change was applied
    assert offers[WOODGROVE]["state"] != "live"  # withdrawn, its update failed

    if backend == "github":
        # The drift job runs on a fresh runner: nothing of the apply job's machine is left.
        monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "fresh-runner-state"))
    code, out, err = run("drift", CUSTOMER, NEW, *EMU)
    assert code == EXIT_CHANGES, out + err
    assert "Changed outside git" not in out
    assert "approved in git, not applied yet: the apply of" in out
    assert "ended failed" in out
    assert "fix: apply git again" in out and "do not import" in out

    # Import keeps what git approved: it never writes the old 10 % or the draft back.
    code, out, err = run("import", "--name", WOODGROVE, "--dry-run", *EMU)
    assert "discountPercentage: 10\n" not in out, out + err
    assert "approved in git, not applied yet" in out + err

    # The suggested fix, run: no drift left.
    code, out, err = run("apply", CUSTOMER, NEW, "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    code, out, err = run("drift", CUSTOMER, NEW, *EMU)
    assert code == EXIT_OK, out + err
    assert live(emu)[WOODGROVE]["pricing"][0]["discountPercentage"] == 12  # type: ignore[index]


@pytest.mark.emulator(job_latency=1.0)
def test_jobs_resume_records_how_the_apply_ended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator
) -> None:
    """An apply that stops waiting (its job still running) records "running"; the job then
    fails, and `jobs resume` records that, as apply would have: drift says it failed."""
    setup_project(tmp_path, monkeypatch, emu)
    draft = Path(CUSTOMER).read_text().replace("state: live\n", "state: draft\n")
    Path(CUSTOMER).write_text(draft)
    code, out, err = run("apply", CUSTOMER, "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    Path(CUSTOMER).write_text(draft.replace("Percentage: 10\n", "Percentage: 12\n"))
    (tmp_path / ".gitignore").write_text("emu/\n.reconciler/\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-q", "-m", "12 %")  # approved in git
    with fault_at_post(emu, 1, "fail_job"):
        code, out, err = run("apply", CUSTOMER, "--auto-approve", "--timeout", "0.2", *EMU)
    assert code == EXIT_JOBS_RUNNING, out + err
    history = LocalHistory(target_for("", emulator_data=Path("emu")), "publisher")
    assert history.load().offers[CUSTOMER].status == "running"

    code, out, err = run("jobs", "resume", *EMU)
    assert code == EXIT_JOBS_FAILED, out + err
    assert history.load().offers[CUSTOMER].status == "failed"
    code, out, err = run("drift", CUSTOMER, *EMU)
    assert code == EXIT_CHANGES, out + err
    assert "approved in git, not applied yet: the apply of" in out
    assert "ended failed" in out and "ended running" not in out
