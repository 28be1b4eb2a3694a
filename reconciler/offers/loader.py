"""Offer files -> validated :class:`OfferFile` objects, or every problem of every file.

The pipeline for one file, each step collecting :class:`Finding` objects rather than
stopping at the first:

1. read (size cap, UTF-8), parse with the *safe* loader (no Python tags are constructed,
   duplicate keys are errors, nesting depth is capped): :mod:`.yamlread`;
2. walk the data once: count nodes, refuse recursive aliases and non-string keys, expand
   ``${ENV}`` templates and spot literal SAS signatures: :mod:`.templating`;
3. split off the file-only keys ``$schema`` and ``reconciler``;
4. validate the rest with the :data:`~reconciler.offers.model.PrivateOffer` union, turning
   pydantic's errors into plain messages (:mod:`.messages`);
5. run :mod:`reconciler.offers.rules`.

Only a file with findings is parsed a second time, with the round-trip loader, to turn
field paths into line/column positions: the happy path (thousands of files in CI) never
pays for the position-keeping loader.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from reconciler.errors import OfferFilesInvalid, Problem
from reconciler.offers.domain import (
    PRIVATE_OFFER_TYPES,
    name_key,
    offer_key,
    offer_type,
)
from reconciler.offers.messages import kind_finding, translate, unwrap_annotation
from reconciler.offers.model import (
    KIND_MODELS,
    ChannelPartnerOffer,
    FileControls,
    PrivateOffer,
)
from reconciler.offers.partial import as_closest_kind, rules_despite_errors
from reconciler.offers.paths import find_offer_files
from reconciler.offers.rules import Finding, check_offer
from reconciler.offers.schema_urls import PRIVATE_OFFER_SCHEMA_PATTERN
from reconciler.offers.template_value import Template
from reconciler.offers.templating import PreparedData
from reconciler.offers.yamlread import (
    MAX_FILE_BYTES,
    display_path,
    dotted,
    parse_positions,
    parse_yaml,
    position_of,
    read_file,
    too_large,
    yaml_type,
)
from reconciler.parallel import map_parts, parts_for
from reconciler.settings import Settings

# Re-exported: callers take the file-size cap and the model walk from the loader.
__all__ = [
    "MAX_FILE_BYTES",
    "OfferFile",
    "count_problems",
    "discover_offer_files",
    "load_offer_files",
    "load_offer_text",
    "unwrap_annotation",
]

OFFER_ADAPTER: TypeAdapter[PrivateOffer] = TypeAdapter(PrivateOffer)
_SETTLE_EVERY = 1000  # files between two freezes of the heap (see load_offer_files)
CONTROLS_ADAPTER: TypeAdapter[FileControls] = TypeAdapter(FileControls)


@dataclass
class OfferFile:
    """One valid offer file."""

    path: Path
    offer: PrivateOffer
    controls: FileControls
    text: str = field(default="", repr=False)
    # path in the file (API field names, list indexes) -> the ${NAME} template there
    templates: dict[tuple[str | int, ...], Template] = field(default_factory=dict, repr=False)
    _tree: object = field(default=None, init=False, repr=False, compare=False)

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
            self._tree = parse_positions(self.text)
        return position_of(self._tree, field_path)

    def api_body(self) -> dict[str, object]:
        """The private-offer resource body: API names, no None, dates as YYYY-MM-DD,
        numbers as written, absolute prices inline in pricing[i].priceDetails."""
        body: dict[str, object] = self.offer.model_dump(
            by_alias=True, exclude_none=True, mode="json"
        )
        for path, template in self.templates.items():
            _put_template(body, path, template)
        return body


def _put_template(body: Any, path: tuple[str | int, ...], template: Template) -> None:
    """Put *template* back at *path* of the dumped body (the model holds plain strings);
    a value the model rewrote (a date, a number) stays as dumped."""
    node = body
    for part in path:
        parent = node
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return
    if path and node == template:
        parent[path[-1]] = template


def discover_offer_files(paths: Sequence[Path]) -> list[Path]:
    """*.yaml and *.yml under each directory (recursive, hidden entries skipped), plus
    each path given as a file; sorted, without repeats. Missing paths are kept so the
    loader reports them; symbolic links are left out (the loader reports them)."""
    return find_offer_files(paths)[0]


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
    found, problems = find_offer_files(paths)
    cwd = Path.cwd().resolve()

    def load_run(run: Sequence[Path]) -> tuple[list[OfferFile], list[Problem]]:
        return _load_run(run, context, cwd)

    loaded: list[OfferFile] = []
    for files, run_problems in map_parts(load_run, found, parts_for(len(found))):
        loaded.extend(files)
        problems.extend(run_problems)
    problems.extend(_cross_file(loaded))
    _finish(problems, warnings)
    return loaded


def _load_run(
    found: Sequence[Path], context: _Context, cwd: Path
) -> tuple[list[OfferFile], list[Problem]]:
    """The valid files among *found* and the problems of the others, in order."""
    loaded: list[OfferFile] = []
    problems: list[Problem] = []
    folders: dict[Path, Path] = {}
    try:
        for number, path in enumerate(found, start=1):
            if number % _SETTLE_EVERY == 0:
                # The files loaded so far stay alive: every full collection walked them
                # again (a fifth of the CPU of loading 50,000 files). Left out until the
                # end of the load; garbage still young here is a few thousand objects.
                gc.freeze()
            shown = display_path(path, cwd, folders)
            text, read_problem = read_file(path, shown)
            if read_problem is not None:
                problems.append(read_problem)
                continue
            offer_file, file_problems = _load(text, shown, Path(shown), context)
            problems.extend(file_problems)
            if offer_file is not None:
                loaded.append(offer_file)
    finally:
        if len(found) >= _SETTLE_EVERY:
            gc.unfreeze()
    return loaded, problems


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
        raise OfferFilesInvalid([too_large(path)])
    offer_file, problems = _load(text, path, Path(path), context)
    _finish(problems, warnings)
    assert offer_file is not None
    return offer_file


def count_problems(problems: Sequence[Problem]) -> tuple[int, int]:
    errors = sum(1 for p in problems if p.severity == "error")
    return errors, len(problems) - errors


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


def _load(
    text: str, shown: str, path: Path, context: _Context
) -> tuple[OfferFile | None, list[Problem]]:
    data, problem = parse_yaml(text, shown)
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
                f"expected an offer (a YAML mapping), found a {yaml_type(data)}; "
                "write one offer per file",
                "file-not-mapping",
            )
        )
    else:
        offer_file = _validate(data, text, path, context, findings)
    if not findings:
        return offer_file, []
    tree = parse_positions(text)
    problems = []
    for finding in findings:
        line, col = position_of(tree, finding.path) if finding.path or tree is not None else (0, 0)
        if finding.rule == "file-empty":
            line, col = 0, 0
        problems.append(
            Problem(
                shown,
                line,
                col,
                dotted(finding.path),
                finding.message,
                finding.rule,
                finding.severity,
            )
        )
    errors = any(p.severity == "error" for p in problems)
    return (None if errors else offer_file), problems


def _validate(
    data: dict[object, object], text: str, path: Path, context: _Context, findings: list[Finding]
) -> OfferFile | None:
    prepared = PreparedData(context.env, context.settings.env)
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
            findings.extend(translate(exc, FileControls, ("reconciler",), None))

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

    def rules(offer: Any) -> list[Finding]:
        return check_offer(offer, today=context.today, strict=context.strict)

    if kind not in PRIVATE_OFFER_TYPES:
        findings.append(kind_finding(kind))
        findings.extend(as_closest_kind(body, OFFER_ADAPTER, rules))
        return None
    try:
        offer = OFFER_ADAPTER.validate_python(body)
    except ValidationError as exc:
        findings.extend(translate(exc, KIND_MODELS[kind], (), kind))
        findings.extend(rules_despite_errors(body, exc, kind, OFFER_ADAPTER, rules))
        return None
    findings.extend(rules(offer))
    offer_file = OfferFile(path=path, offer=offer, controls=controls, text=text)
    if prepared.templates:
        shown = path.as_posix()
        offer_file.templates = {
            p: t.at(shown, offer_file.position(p)[0]) for p, t in prepared.templates.items()
        }
    return offer_file


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
