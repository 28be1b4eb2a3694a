"""Step summary, step outputs and annotations: the exact runner formats."""

from __future__ import annotations

import io
import re
from pathlib import Path

from reconciler.github import annotate_error, annotate_warning, write_outputs, write_step_summary
from reconciler.github.actions import STEP_SUMMARY_LIMIT, format_outputs
from reconciler.secrets import add_secret


def parse_outputs(text: str) -> dict[str, str]:
    """The runner's parser for $GITHUB_OUTPUT (name=value and name<<DELIM forms)."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line:
            i += 1
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delim = line.split("<<", 1)
            end = lines.index(delim, i + 1)
            values[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
        else:
            name, value = line.split("=", 1)
            values[name] = value
            i += 1
    return values


def test_annotation_escapes_data_and_properties_exactly() -> None:
    out = io.StringIO()
    line = annotate_error("offers/q3 a.yaml", 12, "bad 100%\r\nvalue", title="x: y, z", stream=out)
    assert line == "::error file=offers/q3 a.yaml,line=12,title=x%3A y%2C z::bad 100%25%0D%0Avalue"
    assert out.getvalue() == line + "\n"
    # Properties escape ':' and ',' (a file path with a comma), the message does not.
    assert (
        annotate_error("a,b:c.yaml", 3, "a: b, c", stream=out)
        == "::error file=a%2Cb%3Ac.yaml,line=3::a: b, c"
    )
    assert annotate_error(None, None, "plain", stream=out) == "::error::plain"
    assert annotate_warning("f.yaml", 0, "w", stream=out) == "::warning file=f.yaml::w"


def test_annotations_never_show_a_secret() -> None:
    add_secret("hunter2-super-secret")
    line = annotate_error("f.yaml", 1, "token hunter2-super-secret leaked", stream=io.StringIO())
    assert "hunter2" not in line and "***" in line


def test_outputs_are_multiline_safe_with_random_delimiters(tmp_path: Path) -> None:
    path = tmp_path / "out"
    env = {"GITHUB_OUTPUT": str(path)}
    assert write_outputs({"changes": 3, "blocked": False, "note": "line1\nevil=1\nline3"}, env=env)
    assert write_outputs({"plan_path": "plan.json", "counts": {"create": 1}, "none": None}, env=env)
    text = path.read_text()
    assert parse_outputs(text) == {
        "changes": "3",
        "blocked": "false",
        "note": "line1\nevil=1\nline3",
        "plan_path": "plan.json",
        "counts": '{"create":1}',
        "none": "",
    }
    delimiters = re.findall(r"^\w+<<(.+)$", text, re.M)
    assert len(delimiters) == 6 and len(set(delimiters)) == 6
    assert all(d.startswith("ghadelimiter_") for d in delimiters)


def test_output_format_is_exact() -> None:
    assert format_outputs({"a": "x\ny"}, delimiter="EOF") == "a<<EOF\nx\ny\nEOF\n"


def test_no_output_file_means_no_write() -> None:
    assert write_outputs({"a": 1}, env={}) is False
    assert write_step_summary("x", env={}) is False


def test_step_summary_appends_and_redacts(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(path)}
    add_secret("sv=2024&sig=abc-secret-signature")
    write_step_summary("# Plan\n\nurl: https://x/y?sv=2024&sig=abc-secret-signature", env=env)
    write_step_summary("# Apply", env=env)
    text = path.read_text()
    assert text.startswith("# Plan") and "\n# Apply\n" in text
    assert "abc-secret-signature" not in text


def test_step_summary_stays_under_one_mebibyte_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    env = {"GITHUB_STEP_SUMMARY": str(path)}
    block = (
        "<details><summary>offer</summary>\n\n```diff\n"
        + "+ é line of diff\n" * 200
        + "```\n\n</details>\n\n"
    )
    write_step_summary("# Big plan\n\n" + block * 500, env=env)
    data = path.read_bytes()
    assert len(data) <= STEP_SUMMARY_LIMIT
    text = data.decode("utf-8")
    assert "summary truncated" in text
    before_note = text[: text.index("summary truncated")]
    assert before_note.count("<details>") == before_note.count("</details>")
    assert before_note.count("```") % 2 == 0
    # A later append in the same step cannot push the file over the limit.
    write_step_summary("x" * 10_000, env=env)
    assert path.stat().st_size <= STEP_SUMMARY_LIMIT
