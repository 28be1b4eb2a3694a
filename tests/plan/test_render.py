"""Renderers: markdown that renders inert on GitHub, JSON valid against its schema, text."""

from __future__ import annotations

import json

import jsonschema
from markdown_it import MarkdownIt

from reconciler.plan.baseline import Baseline
from reconciler.plan.changes import FieldChange
from reconciler.plan.live import LiveState
from reconciler.plan.planner import PlanOptions, make_plan
from reconciler.render import render_json, render_markdown, render_text
from reconciler.secrets import REGISTRY
from reconciler.settings import Settings

from .conftest import REPO, FakeAccount, customer_file, examples

EVIL = "Evil <img src=x onerror=alert(1)> [link](https://evil.example) @octocat ```"


def _md(text: str) -> list:
    return MarkdownIt("commonmark").enable("table").parse(text)


def _mixed_plan(settings: Settings):
    account = FakeAccount()
    base = [customer_file(settings, name="Drifted", path="offers/d.yaml", state="draft")]
    account.create_from(make_plan(base, LiveState(), settings))
    account.live.offers[0]["preparedBy"] = "other@contoso.com"
    files = [
        customer_file(settings, name="Drifted", path="offers/d.yaml", state="draft"),
        customer_file(settings, name="Brand new", path="offers/n.yaml"),
    ]
    baseline = Baseline(
        ref="main", bodies={"offers/d.yaml": files[0].api_body(), "offers/n.yaml": None}
    )
    return make_plan(files, account.live, settings, baseline=baseline)


def test_markdown_structure_table_details_and_balanced_fences(settings: Settings) -> None:
    text = render_markdown(_mixed_plan(settings))
    tokens = _md(text)
    types = [t.type for t in tokens]
    assert "table_open" in types
    fences = [t for t in tokens if t.type == "fence"]
    assert fences and all(t.info == "diff" for t in fences)
    html = [t.content for t in tokens if t.type in ("html_block", "html_inline")]
    assert any("<details" in h for h in html)
    assert text.count("<details") == text.count("</details>")
    assert "changed outside git" in text.lower()
    assert "+ state" in text or "+ name" in text
    # a changed value is a -/+ pair, which GitHub colours in a diff block ("~" stays plain)
    diff = "\n".join(t.content for t in fences)
    assert '- preparedBy: "other@contoso.com"' in diff
    assert any(line.startswith("+ preparedBy: ") for line in diff.splitlines())
    assert not any(line.startswith("~") for line in diff.splitlines())


def test_user_content_renders_inert(settings: Settings) -> None:
    f = customer_file(settings, name="Evil", path="offers/e.yaml")
    plan = make_plan([f], LiveState(), settings)
    plan.changes[
        0
    ].offer_name = EVIL  # names are validated by the loader; prove the renderer anyway
    plan.changes[0].field_changes[0] = FieldChange(
        path="notes", old=None, new="```\n<script>alert(1)</script>", origin="git", op="add"
    )
    text = render_markdown(plan)
    tokens = _md(text)
    for token in tokens:
        if token.type in ("html_block", "html_inline"):
            assert "<img" not in token.content and "<script" not in token.content
        for child in token.children or []:
            assert child.type != "link_open", child
            if child.type == "html_inline":
                assert "<img" not in child.content
    fences = [t for t in tokens if t.type == "fence"]
    assert any("<script>" in t.content for t in fences)  # shown, inside the code block only
    assert "@octocat" not in text  # mention broken


def test_markdown_stays_under_budget_and_says_what_is_missing(settings: Settings) -> None:
    files = [
        customer_file(settings, name=f"Offer {i:03}", path=f"offers/{i:03}.yaml") for i in range(60)
    ]
    plan = make_plan(files, LiveState(), settings, options=PlanOptions(force=True))
    text = render_markdown(plan, budget=20_000)
    assert len(text) <= 20_000
    assert "more offers not shown" in text
    assert text.count("<details>") == text.count("</details>")
    fences = [t for t in _md(text) if t.type == "fence"]
    assert all(t.content for t in fences)


def test_json_plan_validates_against_its_schema(settings: Settings) -> None:
    schema = json.loads((REPO / "schemas" / "plan.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    for plan in (make_plan(examples(settings), LiveState(), settings), _mixed_plan(settings)):
        jsonschema.validate(json.loads(render_json(plan)), schema)
        jsonschema.validate(json.loads(plan.to_json()), schema)


def test_text_has_a_summary_line_and_symbols(settings: Settings) -> None:
    text = render_text(_mixed_plan(settings))
    assert text.rstrip().endswith("Plan: 1 to create, 1 to update.")
    assert '~ preparedBy: "other@contoso.com" -> "amy@contoso.com"' in text
    assert "\x1b[" not in text
    assert "\x1b[" in render_text(_mixed_plan(settings), colour=True)


def test_secrets_from_env_are_templated_and_redacted(settings: Settings, monkeypatch) -> None:
    secret_url = "https://legal.blob.core.windows.net/t/terms.pdf?sv=1&sig=SECRETSIGNATURE123"
    monkeypatch.setenv("TERMS_SAS_URL", secret_url)
    settings = settings.model_copy(update={"env": ["TERMS_SAS_URL"]})
    f = customer_file(settings, extra="termsAndConditionsDocSasUrl: ${TERMS_SAS_URL}\n")
    plan = make_plan([f], LiveState(), settings)
    saved = plan.to_json()
    assert "SECRETSIGNATURE123" not in saved and "${TERMS_SAS_URL}" in saved
    REGISTRY.add_secret(secret_url)
    for out in (render_text(plan), render_markdown(plan), render_json(plan)):
        assert "SECRETSIGNATURE123" not in out
