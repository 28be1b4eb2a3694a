"""``import``: live offers -> offer files, each checked to plan empty before it is written.

For every selected offer (see :mod:`.fetch`):

1. **Which file** (:mod:`.placement`). An existing file anywhere under the output folder
   is matched by its pinned ``id`` first, then by ``name`` (same side: channel-partner
   files only match a selling partner's offers). A new file is named after the offer
   (lowercase ASCII, dashes) in the output folder, channel-partner files in its
   ``partner/`` subfolder (the layout of offers/); when two new offers would share a name,
   or the name is taken by another file, both get the first 8 characters of their id as a
   suffix.
2. **Render** (:mod:`.render`) and **write**: a new file from scratch, an existing one by a
   round-trip merge (:mod:`.yamltext`) that keeps comments, key order and quoting.
3. **Verify before writing.** The text is loaded exactly as ``validate`` loads it and
   planned against the very live offer with the planner (:func:`make_plan`); only a file
   that validates and plans empty is written. Anything else -- a field the model does not
   know, a value it rejects, a difference the planner would act on -- makes the offer
   *unrepresentable*: it is listed with the field paths and no file is written, so nothing
   is silently lost (exit code 1).

Not written either, but not an error: an offer whose name another selected offer already
uses (offer files need unique names; the active one wins), and a multiparty offer the
selling partner has not completed yet (its file would need the partner's markups, which do
not exist yet): both are listed as *skipped*.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ruamel.yaml.comments import CommentedMap

from reconciler.errors import EXIT_ERROR, EXIT_OK, OfferFilesInvalid, ReconcilerError
from reconciler.importer.fetch import Selection, select_offers
from reconciler.importer.placement import (
    ExistingFile,
    ambiguous_names,
    display,
    index_files,
    match_files,
    new_paths,
    pin_id,
)
from reconciler.importer.render import is_partner_pending, mark_fill_ins, render_offer
from reconciler.importer.yamltext import (
    Merger,
    dump_tree,
    new_file_text,
)
from reconciler.offers.domain import is_channel_partner, name_key
from reconciler.offers.loader import load_offer_text
from reconciler.plan.live import LiveClient, LiveState, short_id
from reconciler.plan.planner import PlanOptions, make_plan
from reconciler.secrets import env_references
from reconciler.settings import Settings
from reconciler.state.files import atomic_write
from reconciler.state.history import ApplyHistory

Action = Literal["created", "updated", "unchanged", "unrepresentable", "skipped"]
SCHEMA_FILE = Path("schemas") / "offer.schema.json"
_STATE_RANK = {"live": 0, "draft": 1, "withdrawn": 2, "deleted": 3}


@dataclass
class ImportOptions:
    out: Path
    selection: Selection
    dry_run: bool = False
    env: Mapping[str, str] | None = None
    """Where ``${VAR}`` references of existing files are expanded from (default os.environ)."""
    history: ApplyHistory | None = None
    """The apply history: a file whose approved change was not applied yet is kept as is."""


@dataclass
class Outcome:
    action: Action
    offer_id: str
    offer_name: str
    kind: str
    state: str
    path: Path | None = None
    problems: list[str] = field(default_factory=list)
    """Unrepresentable: the field paths and why; skipped: the reason."""
    warnings: list[str] = field(default_factory=list)
    env_vars: list[str] = field(default_factory=list)
    """``${VAR}`` references in the file (SAS signatures kept out of git)."""
    diff: str = ""
    text: str = field(default="", repr=False)
    """The file as written (or as it would be written with --dry-run)."""


@dataclass
class ImportResult:
    outcomes: list[Outcome]
    filtered: list[str] = field(default_factory=list)
    """Offers selected by --id/--name but left out by --state (as "name (state)")."""
    file_warnings: list[str] = field(default_factory=list)
    """Existing files under the output folder that could not be read for matching."""
    dry_run: bool = False

    def count(self, action: Action) -> int:
        return sum(1 for o in self.outcomes if o.action == action)

    @property
    def exit_code(self) -> int:
        return EXIT_ERROR if self.count("unrepresentable") else EXIT_OK

    def summary(self) -> str:
        verb = "would be " if self.dry_run else ""
        text = (
            f"{self.count('created')} {verb}written, {self.count('updated')} {verb}updated, "
            f"{self.count('unchanged')} unchanged, "
            f"{self.count('unrepresentable')} with unrepresentable fields"
        )
        if self.count("skipped"):
            text += f", {self.count('skipped')} skipped"
        return text


def import_offers(client: LiveClient, settings: Settings, options: ImportOptions) -> ImportResult:
    if not options.dry_run:
        _refuse_links(options.out, options.out)  # before anything is read or written
    selected = select_offers(client, options.selection)
    existing, file_warnings = index_files(options.out)
    result = ImportResult(
        outcomes=[],
        filtered=[f"{o.get('name')} ({o.get('state')})" for o in selected.filtered],
        file_warnings=file_warnings,
        dry_run=options.dry_run,
    )
    offers, duplicates = _unique_names(selected.offers)
    result.outcomes.extend(duplicates)
    matches = match_files(offers, existing)
    paths = new_paths(
        [o for o in offers if short_id(str(o.get("id"))) not in matches],
        options.out,
        {e.path for e in existing},
    )
    env = dict(os.environ if options.env is None else options.env)
    ambiguous = ambiguous_names(selected.all_offers)
    for offer in offers:
        oid = short_id(str(offer.get("id")))
        to_complete = is_channel_partner(offer.get("privateOfferType")) and is_partner_pending(
            offer
        )
        target = matches.get(oid)
        path = target.path if target is not None else paths[oid]
        kept = approved_not_applied(options.history, target)
        if kept is not None:
            # Importing now would write back the values git approved later than the live
            # ones (an old price, a withdrawn state): the way out is applying, not importing.
            outcome = _outcome(offer, "skipped", path)
            outcome.problems = [f"{kept}; apply it (`reconciler apply`) instead of importing"]
            result.outcomes.append(outcome)
            continue
        pin = pin_id(offer, target, ambiguous)
        outcome = _one(
            offer, selected.prices, target, path, settings, env, pin=pin, to_complete=to_complete
        )
        if not options.dry_run and outcome.action in ("created", "updated"):
            _write(path, outcome, options.out)
        result.outcomes.append(outcome)
    return result


def approved_not_applied(history: ApplyHistory | None, target: ExistingFile | None) -> str | None:
    """Why *target*'s file must not be overwritten: its last apply did not succeed."""
    if history is None or target is None:
        return None
    where = target.path.resolve()
    for entry in history.offers.values():
        if not entry.applied and Path(entry.file).resolve() == where:
            return f"approved in git, not applied yet: the apply of {entry.at} ended {entry.status}"
    return None


# --- one offer ----------------------------------------------------------------------------------


def _outcome(offer: Mapping[str, object], action: Action, path: Path | None) -> Outcome:
    return Outcome(
        action=action,
        offer_id=str(offer.get("id", "")),
        offer_name=str(offer.get("name", "")),
        kind=str(offer.get("privateOfferType", "")),
        state=str(offer.get("state", "")),
        path=path,
    )


def _one(
    offer: dict[str, object],
    prices: Mapping[str, Mapping[str, object]],
    target: ExistingFile | None,
    path: Path,
    settings: Settings,
    env: dict[str, str],
    *,
    pin: bool,
    to_complete: bool = False,
) -> Outcome:
    rendered = render_offer(offer, prices, file_stem=path.stem, to_complete=to_complete)
    if not pin:
        rendered.data.pop("id", None)
    if rendered.unknown:
        outcome = _outcome(offer, "unrepresentable", path)
        outcome.problems = [
            f"{p}: the field is not known to the offer model" for p in rendered.unknown
        ]
        return outcome
    if target is None:
        schema_ref = Path(os.path.relpath(settings.root / SCHEMA_FILE, path.parent)).as_posix()
        text = new_file_text(rendered.data, schema_ref)
        if to_complete:
            text = mark_fill_ins(text)
        action: Action = "created"
        old = ""
    else:
        merger = Merger(secrets=rendered.secrets, ignore=_ignore_rules(target.tree), env=env)
        if not merger.merge(target.tree, rendered.data):
            outcome = _outcome(offer, "unchanged", path)
            outcome.env_vars = env_references(target.text)
            return outcome
        text = dump_tree(target.tree, target.text)
        action = "updated"
        old = target.text
    outcome = _outcome(offer, action, path)
    outcome.env_vars = env_references(text)
    if to_complete:
        # Nothing to check against: the partner's side does not exist yet. The file is the
        # form to fill in; the next partner plan completes the offer.
        outcome.warnings = [
            "the selling partner has not completed this offer yet: fill in preparedBy and the "
            "markupPercentage of each originatorPricing entry, then plan and apply as the partner"
        ]
    else:
        outcome.problems, outcome.warnings = _verify(
            text, path, offer, prices, settings, {**env, **rendered.secrets}
        )
    if outcome.problems:
        outcome.action = "unrepresentable"
        return outcome
    shown = display(path)
    outcome.diff = "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            text.splitlines(keepends=True),
            fromfile="/dev/null" if target is None else f"a/{shown}",
            tofile=f"b/{shown}",
        )
    )
    outcome.diff = outcome.diff if outcome.diff.endswith("\n") else outcome.diff + "\n"
    outcome.text = text
    return outcome


def _verify(
    text: str,
    path: Path,
    offer: dict[str, object],
    prices: Mapping[str, Mapping[str, object]],
    settings: Settings,
    env: dict[str, str],
) -> tuple[list[str], list[str]]:
    """(errors, warnings) of *text* as ``validate`` and the next ``plan`` would see it."""
    warnings: list[Any] = []
    try:
        offer_file = load_offer_text(
            text, display(path), settings, strict=False, env=env, warnings=warnings
        )
    except OfferFilesInvalid as exc:
        return [f"{p.path or 'file'}: {p.message}" for p in exc.problems], []
    notes = [f"{p.path}: {p.message} (an error for validate --strict)" for p in warnings]
    role = "partner" if is_channel_partner(offer.get("privateOfferType")) else "publisher"
    try:
        plan = make_plan(
            [offer_file],
            LiveState(offers=[offer], prices={k: dict(v) for k, v in prices.items()}),
            settings,
            options=PlanOptions(role=role),
        )
    except ReconcilerError as exc:
        return [f"the planner refuses the file: {exc}"], notes
    errors = [
        f"{fc.path}: the next plan would {change.action} this offer ({fc.op})"
        for change in plan.changes
        for fc in change.field_changes
    ]
    if plan.changes and not errors:
        errors = [f"the next plan would {c.action} this offer" for c in plan.changes]
    return errors, notes


def _refuse_links(out: Path, folder: Path) -> None:
    """Import writes only into real folders: *out* and every folder below it on the way to
    *folder* (a link there would put offer files wherever it points)."""
    try:
        parts = folder.relative_to(out).parts
    except ValueError:
        parts = ()
    for depth in range(len(parts) + 1):
        step = out.joinpath(*parts[:depth])
        if step.is_symlink():
            raise ReconcilerError(
                f"{step.as_posix()}: a symbolic link; import writes only into real folders"
            )


def _write(path: Path, outcome: Outcome, out: Path) -> None:
    _refuse_links(out, path.parent)
    if path.is_symlink():
        link = path.as_posix()
        raise ReconcilerError(f"{link}: a symbolic link; import never writes through one")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReconcilerError(f"{display(path)}: cannot write: {exc.strerror}") from None
    # A new file at a random name (O_EXCL | O_NOFOLLOW), then renamed over the target.
    atomic_write(path, outcome.text, 0o644)


def _ignore_rules(tree: CommentedMap) -> list[str]:
    controls = tree.get("reconciler")
    rules = controls.get("ignore") if isinstance(controls, Mapping) else None
    return [str(r) for r in rules] if isinstance(rules, list) else []


def _unique_names(offers: list[dict[str, object]]) -> tuple[list[dict[str, object]], list[Outcome]]:
    """One offer per name and side (offer files need unique names); the active one wins."""
    groups: dict[tuple[bool, str], list[dict[str, object]]] = {}
    for offer in offers:
        side = is_channel_partner(offer.get("privateOfferType"))
        groups.setdefault((side, name_key(offer.get("name"))), []).append(offer)
    keep: set[int] = set()
    skipped: list[Outcome] = []
    for group in groups.values():
        # Live first: a withdrawn offer reads back as a draft (the documented state after a
        # withdraw), so a live namesake is the one the files should describe.
        winner = min(group, key=lambda o: _STATE_RANK.get(str(o.get("state")), len(_STATE_RANK)))
        keep.add(id(winner))
        for other in group:
            if other is not winner:
                outcome = _outcome(other, "skipped", None)
                outcome.problems.append(
                    f"offer {winner.get('id')} ({winner.get('state')}) has the same name and is "
                    "imported; offer files need unique names"
                )
                skipped.append(outcome)
    return [o for o in offers if id(o) in keep], skipped
