"""The GitHub Actions runner interface: step summary, step outputs, annotations.

Everything here talks to the runner through the files and stdout protocol it defines, so it
works the same in a workflow step and in a test that points the variables at a temp dir:

* ``$GITHUB_STEP_SUMMARY`` -- markdown appended per step; the runner refuses (and drops!) a
  summary over 1 MiB, so :func:`write_step_summary` keeps the file under that size and ends
  a shortened summary with a note instead of losing all of it.
* ``$GITHUB_OUTPUT`` -- ``name<<DELIMITER`` blocks. Every value uses the heredoc form with a
  random delimiter (as actions/toolkit does), so a value with newlines -- or one that tries to
  smuggle ``other=value`` lines -- cannot forge another output.
* Workflow commands on stdout -- ``::error file=F,line=N,title=T::message``. Data escapes
  ``%``, CR and LF; property values also ``:`` and ``,`` (actions/toolkit ``command.ts``).

Every text goes through :func:`reconciler.secrets.redact` first: these end up in public logs.
Functions that need the environment take an optional ``env`` mapping (default ``os.environ``).
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from reconciler.errors import GitHubError
from reconciler.markdown import truncate_markdown
from reconciler.secrets import redact

STEP_SUMMARY_LIMIT = 1024 * 1024  # bytes, per step (the runner's "1024k" limit)
SUMMARY_TRUNCATED_NOTE = (
    "> **Note:** summary truncated: GitHub keeps at most 1 MiB of step summary per step. "
    "The complete report is in the job log and the workflow artifacts."
)


def _env(env: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if env is None else env


def in_actions(env: Mapping[str, str] | None = None) -> bool:
    """True when running as a GitHub Actions step."""
    return _env(env).get("GITHUB_ACTIONS", "").lower() == "true"


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def write_step_summary(markdown: str, *, env: Mapping[str, str] | None = None) -> bool:
    """Append *markdown* to the step summary; False when there is no summary file.

    The whole file (earlier appends of the same step included) stays within 1 MiB; a
    shortened text is cut at a safe markdown boundary and ends with a note saying so.
    """
    target = _env(env).get("GITHUB_STEP_SUMMARY")
    if not target:
        return False
    path = Path(target)
    try:
        used = path.stat().st_size if path.exists() else 0
    except OSError:
        used = 0
    text = redact(markdown)
    if not text.endswith("\n"):
        text += "\n"
    # Appends follow earlier content of the step: start on a fresh block.
    if used:
        text = "\n" + text
    budget = STEP_SUMMARY_LIMIT - used
    if _utf8_len(text) > budget:
        if budget < _utf8_len(SUMMARY_TRUNCATED_NOTE) + 4:
            return False  # nothing useful fits; the runner would reject the whole file
        text = truncate_markdown(text, budget, SUMMARY_TRUNCATED_NOTE, measure=_utf8_len)
    try:
        with path.open("a", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as exc:
        raise GitHubError(f"cannot write the step summary {path}: {exc.strerror}") from exc
    return True


def _output_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def format_outputs(values: Mapping[str, object], *, delimiter: str | None = None) -> str:
    """The ``$GITHUB_OUTPUT`` text for *values* (heredoc form, one random delimiter each)."""
    chunks = []
    for name, raw in values.items():
        if not name or any(ch in name for ch in "\r\n=") or name != name.strip():
            raise GitHubError(f"invalid step output name {name!r}")
        value = redact(_output_value(raw))
        marker = delimiter or f"ghadelimiter_{uuid.uuid4()}"
        if marker in value or marker in name:
            # Only possible with a caller-chosen delimiter; a random one cannot collide.
            raise GitHubError(f"step output {name!r}: value contains the delimiter")
        chunks.append(f"{name}<<{marker}\n{value}\n{marker}\n")
    return "".join(chunks)


def write_outputs(values: Mapping[str, object], *, env: Mapping[str, str] | None = None) -> bool:
    """Append step outputs to ``$GITHUB_OUTPUT``; False when there is no output file.

    Values: strings as is, booleans as ``true``/``false``, numbers as text, ``None`` as an
    empty string, anything else as compact JSON.
    """
    target = _env(env).get("GITHUB_OUTPUT")
    if not target:
        return False
    text = format_outputs(values)
    try:
        with Path(target).open("a", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except OSError as exc:
        raise GitHubError(f"cannot write the step outputs {target}: {exc.strerror}") from exc
    return True


def escape_data(text: str) -> str:
    """Escape a workflow-command message (``%``, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow-command property value (data escapes plus ``:`` and ``,``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_command(
    command: str,
    message: str,
    *,
    file: str | os.PathLike[str] | None = None,
    line: int | None = None,
    col: int | None = None,
    title: str | None = None,
) -> str:
    props: list[tuple[str, str]] = []
    if file is not None and str(file):
        # Annotations resolve paths against the workspace; forward slashes on every OS.
        props.append(("file", str(file).replace("\\", "/")))
    if line:
        props.append(("line", str(line)))
        if col:
            props.append(("col", str(col)))
    if title:
        props.append(("title", title))
    head = f"::{command}"
    if props:
        head += " " + ",".join(f"{key}={escape_property(redact(value))}" for key, value in props)
    return f"{head}::{escape_data(redact(message))}"


def _emit(text: str, stream: TextIO | None) -> str:
    out = sys.stdout if stream is None else stream
    # Workflow commands must start a line; flush so they interleave correctly with logs.
    out.write(text + "\n")
    out.flush()
    return text


def annotate_error(
    file: str | os.PathLike[str] | None,
    line: int | None,
    message: str,
    title: str | None = None,
    *,
    col: int | None = None,
    stream: TextIO | None = None,
) -> str:
    """Print an ``::error`` annotation (to stdout, where the runner reads it); return it."""
    return _emit(
        format_command("error", message, file=file, line=line, col=col, title=title), stream
    )


def annotate_warning(
    file: str | os.PathLike[str] | None,
    line: int | None,
    message: str,
    title: str | None = None,
    *,
    col: int | None = None,
    stream: TextIO | None = None,
) -> str:
    """Print a ``::warning`` annotation; same rules as :func:`annotate_error`."""
    return _emit(
        format_command("warning", message, file=file, line=line, col=col, title=title), stream
    )
