"""No file name or offer value can issue a GitHub workflow command from the job log.

The commands run as in a workflow step (a subprocess, ``GITHUB_ACTIONS=true``); their
stdout and stderr are then read the way the runner reads them (actions/runner
``ActionCommand.cs``: lines split at CR or LF, ``::`` after leading whitespace, and the
legacy ``##[name]`` anywhere in a line). The only commands allowed are the tool's own
annotations, whose properties name the real files.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from reconciler.github.actions import plain
from tests.reliability.support import EXAMPLES, PYTHON, subprocess_env

REGISTERED = {
    "add-mask", "add-matcher", "add-path", "debug", "echo", "endgroup", "error", "group",
    "notice", "remove-matcher", "save-state", "set-env", "set-output", "stop-commands",
    "warning",
}  # fmt: skip
HOSTILE_VALUE = (
    "::error title=pwned::forged annotation\n::stop-commands::pwnd\r::add-mask::x "
    "##[error]legacy forged  %0A::warning::percent"
)


def runner_commands(text: str) -> list[tuple[str, dict[str, str], str]]:
    """(name, properties, data) of every workflow command the runner would execute."""
    found = []
    for line in re.split(r"\r\n|\r|\n", text):
        trimmed = line.lstrip()
        if trimmed.startswith("::") and trimmed.find("::", 2) > 0:
            end = trimmed.find("::", 2)
            name, _, props = trimmed[2:end].partition(" ")
            properties = dict(p.split("=", 1) for p in props.split(",") if "=" in p)
            found.append((name, properties, trimmed[end + 2 :]))
            continue
        start = line.find("##[")
        if start >= 0 and "]" in line[start:]:
            info = line[start + 3 : line.index("]", start)]
            if info.split(" ")[0] in REGISTERED:
                found.append((info.split(" ")[0], {}, line[line.index("]", start) + 1 :]))
    return found


def unescape_property(value: str) -> str:
    for escaped, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        value = value.replace(escaped, raw)
    return value


def actions_run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Wide enough that a hostile value stays on one line: the check is that it prints as
    # inert text, not how the plan wraps.
    env = subprocess_env(GITHUB_ACTIONS="true", COLUMNS="400")
    return subprocess.run(
        [PYTHON, "-m", "reconciler", *args],
        cwd=root, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_hostile_file_names_and_values_print_as_text_in_validate(tmp_path: Path) -> None:
    offers = tmp_path / "offers"
    offers.mkdir()
    valid = (EXAMPLES / "customer-percentage.yaml").read_text()
    names = ["::error::pwned.yaml", "x\r::warning title=pwned::x.yaml", "y\n##[error]pwned.yaml"]
    for i, name in enumerate(names):
        # Invalid (an unknown key whose value is hostile): the error names the file.
        (offers / name).write_text(
            valid.replace("name: ", f"name: N{i} ", 1) + f"bogusKey: {HOSTILE_VALUE!r}\n"
        )
    done = actions_run(tmp_path, "validate", "offers")
    assert done.returncode == 1, done.stderr
    output = done.stdout + done.stderr
    commands = runner_commands(output)
    # One annotation per broken file, from the tool's own writer, on the real file.
    annotated = sorted(unescape_property(props.get("file", "")) for _, props, _ in commands)
    assert annotated == sorted(f"offers/{n}" for n in names), commands
    assert {name for name, _, _ in commands} == {"error"}
    # The file names are still shown, inert.
    assert "%3A:error::pwned.yaml" in output or "::error::pwned.yaml" in output.replace("\n", " ")
    assert "pwned" in output


def test_hostile_offer_values_print_as_text_in_plan(tmp_path: Path) -> None:
    offers = tmp_path / "offers"
    shutil.copytree(EXAMPLES, offers, ignore=shutil.ignore_patterns("partner"))
    path = offers / "customer-percentage.yaml"
    text = path.read_text().replace(
        "description: Woodgrove Bank", f"description: {HOSTILE_VALUE!r}"
    )
    path.write_text(text)
    done = actions_run(tmp_path, "plan", "offers", "--emulator", "--emulator-data", "emu")
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    shown = " ".join(output.split())  # text wraps at the terminal's width (COLUMNS)
    assert "forged annotation" in shown and "legacy forged" in shown  # the value is shown
    assert runner_commands(output) == []


def test_plain_makes_every_line_inert_and_keeps_json_values() -> None:
    import json

    value = {"a": "##[error]x", "b": "\n  ::error::y", "c": "100%"}
    assert json.loads(plain(json.dumps(value))) == value
    text = plain(f"ok\n{HOSTILE_VALUE}\n\t ::notice::z")
    assert runner_commands(text) == []
    assert "%3A:error title=pwned::forged annotation" in text


def test_commands_split_across_writes_are_caught_and_annotations_still_pass() -> None:
    import io

    from reconciler.github.actions import InertStream, annotate_error

    inner = io.StringIO()
    stream = InertStream(inner)
    # click and logging write in pieces: "::" may arrive one colon at a time.
    for piece in ("ok\n  ", ":", ":error::split\r", "#", "#", "[warning]legacy\n", "done #"):
        stream.write(piece)
    annotate_error("offers/a.yaml", 3, "real problem", stream=stream)  # type: ignore[arg-type]
    stream.release()
    commands = runner_commands(inner.getvalue())
    assert [(name, props.get("file")) for name, props, _ in commands] == [
        ("error", "offers/a.yaml")
    ]
    # The text is all there; the held-back "#" is written before the annotation's own line.
    assert "%3A:error::split" in inner.getvalue()
    assert inner.getvalue().endswith("done #\n::error file=offers/a.yaml,line=3::real problem\n")
