"""Reading offer-file YAML safely: size and nesting caps, UTF-8, problems with positions.

The *safe* loader constructs no Python tags and treats duplicate keys as errors; only a
file with findings (or a change to show) is parsed again, to a node tree that keeps line and
column numbers (:func:`parse_positions`, :func:`position_of`).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.errors import Problem
from reconciler.offers import safeload
from reconciler.offers.paths import NotRegularFile, read_regular, symlink_problem

MAX_FILE_BYTES = 1024 * 1024

MAX_NODES = 50_000

MAX_DEPTH = 50

_DUPLICATE_KEY = re.compile(r'found duplicate key "(.*?)" with value')


def looks_deep(text: str) -> bool:
    """Whether *text* might nest deeper than :data:`MAX_DEPTH`.

    Conservative (quotes and comments are not parsed, so it errs towards yes): flow
    brackets still open, block indentation, and several ``- `` / ``? `` on one line.
    """
    few = text.count("[") + text.count("{") <= MAX_DEPTH // 2
    brackets = "" if few else text
    depth = peak = 0
    for char in brackets:
        if char in "[{":
            depth += 1
            peak = max(peak, depth)
        elif char in "]}":
            depth -= 1
    if peak > MAX_DEPTH // 2:
        return True
    for line in text.splitlines():
        stripped = line.lstrip(" -?:")
        if len(line) - len(stripped) > MAX_DEPTH:
            return True
    return False


def safe_yaml(text: str = "") -> YAML:
    # pure=False picks libyaml's parser when the optional C extension is installed. That
    # parser ignores max_depth and deeply nested input can crash it (a C stack overflow,
    # not an exception), so text that might nest deeply goes to the pure-Python parser.
    yaml = YAML(typ="safe", pure=looks_deep(text))
    yaml.max_depth = MAX_DEPTH
    return yaml


def rt_yaml() -> YAML:
    return YAML(typ="rt")


def display_path(
    path: Path, cwd: Path | None = None, folders: dict[Path, Path] | None = None
) -> str:
    """*path* relative to *cwd* (the resolved working directory) when inside it.

    *folders* (resolved folder by folder as written) saves resolving the same folder once
    per file: resolving walks every component of the path with a system call each.
    """
    try:
        return _resolved(path, folders).relative_to(cwd or Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _resolved(path: Path, folders: dict[Path, Path] | None) -> Path:
    # os.path.islink: False on any error, as resolve() tolerates unreadable folders.
    if folders is None or path.name in ("", ".", "..") or os.path.islink(path):
        return path.resolve()
    folder = folders.get(path.parent)
    if folder is None:
        folder = folders[path.parent] = path.parent.resolve()
    return folder / path.name


def too_large(shown: str) -> Problem:
    return Problem(
        shown,
        0,
        0,
        "",
        f"file is larger than {MAX_FILE_BYTES // 1024} KiB; an offer file is a few KiB",
        "file-too-large",
    )


def read_file(path: Path, shown: str) -> tuple[str, Problem | None]:
    try:
        if not path.is_file() and not path.is_symlink():
            what = "is not a file" if path.exists() else "no such file or directory"
            return "", Problem(shown, 0, 0, "", what, "file-read")
        # Never through a link, even one swapped in since the folder was listed.
        data = read_regular(path, MAX_FILE_BYTES)
        if data is None:
            return "", too_large(shown)
    except NotRegularFile as exc:
        if path.is_symlink():
            return "", symlink_problem(shown)
        return "", Problem(shown, 0, 0, "", str(exc), "file-read")
    except OSError as exc:
        return "", Problem(shown, 0, 0, "", f"cannot read: {exc.strerror}", "file-read")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return "", Problem(
            shown, line, 0, "", "is not UTF-8 text (a binary file?)", "file-encoding"
        )


_reuse = threading.local()


def _load_safe(text: str) -> object:
    pure = looks_deep(text)
    if not pure and safeload.FAST:
        return safeload.load(text)
    # Building a YAML object costs about a third of parsing a small offer file, so one per
    # parser (C / pure) is kept per thread. ruamel keeps parse state (e.g. the depth
    # counter) on it and a failed parse would leave it dirty: it is dropped on any error.
    loaders: dict[bool, YAML] = _reuse.__dict__.setdefault("loaders", {})
    yaml = loaders.get(pure) or loaders.setdefault(pure, safe_yaml(text))
    try:
        return yaml.load(text)
    except BaseException:
        loaders.pop(pure, None)
        raise


class TooManyNodes(Exception):
    """The document expands (aliases and merge keys together) past :data:`MAX_NODES`."""

    def __init__(self, node: Node) -> None:
        super().__init__(node)
        self.line = node.start_mark.line + 1
        self.col = node.start_mark.column + 1


def check_node_budget(root: Node | None) -> None:
    """Raise :class:`TooManyNodes` when *root* holds more than :data:`MAX_NODES` nodes with
    every alias counted as the node it repeats.

    A merge key (``<<: [*a, *a]``) is an alias like any other, so a chain of merges that
    doubles at each step is stopped here, on the node tree, before the constructor expands
    it. Each node's size is computed once (aliases share their node object), iteratively,
    so the check is linear in the text; a node inside itself counts once (the data walk
    reports a recursive alias).
    """
    sizes: dict[int, int] = {}
    stack: list[tuple[Node, bool]] = [(root, False)] if root is not None else []
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in sizes and not children_done:
            continue
        children: list[Node] = []
        if isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, SequenceNode):
            children = list(node.value)
        if not children_done:
            sizes[key] = 1  # in progress: a recursive alias counts once
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
            continue
        total = 1 + sum(sizes.get(id(c), 1) for c in children)
        if total > MAX_NODES:
            raise TooManyNodes(node)
        sizes[key] = total


def _budget(text: str) -> None:
    # Only aliases repeat nodes; a file without one is never composed twice.
    if "*" in text:
        check_node_budget(parse_positions(text))


def parse_yaml(text: str, shown: str) -> tuple[object, Problem | None]:
    try:
        _budget(text)
        return _load_safe(text), None
    except TooManyNodes as exc:
        message = (
            f"the file expands to more than {MAX_NODES} values (YAML aliases or merge keys); "
            "an offer is far smaller"
        )
        return None, Problem(shown, exc.line, exc.col, "", message, "yaml-too-complex")
    except MarkedYAMLError as exc:
        return None, _yaml_problem(exc, shown, text)
    except YAMLError as exc:
        # ruamel's ReaderError (control characters, NUL bytes) has no mark, only an offset.
        line, col = _offset_position(text, getattr(exc, "position", None))
        return None, Problem(shown, line, col, "", f"invalid YAML: {_first_line(str(exc))}", "yaml")
    except RecursionError:
        return None, Problem(shown, 0, 0, "", "YAML nesting is too deep", "yaml-too-complex")
    except (ValueError, OverflowError) as exc:
        # The constructor builds dates and numbers with Python, which raises plain errors
        # without a position ("day is out of range for month" for 2027-02-30).
        line = _bad_date_line(text)
        return None, Problem(shown, line, 1 if line else 0, "", f"invalid value: {exc}", "yaml")


def _offset_position(text: str, offset: object) -> tuple[int, int]:
    """1-based line and column of a character offset; (0, 0) when there is none."""
    if not isinstance(offset, int) or not 0 <= offset <= len(text):
        return 0, 0
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


_DATE_LIKE = re.compile(r"(?<![\w.-])(\d{4})-(\d{1,2})-(\d{1,2})(?![\w.-])")


def _bad_date_line(text: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        for match in _DATE_LIKE.finditer(line):
            try:
                dt.date(*(int(g) for g in match.groups()))
            except ValueError:
                return number
    return 0


# The parser notices these only where the next token starts, often the next line or the
# end of the file; the mistake is where the construct began (its context mark).
_OPENED_EARLIER = {
    "while scanning a simple key": "a key without its ':'",
    "while scanning a quoted scalar": "a quoted string that is never closed",
    "while parsing a flow sequence": "a '[' list that is never closed",
    "while parsing a flow mapping": "a '{' mapping that is never closed",
}


def _tab_at(text: str, line: int) -> int:
    """1-based column of a tab in the indentation (or right after a key) of *line*; 0 if none."""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return 0
    content = lines[line - 1]
    indent = content[: len(content) - len(content.lstrip(" \t-"))]
    return indent.find("\t") + 1


def _yaml_problem(exc: MarkedYAMLError, shown: str, text: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
    problem = exc.problem or ""
    tab = _tab_at(text, line)
    if tab or "tab character" in problem:
        return Problem(
            shown,
            line,
            tab or col,
            "",
            "invalid YAML: a tab character indents this line; YAML indents with spaces only",
            "yaml-tab",
        )
    opened = _OPENED_EARLIER.get(_first_line(exc.context or ""))
    if opened is not None and exc.context_mark is not None:
        start = exc.context_mark
        return Problem(
            shown,
            start.line + 1,
            start.column + 1,
            "",
            f"invalid YAML: {opened} (noticed at line {line}: {_first_line(problem)})",
            "yaml",
        )
    duplicate = _DUPLICATE_KEY.search(problem)
    if duplicate:
        # The library's text quotes both values; they may be secrets.
        return Problem(
            shown, line, col, "", f'duplicate key "{duplicate.group(1)}"', "yaml-duplicate-key"
        )
    if "maximum depth" in problem:
        return Problem(
            shown, line, col, "", f"YAML nesting deeper than {MAX_DEPTH} levels", "yaml-too-complex"
        )
    parts = [p for p in (exc.context, problem) if p]
    message = "; ".join(_first_line(p) for p in parts) or "invalid YAML"
    return Problem(shown, line, col, "", f"invalid YAML: {message}", "yaml")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def yaml_type(value: object) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def parse_positions(text: str) -> Any:
    """The document's node tree, whose nodes carry the line and column they start at (what
    the round-trip loader records, without building the round-trip data); None when the
    text does not parse."""
    try:
        if safeload.FAST and not looks_deep(text):
            return safeload.compose(text)
        return rt_yaml().compose(text)
    except (YAMLError, RecursionError):
        return None


def position_of(tree: object, field_path: Sequence[str | int]) -> tuple[int, int]:
    """1-based (line, col) of *field_path* in a :func:`parse_positions` tree: the key of a
    mapping entry, the start of a sequence item; the nearest existing parent otherwise."""
    if tree is None:
        return (0, 0)
    if not isinstance(tree, MappingNode | SequenceNode):
        return (1, 1)
    node: Node = tree
    mark = node.start_mark
    for part in field_path:
        found: tuple[Node, Node] | None = None
        if isinstance(node, MappingNode) and isinstance(part, str):
            # The last of repeated keys wins, as in the loaded data.
            for key, value in node.value:
                if isinstance(key, ScalarNode) and key.value == part:
                    found = (key, value)
        elif (
            isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value)
        ):
            item = node.value[part]
            found = (item, item)
        if found is None:
            break
        mark, node = found[0].start_mark, found[1]
    return mark.line + 1, mark.column + 1


def dotted(path: Sequence[str | int]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text
