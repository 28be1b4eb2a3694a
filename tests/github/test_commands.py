"""`reconciler github ...` run as the workflows run it, against the GitHub stand-in."""

from __future__ import annotations

from pathlib import Path

from tests.github.conftest import Workflow, pr_event, push_event

MARKER = "<!-- reconciler:plan -->"
BOT = "github-actions[bot]"


def bot_comments(workflow: Workflow, number: int, marker: str = MARKER) -> list[dict]:
    return [
        c
        for c in workflow.server.comments_on(number)
        if c["user"]["login"] == BOT and marker in c["body"]
    ]


def test_two_plan_runs_leave_one_comment_with_the_latest_plan(workflow: Workflow) -> None:
    server = workflow.server
    pr = server.add_pull(7)
    # Three earlier comments (two pages at page_size=2), one of them a human quoting our marker:
    server.add_comment(pr, "looks good", login="alice")
    server.add_comment(pr, f"copied: {MARKER} please ignore", login="mallory")
    server.add_comment(pr, "another remark", login="bob")

    first = workflow.plan_md("## Offers plan\n\n1 to create: **Contoso Q3**\n")
    result = workflow.run(
        "github", "comment-plan", "--body-file", str(first), event=pr_event(pr, sha="1" * 40)
    )
    assert result.code == 0, result.err
    assert "plan comment created on #7" in result.out

    second = workflow.plan_md("## Offers plan\n\n1 to update: **Contoso Q4**\n")
    result = workflow.run(
        "github", "comment-plan", "--body-file", str(second), event=pr_event(pr, sha="2" * 40)
    )
    assert result.code == 0, result.err
    assert "plan comment updated on #7" in result.out

    ours = bot_comments(workflow, pr)
    assert len(ours) == 1
    body = ours[0]["body"]
    assert "Contoso Q4" in body and "Contoso Q3" not in body
    assert "https://github.example/octo/offers/actions/runs/4242" in body
    assert "What happens on merge" in body
    # The first run survives as history, the human's comment is untouched.
    assert "Previous runs" in body and "`1111111`" in body
    assert any(c["body"].startswith("copied:") for c in server.comments_on(pr))
    assert len(server.comments_on(pr)) == 4
    # The scan followed the Link header to the second page.
    pages = [
        r.query.get("page")
        for r in server.requests
        if r.path.endswith(f"/issues/{pr}/comments") and r.method == "GET"
    ]
    assert "2" in pages
    outputs = workflow.output_path.read_text()
    assert "comment_action<<" in outputs and "\nupdated\n" in outputs


def test_an_identical_plan_is_not_sent_again(workflow: Workflow) -> None:
    pr = workflow.server.add_pull(3)
    body = workflow.plan_md("## Offers plan\n\nNo changes.\n")
    for _ in range(2):
        result = workflow.run(
            "github", "comment-plan", "--body-file", str(body), event=pr_event(pr)
        )
        assert result.code == 0
    assert "plan comment unchanged" in result.out
    assert len(workflow.server.writes()) == 1  # the first POST only


def test_requests_carry_the_api_headers_and_the_token(workflow: Workflow) -> None:
    pr = workflow.server.add_pull(3)
    body = workflow.plan_md("plan\n")
    assert (
        workflow.run("github", "comment-plan", "--body-file", str(body), event=pr_event(pr)).code
        == 0
    )
    for request in workflow.server.requests:
        assert request.headers["accept"] == "application/vnd.github+json"
        assert request.headers["x-github-api-version"] == "2022-11-28"
        assert request.headers["authorization"] == f"Bearer {workflow.server.token}"
    # GET /user is never needed (it is forbidden to GITHUB_TOKEN).
    assert not any(r.path == "/user" for r in workflow.server.requests)


def test_the_plan_summary_says_what_happens_on_merge(workflow: Workflow) -> None:
    pr = workflow.server.add_pull(5)
    checksum = "sha256:" + "f" * 64
    body = workflow.plan_md("plan\n", checksum)
    summary = {
        "summary": {"create": 1, "withdraw": 3},
        "has_changes": True,
        "is_blocked": True,
        "safety": {"violations": [{"rule": "withdraw-threshold"}], "forced": False},
    }
    blocked = workflow.plan_json(summary, checksum)
    args = ("github", "comment-plan", "--body-file", str(body), "--summary-json", str(blocked))
    assert workflow.run(*args, event=pr_event(pr)).code == 0
    text = bot_comments(workflow, pr)[0]["body"]
    assert "nothing is applied" in text and "**blocked**" in text  # a guard: the whole plan
    assert "sha256:ffff" in text

    # Only some offers blocked: they are left alone, the rest is applied.
    del summary["safety"]
    workflow.plan_json(summary, checksum)
    assert workflow.run(*args, event=pr_event(pr, sha="b" * 40)).code == 0
    text = bot_comments(workflow, pr)[0]["body"]
    assert "the **blocked** offers are left alone" in text and "nothing is applied" not in text

    workflow.plan_md("plan\n")
    workflow.plan_json({"summary": {"create": 0}, "has_changes": False, "is_blocked": False})
    assert workflow.run(*args, event=pr_event(pr, sha="c" * 40)).code == 0
    assert "nothing to apply" in bot_comments(workflow, pr)[0]["body"]


def test_merge_reports_the_outcome_on_the_merged_pull_request(workflow: Workflow) -> None:
    server = workflow.server
    merge_sha = "d" * 40
    pr = server.add_pull(11, merge_commit_sha=merge_sha, merged=True)
    other = server.add_pull(12)
    plan = workflow.plan_md("## Offers plan\n\n1 to create: Fabrikam EA\n")
    for number in (pr, other):
        assert (
            workflow.run(
                "github", "comment-plan", "--body-file", str(plan), event=pr_event(number)
            ).code
            == 0
        )

    apply_md = workflow.write(
        "apply.md", "| Offer | Result |\n|---|---|\n| Fabrikam EA | failed: InvalidPrice |\n"
    )
    result = workflow.run(
        "github",
        "report-apply",
        "--body-file",
        str(apply_md),
        "--sha",
        merge_sha,
        "--exit-code",
        "5",
        event=push_event(merge_sha),
        event_name="push",
        sha=merge_sha,
    )
    assert result.code == 0, result.err
    assert "apply outcome posted on #11" in result.out

    outcome = [c for c in server.comments_on(pr) if "<!-- reconciler:apply -->" in c["body"]]
    assert len(outcome) == 1
    assert "some jobs failed" in outcome[0]["body"] and "InvalidPrice" in outcome[0]["body"]
    sticky = bot_comments(workflow, pr)
    assert len(sticky) == 1
    # the approved plan stays; the outcome is a section below it, linking to the report
    body = sticky[0]["body"]
    assert "1 to create: Fabrikam EA" in body
    assert body.index("1 to create: Fabrikam EA") < body.index("Applied after merge")
    assert "some jobs failed" in body and "[apply report](" in body
    assert body.rstrip().endswith("-->") and body.count("reconciler:meta") == 1
    # The other pull request is untouched.
    assert "1 to create: Fabrikam EA" in bot_comments(workflow, other)[0]["body"]
    assert not any("reconciler:apply" in c["body"] for c in server.comments_on(other))


def test_apply_on_a_commit_without_pull_request_reports_to_the_summary(workflow: Workflow) -> None:
    apply_md = workflow.write("apply.md", "applied directly\n")
    sha = "e" * 40
    result = workflow.run(
        "github",
        "report-apply",
        "--body-file",
        str(apply_md),
        event=push_event(sha),
        event_name="push",
        sha=sha,
    )
    assert result.code == 0
    assert "no pull request found" in result.out + result.err
    assert "applied directly" in workflow.summary()
    assert workflow.server.writes() == []


def test_drift_issue_is_opened_updated_closed_and_reopened(workflow: Workflow) -> None:
    server = workflow.server
    sha = "f" * 40
    event = {"schedule": "0 6 * * *", "repository": {"full_name": "octo/offers"}}
    report = workflow.write("drift.md", "1 offer changed outside git: Contoso Q3\n")

    def drift(flag: str) -> str:
        result = workflow.run(
            "github",
            "drift-issue",
            "--body-file",
            str(report),
            flag,
            event=event,
            event_name="schedule",
            sha=sha,
        )
        assert result.code == 0, result.err
        return result.out

    assert "opened" in drift("--drift")
    issues = server.real_issues()
    assert len(issues) == 1
    issue = issues[0]
    assert issue["title"] == "Private offers drifted from git"
    assert [label["name"] for label in issue["labels"]] == ["offers-drift"]
    assert "Contoso Q3" in issue["body"] and "<!-- reconciler:drift -->" in issue["body"]
    assert "| 1 |" in issue["body"]

    workflow.write("drift.md", "2 offers changed outside git: Contoso Q3, Northwind\n")
    assert "updated" in drift("--drift")
    issues = server.real_issues()
    assert len(issues) == 1 and issues[0]["state"] == "open"
    assert "Northwind" in issues[0]["body"] and "| 2 |" in issues[0]["body"]

    assert "closed" in drift("--no-drift")
    issue = server.real_issues()[0]
    assert issue["state"] == "closed"
    closing = server.comments_on(issue["number"])
    assert len(closing) == 1 and "Drift resolved" in closing[0]["body"]

    assert "none" in drift("--no-drift")  # nothing open: nothing to do
    assert "reopened" in drift("--drift")
    issues = server.real_issues()
    assert len(issues) == 1 and issues[0]["state"] == "open" and "| 1 |" in issues[0]["body"]


def test_drift_ignores_issues_it_does_not_own(workflow: Workflow) -> None:
    server = workflow.server
    # An issue by a user, with our label and our marker pasted in.
    with server._lock:
        server.issues[50] = {
            "number": 50,
            "title": "copy",
            "body": "<!-- reconciler:drift --> mine",
            "state": "open",
            "labels": [{"name": "offers-drift"}],
            "user": {"login": "mallory"},
            "updated_at": "2030",
        }
    report = workflow.write("drift.md", "drift\n")
    result = workflow.run(
        "github",
        "drift-issue",
        "--body-file",
        str(report),
        "--drift",
        event={},
        event_name="workflow_dispatch",
    )
    assert result.code == 0
    ours = [i for i in server.real_issues() if i["user"]["login"] == BOT]
    assert len(ours) == 1
    assert server.issues[50]["body"] == "<!-- reconciler:drift --> mine"


def test_a_fork_pull_request_posts_nothing_and_succeeds(workflow: Workflow) -> None:
    server = workflow.server
    server.read_only = True  # what a fork's token would get
    pr = server.add_pull(9, head_repo="stranger/offers")
    body = workflow.plan_md("## Offers plan\n\n1 to update\n")
    for extra in ((), ("--strict",)):
        result = workflow.run(
            "github",
            "comment-plan",
            "--body-file",
            str(body),
            *extra,
            event=pr_event(pr, head_repo="stranger/offers"),
        )
        assert result.code == 0
    assert server.requests == []
    summary = workflow.summary()
    assert "pull request from a fork" in summary
    assert "1 to update" in summary
    assert "::warning" in result.out


def test_a_missing_token_degrades_to_the_summary(workflow: Workflow) -> None:
    pr = workflow.server.add_pull(4)
    body = workflow.plan_md("the plan\n")
    result = workflow.run(
        "github", "comment-plan", "--body-file", str(body), event=pr_event(pr), token=False
    )
    assert result.code == 0
    assert "no GITHUB_TOKEN" in workflow.summary() and "the plan" in workflow.summary()
    strict = workflow.run(
        "github",
        "comment-plan",
        "--body-file",
        str(body),
        "--strict",
        event=pr_event(pr),
        token=False,
    )
    assert strict.code == 1
    assert "no GITHUB_TOKEN" in strict.err


def test_a_server_error_on_comment_does_not_fail_the_plan(workflow: Workflow) -> None:
    server = workflow.server
    pr = server.add_pull(8)
    server.fail(500, method="POST", path=r"/comments$", count=5)
    body = workflow.plan_md("the plan\n")
    result = workflow.run("github", "comment-plan", "--body-file", str(body), event=pr_event(pr))
    assert result.code == 0
    assert "could not be posted" in result.out  # the ::warning annotation
    assert "HTTP 500" in result.out
    assert "the plan" in workflow.summary()
    # A POST that failed with 5xx is not re-sent blindly (it might have been created).
    assert len([r for r in server.requests if r.method == "POST"]) == 1

    strict = workflow.run(
        "github", "comment-plan", "--body-file", str(body), "--strict", event=pr_event(pr)
    )
    assert strict.code == 1
    assert "HTTP 500" in strict.err


def test_a_transient_server_error_is_retried(workflow: Workflow) -> None:
    server = workflow.server
    pr = server.add_pull(8)
    server.fail(502, method="GET", path=r"/comments$", count=1, headers={"Retry-After": "0"})
    body = workflow.plan_md("the plan\n")
    result = workflow.run("github", "comment-plan", "--body-file", str(body), event=pr_event(pr))
    assert result.code == 0
    assert len(bot_comments(workflow, pr)) == 1


def test_a_missing_plan_file_still_tells_the_reviewer(workflow: Workflow) -> None:
    pr = workflow.server.add_pull(2)
    result = workflow.run(
        "github", "comment-plan", "--body-file", str(workflow.tmp / "nope.md"), event=pr_event(pr)
    )
    assert result.code == 0
    assert "plan failed" in bot_comments(workflow, pr)[0]["body"]


def test_an_environment_gets_its_own_sticky_comment(workflow: Workflow) -> None:
    Path("reconciler.toml").write_text("[environments.prod]\noffers = 'offers'\n")
    pr = workflow.server.add_pull(6)
    body = workflow.plan_md("plan\n")
    assert (
        workflow.run("github", "comment-plan", "--body-file", str(body), event=pr_event(pr)).code
        == 0
    )
    assert (
        workflow.run(
            "-e", "prod", "github", "comment-plan", "--body-file", str(body), event=pr_event(pr)
        ).code
        == 0
    )
    bodies = [c["body"] for c in workflow.server.comments_on(pr)]
    assert len(bodies) == 2
    assert any("<!-- reconciler:plan env=prod -->" in b for b in bodies)


def test_a_huge_plan_is_trimmed_safely_under_the_comment_limit(workflow: Workflow) -> None:
    pr = workflow.server.add_pull(30)
    block = (
        "<details><summary>offer</summary>\n\n```diff\n"
        + "+ a changed line\n" * 100
        + "```\n\n</details>\n\n"
    )
    body = workflow.plan_md("## Offers plan\n\n" + block * 60)
    result = workflow.run("github", "comment-plan", "--body-file", str(body), event=pr_event(pr))
    assert result.code == 0, result.err
    posted = bot_comments(workflow, pr)[0]["body"]  # the stand-in answers 422 over 65,536
    assert len(posted) <= 65_536
    assert "**Plan truncated** (comment size limit); the full plan is in the [artifact" in posted
    assert "offers-plan" in posted
    head = posted[: posted.index("Plan truncated")]
    assert head.count("<details>") == head.count("</details>") and head.count("```") % 2 == 0
    assert posted.rstrip().endswith("-->")


def test_the_plan_sets_outcome_labels_and_keeps_other_labels(workflow: Workflow) -> None:
    server = workflow.server
    pr = server.add_pull(40)
    server.issues[pr]["labels"].append({"name": "needs-review"})
    plan = workflow.plan_md("## Offers plan\n")

    def comment(summary: dict[str, object]) -> list[str]:
        workflow.plan_json(summary)
        result = workflow.run(
            "github", "comment-plan", "--body-file", str(plan), "--summary-json",
            str(workflow.tmp / "plan.json"),
            event=pr_event(pr),
        )  # fmt: skip
        assert result.code == 0, result.err
        return sorted(label["name"] for label in server.issues[pr]["labels"])

    withdrawing = {"has_changes": True, "is_blocked": True, "summary": {"withdraw": 2}}
    assert comment(withdrawing) == [
        "needs-review", "offers:blocked", "offers:changes", "offers:destructive",
    ]  # fmt: skip
    nothing = {"has_changes": False, "is_blocked": False, "summary": {"unchanged": 3}}
    assert comment(nothing) == ["needs-review", "offers:no-changes"]


def test_a_label_failure_does_not_fail_the_plan_comment(workflow: Workflow) -> None:
    server = workflow.server
    pr = server.add_pull(41)
    server.fail(403, method="POST", path=r"/labels$")
    workflow.plan_json({"has_changes": True, "summary": {"create": 1}})
    plan = workflow.plan_md("## Offers plan\n")
    result = workflow.run(
        "github", "comment-plan", "--body-file", str(plan), "--summary-json",
            str(workflow.tmp / "plan.json"),
        event=pr_event(pr),
    )  # fmt: skip
    assert result.code == 0, result.err
    assert len(bot_comments(workflow, pr)) == 1
    assert "plan labels not updated" in result.err
