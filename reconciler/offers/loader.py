"""Offer files -> validated :class:`OfferFile` objects, or every problem of every file.

The pipeline for one file, each step collecting :class:`Finding` objects rather than
stopping at the first:

1. read (size cap, UTF-8), parse with the *safe* loader (no Python tags are constructed,
   duplicate keys are errors, nesting depth is capped);
2. walk the data once: count nodes (an alias bomb stops at :data:`MAX_NODES`), refuse
   recursive aliases and non-string keys, expand ``${ENV}`` templates through
   ``REGISTRY.expand_and_register`` (so plans can store the template again) and spot
   literal SAS signatures;
3. split off the file-only keys ``$schema`` and ``reconciler``;
4. validate the rest with the :data:`~reconciler.offers.model.PrivateOffer` union, turning
   pydantic's errors into plain messages (unknown key with a "did you mean", read-only
   field, field a kind forbids);
5. run :mod:`reconciler.offers.rules`.

Only a file with findings is parsed a second time, with the round-trip loader, to turn
field paths into line/column positions: the happy path (thousands of files in CI) never
pays for the position-keeping loader.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from pydantic import BaseModel, TypeAdapter, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from reconciler.errors import OfferFilesInvalid, Problem
from reconciler.offers.domain import (
    CHANNEL_PARTNER,
    ORIGINATOR_OWNED_FIELDS,
    ORIGINATOR_OWNED_PRICING_FIELDS,
    PRIVATE_OFFER_TYPES,
    READ_ONLY_FIELDS,
    name_key,
    offer_key,
    offer_type,
)
from reconciler.offers.model import (
    KIND_MODELS,
    ChannelPartnerOffer,
    FileControls,
    PrivateOffer,
)
from reconciler.offers.rules import Finding, check_offer
from reconciler.offers.schema_urls import PRIVATE_OFFER_SCHEMA_PATTERN
from reconciler.secrets import REGISTRY, UnsetVariable
from reconciler.settings import Settings

MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 50_000
MAX_DEPTH = 50

OFFER_ADAPTER: TypeAdapter[PrivateOffer] = TypeAdapter(PrivateOffer)
CONTROLS_ADAPTER: TypeAdapter[FileControls] = TypeAdapter(FileControls)

FILE_ONLY_KEYS = ("$schema", "reconciler")

CSP_FORBIDDEN_FIELDS = frozenset({"acceptBy", "termsAndConditionsDocSasUrl"})
SAS_URL_KEYS = frozenset({"sasUrl", "termsAndConditionsDocSasUrl"})
# A literal signature; `sig=${SAS_SIG}` is a template and fine.
_LITERAL_SIG = re.compile(r"(?i)[?&]sig=(?!\$\{)")
_DUPLICATE_KEY = re.compile(r'found duplicate key "(.*?)" with value')


def _looks_deep(text: str) -> bool:
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


def _safe_yaml(text: str = "") -> YAML:
    # pure=False picks libyaml's parser when the optional C extension is installed. That
    # parser ignores max_depth and deeply nested input can crash it (a C stack overflow,
    # not an exception), so text that might nest deeply goes to the pure-Python parser.
    yaml = YAML(typ="safe", pure=_looks_deep(text))
    yaml.max_depth = MAX_DEPTH
    return yaml


def _rt_yaml() -> YAML:
    return YAML(typ="rt")


# --- the result -----------------------------------------------------------------------------


@dataclass
class OfferFile:
    """One valid offer file."""

    path: Path
    offer: PrivateOffer
    controls: FileControls
    text: str = field(default="", repr=False)
    _tree: Any = field(default=None, init=False, repr=False, compare=False)

    def __repr__(self) -> str:
        # The offer holds expanded ${ENV} values (SAS URLs); never show it in a repr.
        return f"OfferFile(path={str(self.path)!r}, kind={self.kind!r}, name={self.name!r})"

    @property
    def name(self) -> str:
        return self.offer.name

    @property
    def id(self) -> str | None:
        return self.offer.id

    @property
    def kind(self) -> str:
        return self.offer.private_offer_type

    @property
    def state(self) -> str:
        return self.offer.state

    def position(self, field_path: Sequence[str | int]) -> tuple[int, int]:
        """1-based (line, col) of *field_path* (camelCase keys and list indexes) in the
        file; the nearest existing parent when the field itself is absent."""
        if self._tree is None:
            self._tree = _parse_positions(self.text)
        return _position(self._tree, field_path)

    def api_body(self) -> dict[str, Any]:
        """The private-offer resource body: API names, no None, dates as YYYY-MM-DD,
        numbers as written, absolute prices inline in pricing[i].priceDetails."""
        body: dict[str, Any] = self.offer.model_dump(by_alias=True, exclude_none=True, mode="json")
        return body


# --- public entry points ----------------------------------------------------------------------


def discover_offer_files(paths: Sequence[Path]) -> list[Path]:
    """*.yaml and *.yml under each directory (recursive, hidden folders skipped), plus
    each path given as a file; sorted, without repeats. Missing paths are kept so the
    loader reports them."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                for name in files:
                    if name.endswith((".yaml", ".yml")) and not name.startswith("."):
                        found.add(Path(root) / name)
        else:
            found.add(path)
    return sorted(found, key=lambda p: p.as_posix())


def load_offer_files(
    paths: Sequence[Path],
    settings: Settings,
    *,
    today: dt.date | None = None,
    strict: bool | None = None,
    env: Mapping[str, str] | None = None,
    warnings: list[Problem] | None = None,
) -> list[OfferFile]:
    """Load every offer file under *paths*; raise :class:`OfferFilesInvalid` with every
    error of every file (and cross-file duplicates). Warnings go to *warnings* when given
    (they never stop loading)."""
    context = _Context(settings, today, strict, env)
    loaded: list[OfferFile] = []
    problems: list[Problem] = []
    for path in discover_offer_files(paths):
        shown = _display(path)
        text, read_problem = _read(path, shown)
        if read_problem is not None:
            problems.append(read_problem)
            continue
        offer_file, file_problems = _load(text, shown, Path(shown), context)
        problems.extend(file_problems)
        if offer_file is not None:
            loaded.append(offer_file)
    problems.extend(_cross_file(loaded))
    _finish(problems, warnings)
    return loaded


def load_offer_text(
    text: str,
    path: str,
    settings: Settings,
    *,
    today: dt.date | None = None,
    strict: bool | None = None,
    env: Mapping[str, str] | None = None,
    warnings: list[Problem] | None = None,
) -> OfferFile:
    """Load one offer from *text* (e.g. the git baseline); raise :class:`OfferFilesInvalid`."""
    context = _Context(settings, today, strict, env)
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise OfferFilesInvalid([_too_large(path)])
    offer_file, problems = _load(text, path, Path(path), context)
    _finish(problems, warnings)
    assert offer_file is not None
    return offer_file


def count_problems(problems: Sequence[Problem]) -> tuple[int, int]:
    errors = sum(1 for p in problems if p.severity == "error")
    return errors, len(problems) - errors


# --- one file ---------------------------------------------------------------------------------


@dataclass
class _Context:
    settings: Settings
    today_: dt.date | None
    strict_: bool | None
    env: Mapping[str, str] | None

    @property
    def today(self) -> dt.date:
        return self.today_ or dt.date.today()

    @property
    def strict(self) -> bool:
        return self.settings.strict if self.strict_ is None else self.strict_


def _finish(problems: list[Problem], warnings: list[Problem] | None) -> None:
    errors = [p for p in problems if p.severity == "error"]
    if warnings is not None:
        warnings.extend(sorted(p for p in problems if p.severity != "error"))
    if errors:
        raise OfferFilesInvalid(problems)


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _too_large(shown: str) -> Problem:
    return Problem(
        shown,
        0,
        0,
        "",
        f"file is larger than {MAX_FILE_BYTES // 1024} KiB; an offer file is a few KiB",
        "file-too-large",
    )


def _read(path: Path, shown: str) -> tuple[str, Problem | None]:
    try:
        if not path.is_file():
            what = "is not a file" if path.exists() else "no such file or directory"
            return "", Problem(shown, 0, 0, "", what, "file-read")
        if path.stat().st_size > MAX_FILE_BYTES:
            return "", _too_large(shown)
        data = path.read_bytes()
    except OSError as exc:
        return "", Problem(shown, 0, 0, "", f"cannot read: {exc.strerror}", "file-read")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return "", Problem(
            shown, line, 0, "", "is not UTF-8 text (a binary file?)", "file-encoding"
        )


def _load(
    text: str, shown: str, path: Path, context: _Context
) -> tuple[OfferFile | None, list[Problem]]:
    data, problem = _parse(text, shown)
    if problem is not None:
        return None, [problem]
    findings: list[Finding] = []
    offer_file = None
    if data is None or (isinstance(data, str) and not data.strip()):
        findings.append(
            Finding((), "file is empty; expected an offer (a YAML mapping)", "file-empty")
        )
    elif not isinstance(data, dict):
        findings.append(
            Finding(
                (),
                f"expected an offer (a YAML mapping), found a {_yaml_type(data)}; "
                "write one offer per file",
                "file-not-mapping",
            )
        )
    else:
        offer_file = _validate(data, text, path, context, findings)
    if not findings:
        return offer_file, []
    tree = _parse_positions(text)
    problems = []
    for finding in findings:
        line, col = _position(tree, finding.path) if finding.path or tree is not None else (0, 0)
        if finding.rule == "file-empty":
            line, col = 0, 0
        problems.append(
            Problem(
                shown,
                line,
                col,
                _dotted(finding.path),
                finding.message,
                finding.rule,
                finding.severity,
            )
        )
    errors = any(p.severity == "error" for p in problems)
    return (None if errors else offer_file), problems


def _parse(text: str, shown: str) -> tuple[Any, Problem | None]:
    try:
        # A fresh loader each time: ruamel keeps parse state (e.g. the depth counter) on
        # the YAML object, and a failed parse would leave it dirty for the next file.
        return _safe_yaml(text).load(text), None
    except MarkedYAMLError as exc:
        return None, _yaml_problem(exc, shown)
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


def _yaml_problem(exc: MarkedYAMLError, shown: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
    problem = exc.problem or ""
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


def _yaml_type(value: Any) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _validate(
    data: dict[Any, Any], text: str, path: Path, context: _Context, findings: list[Finding]
) -> OfferFile | None:
    prepared = _Prepared(context.env)
    body = prepared.walk(data, (), 0)
    findings.extend(prepared.findings)
    if prepared.aborted or not isinstance(body, dict):
        return None

    schema_url = body.pop("$schema", None)
    if schema_url is not None and not (
        isinstance(schema_url, str) and PRIVATE_OFFER_SCHEMA_PATTERN.match(schema_url)
    ):
        findings.append(
            Finding(
                ("$schema",),
                "must be a private-offer schema URL such as "
                "https://schema.mp.microsoft.com/schema/private-offer/2024-09-30 (or remove it; "
                "the reconciler adds it)",
                "schema-url",
            )
        )
    controls = FileControls()
    raw_controls = body.pop("reconciler", None)
    if raw_controls is not None:
        try:
            controls = CONTROLS_ADAPTER.validate_python(raw_controls)
        except ValidationError as exc:
            findings.extend(_translate(exc, FileControls, ("reconciler",), None))

    allow_sig = context.settings.allow_sas_signature or controls.allow_sas_signature
    if not allow_sig:
        findings.extend(
            Finding(
                sig_path,
                "contains a literal SAS signature (sig=...), a secret that would be committed "
                "to git; put the URL (or the signature) in an environment variable and write "
                "${VAR}, or set reconciler.allowSasSignature: true",
                "sas-signature",
            )
            for sig_path in prepared.sas_paths
        )

    known = offer_type(body.get("privateOfferType"))
    if known is not None:
        # Both documented spellings are read; the body (and so every request) carries the
        # canonical one.
        body["privateOfferType"] = known.value
    kind = body.get("privateOfferType")
    if kind not in PRIVATE_OFFER_TYPES:
        findings.append(_kind_finding(kind))
        return None
    try:
        offer = OFFER_ADAPTER.validate_python(body)
    except ValidationError as exc:
        findings.extend(_translate(exc, KIND_MODELS[kind], (), kind))
        return None
    findings.extend(check_offer(offer, today=context.today, strict=context.strict))
    return OfferFile(path=path, offer=offer, controls=controls, text=text)


def _kind_finding(kind: Any) -> Finding:
    choices = ", ".join(PRIVATE_OFFER_TYPES)
    if kind is None:
        return Finding(
            ("privateOfferType",), f"is required: one of {choices}", "private-offer-type"
        )
    if isinstance(kind, str):
        hint = _suggest(kind, PRIVATE_OFFER_TYPES)
        if hint is not None and hint.lower() == kind.lower():
            return Finding(
                ("privateOfferType",),
                f"write {hint!r} (the API's canonical spelling), not {kind!r}",
                "private-offer-type",
            )
        did_you_mean = f"; did you mean {hint!r}?" if hint else ""
        return Finding(
            ("privateOfferType",),
            f"unknown type {kind[:60]!r}{did_you_mean} (one of {choices})",
            "private-offer-type",
        )
    return Finding(("privateOfferType",), f"must be one of {choices}", "private-offer-type")


def _suggest(word: str, choices: Sequence[str]) -> str | None:
    for choice in choices:
        if choice.lower() == word.lower():
            return choice
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


# --- the data walk ------------------------------------------------------------------------------


class _Prepared:
    """One pass over the parsed data: a bounded copy with ${ENV} expanded."""

    def __init__(self, env: Mapping[str, str] | None) -> None:
        self.env = env
        self.findings: list[Finding] = []
        self.sas_paths: list[tuple[str | int, ...]] = []
        self.nodes = 0
        self.aborted = False
        self._stack: set[int] = set()

    def walk(self, value: Any, path: tuple[str | int, ...], depth: int) -> Any:
        if self.aborted:
            return None
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self.aborted = True
            self.findings.append(
                Finding(
                    (),
                    f"the file expands to more than {MAX_NODES} values (YAML aliases?); "
                    "an offer is far smaller",
                    "yaml-too-complex",
                )
            )
            return None
        if isinstance(value, str):
            return self._string(value, path)
        if isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                self.aborted = True
                self.findings.append(
                    Finding(
                        path, f"YAML nesting deeper than {MAX_DEPTH} levels", "yaml-too-complex"
                    )
                )
                return None
            if id(value) in self._stack:
                self.aborted = True
                self.findings.append(Finding(path, "recursive YAML alias", "yaml-too-complex"))
                return None
            self._stack.add(id(value))
            try:
                if isinstance(value, list):
                    return [self.walk(v, (*path, i), depth + 1) for i, v in enumerate(value)]
                result: dict[str, Any] = {}
                for key, item in value.items():
                    if not isinstance(key, str):
                        self.findings.append(
                            Finding(
                                path, f"keys must be text, found {_yaml_type(key)} key", "yaml-key"
                            )
                        )
                        continue
                    if key in SAS_URL_KEYS and isinstance(item, str) and _LITERAL_SIG.search(item):
                        self.sas_paths.append((*path, key))
                    result[key] = self.walk(item, (*path, key), depth + 1)
                return result
            finally:
                self._stack.discard(id(value))
        if isinstance(value, bytes | set | tuple):
            self.findings.append(
                Finding(path, f"YAML {type(value).__name__} values are not supported", "yaml-type")
            )
            return None
        return value

    def _string(self, value: str, path: tuple[str | int, ...]) -> str:
        if "${" not in value:
            return value
        try:
            return REGISTRY.expand_and_register(value, self.env)
        except UnsetVariable as exc:
            self.findings.append(
                Finding(
                    path,
                    f"environment variable {exc.args[0]} is not set",
                    "env-unset",
                )
            )
            return value


# --- pydantic errors -> findings ------------------------------------------------------------


def _translate(
    exc: ValidationError, root: type[BaseModel], prefix: tuple[str | int, ...], kind: str | None
) -> Iterator[Finding]:
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        if kind is not None and loc and loc[0] == kind:
            loc = loc[1:]  # the discriminator's tag is not a key in the file
        path = (*prefix, *loc)
        kind_type = error["type"]
        if kind_type == "extra_forbidden":
            yield _extra_key(path, root, loc, kind)
        elif kind_type == "missing":
            yield Finding(path, "is required", "required")
        elif kind_type == "literal_error":
            expected = error.get("ctx", {}).get("expected", "")
            value = error.get("input")
            hint = ""
            if isinstance(value, str):
                options = re.findall(r"'([^']*)'", expected)
                suggestion = _suggest(value, options)
                hint = f"; did you mean {suggestion!r}?" if suggestion else ""
            yield Finding(path, f"must be one of {expected}{hint}", "schema")
        elif kind_type in ("value_error", "assertion_error"):
            message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
            yield Finding(path, message, "schema")
        else:
            yield Finding(path, _lower_first(error["msg"]), "schema")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _extra_key(
    path: tuple[str | int, ...], root: type[BaseModel], loc: tuple[Any, ...], kind: str | None
) -> Finding:
    key = str(path[-1])
    parent = loc[:-1]
    if key in READ_ONLY_FIELDS:
        return Finding(path, "read-only, set by the API; remove it", "read-only-field")
    if kind == CHANNEL_PARTNER:
        owned = (not parent and key in ORIGINATOR_OWNED_FIELDS) or (
            len(parent) == 2
            and parent[0] == "originatorPricing"
            and key in ORIGINATOR_OWNED_PRICING_FIELDS
        )
        if owned:
            return Finding(
                path,
                "set by the originator (read-only for the selling partner); remove it: the "
                "reconciler takes it from the live offer",
                "originator-owned",
            )
    if kind == "cspPromotion" and not parent and key in CSP_FORBIDDEN_FIELDS:
        return Finding(path, "not allowed in a CSP offer (cspPromotion)", "csp-forbidden-fields")
    if key == "markupPercentage" and parent and parent[0] == "pricing":
        return Finding(
            path,
            "only the selling partner sets markupPercentage (on originatorPricing entries of a "
            "multipartyPromotionChannelPartner file)",
            "markup-partner-only",
        )
    allowed = _keys_at(root, parent)
    if not parent:
        allowed = [*allowed, *FILE_ONLY_KEYS]
    hint = _suggest(key, allowed) if allowed else None
    suffix = f"; did you mean {hint!r}?" if hint else ""
    return Finding(path, f"unknown field{suffix}", "unknown-field")


def _keys_at(root: type[BaseModel], parts: tuple[Any, ...]) -> list[str]:
    """The camelCase keys the model accepts at *parts* (a path inside *root*)."""
    current: Any = root
    for part in parts:
        current = unwrap_annotation(current)
        if isinstance(part, int):
            args = typing.get_args(current)
            current = args[0] if typing.get_origin(current) is list and args else None
        elif isinstance(current, type) and issubclass(current, BaseModel):
            current = next(
                (f.annotation for n, f in current.model_fields.items() if (f.alias or n) == part),
                None,
            )
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        else:
            return []
    current = unwrap_annotation(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def unwrap_annotation(annotation: Any) -> Any:
    """The model type inside ``Annotated[...]`` / ``X | None`` (as declared on a field)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


# --- positions ------------------------------------------------------------------------------------


def _parse_positions(text: str) -> Any:
    try:
        return _rt_yaml().load(text)
    except (YAMLError, RecursionError):
        return None


def _position(tree: Any, field_path: Sequence[str | int]) -> tuple[int, int]:
    if not isinstance(tree, CommentedMap | CommentedSeq):
        return (1, 1) if tree is not None else (0, 0)
    node: Any = tree
    line, col = node.lc.line, node.lc.col
    for part in field_path:
        if isinstance(node, CommentedMap) and isinstance(part, str) and part in node:
            line, col = node.lc.key(part)
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line, col = node.lc.item(part)
            node = node[part]
        else:
            break
    return line + 1, col + 1


def _dotted(path: Sequence[str | int]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


# --- across files -------------------------------------------------------------------------------


def _cross_file(files: Sequence[OfferFile]) -> Iterator[Problem]:
    # The selling partner's file deliberately repeats the originator's offer name (that is
    # how it finds the offer), so names are unique per side, ids across all files.
    first_name: dict[tuple[bool, str], OfferFile] = {}
    first_id: dict[str, OfferFile] = {}
    for offer_file in files:
        partner = isinstance(offer_file.offer, ChannelPartnerOffer)
        key = (partner, name_key(offer_file.name))
        if key in first_name:
            yield _duplicate(offer_file, first_name[key], "name", "duplicate-name")
        else:
            first_name[key] = offer_file
        if offer_file.id is not None:
            offer_id = offer_key(offer_file.id)
            if offer_id in first_id:
                yield _duplicate(offer_file, first_id[offer_id], "id", "duplicate-id")
            else:
                first_id[offer_id] = offer_file


def _duplicate(offer_file: OfferFile, first: OfferFile, key: str, rule: str) -> Problem:
    line, col = offer_file.position([key])
    other_line, _ = first.position([key])
    what = "offer name" if key == "name" else "offer id"
    return Problem(
        offer_file.path.as_posix(),
        line,
        col,
        key,
        f"duplicate {what}: also in {first.path.as_posix()}:{other_line}",
        rule,
    )
