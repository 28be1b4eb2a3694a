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
  :func:`annotate_error` / :func:`annotate_warning` are the one writer of commands.
* Everything else a command prints is plain text, and must never *be* a command: the runner
  takes any line (split at CR or LF) that starts with ``::`` after leading whitespace as one,
  and the legacy ``##[name]`` form anywhere in a line (actions/runner ``ActionCommand.cs``).
  :func:`plain` makes text inert; :func:`guard_streams` (installed by the CLI for every
  command when ``GITHUB_ACTIONS=true``) runs all of stdout and stderr through it, so a file
  named ``::error::…`` or an offer value starting with ``::`` prints as text.

Every text goes through :func:`reconciler.secrets.redact` first: these end up in public logs.
Functions that need the environment take an optional ``env`` mapping (default ``os.environ``).
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

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
    if isinstance(out, InertStream):
        out.write_command(text)
    else:
        out.write(text + "\n")
        out.flush()
    return text


# ---------------------------------------------------------------------------- plain text

# A line break for the runner (it reads lines with .NET ReadLine: CR, LF or CRLF), then
# whitespace (.NET TrimStart), then "::".
_LINE_COMMAND = re.compile(r"([\r\n])([^\S\r\n]*)::")
_LEGACY_COMMAND = "##["
# "%3A" is how GitHub escapes ':' itself; "\u005b" keeps a JSON string's value intact.
_INERT_COLON = "%3A:"
_INERT_LEGACY = "##\\u005b"


def _inert(text: str, at_line_start: bool) -> str:
    src = ("\n" if at_line_start else "x") + text
    src = _LINE_COMMAND.sub(lambda m: m.group(1) + m.group(2) + _INERT_COLON, src)
    return src[1:].replace(_LEGACY_COMMAND, _INERT_LEGACY)


def plain(text: str) -> str:
    """*text* (one or more lines) as it may go to the job log: no workflow command in it.

    A line starting with ``::`` (after whitespace) gets its first colon written ``%3A``;
    ``##[`` anywhere becomes ``##\\u005b``. Nothing else changes: JSON stays valid JSON with
    the same values.
    """
    return _inert(text, True)


def _line_start_after(text: str, at_line_start: bool) -> bool:
    """Whether the text written after *text* is still at the start of a line (for the runner)."""
    cut = max(text.rfind("\n"), text.rfind("\r"))
    tail = text[cut + 1 :]
    blank = tail == "" or tail.isspace()
    return blank if cut >= 0 else at_line_start and blank


def _undecided_tail(text: str, at_line_start: bool) -> int:
    """How many trailing characters could still become a command with the next write."""
    if text.endswith("#"):
        return 2 if text.endswith("##") else 1
    if text.endswith(":") and _line_start_after(text[:-1], at_line_start):
        return 1
    return 0


class InertStream:
    """A text stream that passes everything through :func:`plain` (and redaction).

    Writes arrive in arbitrary pieces (``::`` may come in two writes), so the at most two
    characters that could still start a command are held back until the next write.
    """

    def __init__(self, inner: TextIO) -> None:
        self.inner = inner
        self._at_line_start = True
        self._held = ""
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        if not isinstance(text, str):  # click probes text streams with bytes
            raise TypeError("write() argument must be str")
        with self._lock:
            data = self._held + text
            keep = _undecided_tail(data, self._at_line_start)
            data, self._held = data[: len(data) - keep], data[len(data) - keep :]
            if data:
                self.inner.write(redact(_inert(data, self._at_line_start)))
                self._at_line_start = _line_start_after(data, self._at_line_start)
        return len(text)

    def write_command(self, command: str) -> None:
        """Write one workflow command on a line of its own (annotations only)."""
        with self._lock:
            lead = "" if self._at_line_start and not self._held else self._held + "\n"
            self._held = ""
            self.inner.write(f"{lead}{command}\n")
            self._at_line_start = True
            self.inner.flush()

    def release(self) -> None:
        """Write what was held back (at the end: nothing can follow it any more)."""
        with self._lock:
            if self._held:
                self.inner.write(self._held)
                self._held = ""
            self.inner.flush()

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.inner.flush()

    def isatty(self) -> bool:
        return self.inner.isatty()

    def fileno(self) -> int:
        return self.inner.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:
        return getattr(self.inner, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str:
        return getattr(self.inner, "errors", None) or "strict"

    @property
    def closed(self) -> bool:
        return bool(getattr(self.inner, "closed", False))


@contextmanager
def guard_streams(env: Mapping[str, str] | None = None) -> Iterator[None]:
    """In GitHub Actions, route ``sys.stdout`` and ``sys.stderr`` through :class:`InertStream`."""
    if not in_actions(env) or isinstance(sys.stdout, InertStream):
        yield
        return
    saved = sys.stdout, sys.stderr
    out, err = InertStream(sys.stdout), InertStream(sys.stderr)
    sys.stdout, sys.stderr = out, err
    try:
        yield
    finally:
        out.release()
        err.release()
        sys.stdout, sys.stderr = saved


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
