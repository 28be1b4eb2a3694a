"""offers-drift.yml, run as written: one issue for a live edit, closed once it is re-applied."""

from __future__ import annotations

import pytest

from tests.support.github_server import GitHubServer

from .harness import Repository, event
from .scenarios import ALLOW_REPUBLISH, DISCOUNT_FILE, WOODGROVE
from .steps import live_edit

# act is an external runner whose job log, under a loaded machine, has once lost a step's last
# line; one rerun tells such a hiccup from a broken workflow, which fails both times.
pytestmark = pytest.mark.flaky(reruns=1)


def test_a_live_edit_opens_one_drift_issue_and_a_reapply_closes_it(
    live_repo: Repository, github: GitHubServer
) -> None:
    repo = live_repo
    # main allows the republish that re-applying a live offer needs
    text = (repo.path / DISCOUNT_FILE).read_text(encoding="utf-8")
    repo.write(DISCOUNT_FILE, text.replace(*ALLOW_REPUBLISH, 1))
    repo.commit("allow republishing the Woodgrove offer")
    live_edit(repo, WOODGROVE, {"notificationContacts": ["someone@contoso.com"]})

    found = repo.run("offers-drift.yml", "schedule", event("schedule"))
    assert found.succeeded, found.failure()
    (issue,) = github.real_issues()
    assert issue["state"] == "open" and WOODGROVE in issue["body"]
    assert "notificationContacts" in found.artifact("offers-drift")["drift.md"]
    # The deal desk's page of every offer rides along with the drift report.
    report = found.artifact("offers-drift")["offers-report.html"]
    assert WOODGROVE in report and "<svg" in report
    # The issue is rendered from drift.json: git and live side by side, with when first seen.
    assert "| Live now | First seen |" in issue["body"] and "someone@contoso.com" in issue["body"]
    # The read-only app, asked for as main (never as the applying environment).
    # (drift and the offers report each ask for one.)
    assert {c["sub"] for c in github.oidc_issued} == {"repo:octo/offers:ref:refs/heads/main"}
    assert len(github.oidc_issued) == 2

    # Restoring git is a run by hand whose plan the offers environment's reviewers approve.
    reapplied = repo.run(
        "offers-apply.yml",
        "workflow_dispatch",
        event("workflow_dispatch", inputs={"apply_unseen": True}),
    )
    assert reapplied.succeeded, reapplied.failure()

    cleared = repo.run("offers-drift.yml", "schedule", event("schedule"))
    assert cleared.succeeded, cleared.failure()
    (issue,) = github.real_issues()
    assert issue["state"] == "closed"
