"""The one form in which request bodies are kept: plans, journals and the state ref.

A step's resources are stored *sealed*:

* an offer file's ``${NAME}`` string (a :class:`~reconciler.offers.template_value.Template`)
  is stored as its template, and the step lists it in ``templates`` (where it sits, its
  file and line). Apply expands exactly those places, nothing else, and only for the names
  the settings allow when it sends (:func:`unseal`);
* a live string holding a SAS signature (a
  :class:`~reconciler.offers.template_value.LiveSecret`, e.g. a field a ``plan.ignore``
  rule keeps) is stored redacted, and the step lists in ``live_values`` where apply reads
  it again from the live offer.

Every other string is data and is sent as written, ``${...}`` included. The plan file,
the journal's ``open`` record (the plan) and the ``github`` state ref (the journals) all
hold this form, so a secret never reaches any of them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.offers.template_value import LiveSecret, Template, expand_template
from reconciler.plan.records import Record
from reconciler.secrets import redact_patterns

Path = list[str | int]


class TemplateRef(Record):
    """An offer file's ``${NAME}`` string at ``at`` (resource index, then keys/indexes)."""

    at: Path
    template: str
    file: str
    line: int


class LiveRef(Record):
    """A live value holding a secret: re-read from offer ``offer_id`` at ``field``."""

    at: Path
    offer_id: str
    field: Path


class SealError(ReconcilerError):
    """A stored body that cannot be sent as it is (a changed live value, a bad reference)."""


def seal(
    resources: list[dict[str, object]],
) -> tuple[list[object], list[TemplateRef], list[LiveRef]]:
    """The stored form of *resources*, with the places apply fills in when it sends."""
    templates: list[TemplateRef] = []
    live: list[LiveRef] = []

    def walk(value: Any, at: Path) -> Any:
        if isinstance(value, Template):
            templates.append(
                TemplateRef(at=at, template=value.source, file=value.file, line=value.line)
            )
            return value.source
        if isinstance(value, LiveSecret):
            live.append(LiveRef(at=at, offer_id=value.offer_id, field=list(value.field)))
            return redact_patterns(str(value))
        if isinstance(value, str):
            return str(value)  # any other str subclass is stored as plain text
        if isinstance(value, Mapping):
            return {k: walk(v, [*at, k]) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v, [*at, i]) for i, v in enumerate(value)]
        return value

    return walk(list(resources), []), templates, live


def _slot(resources: list[Any], at: Path) -> tuple[Any, str | int]:
    node: Any = resources
    for part in at[:-1]:
        node = node[part]
    if not at or not isinstance(node, dict | list):
        raise KeyError(at)
    return node, at[-1]


def _read(value: Any, field: Path) -> Any:
    for part in field:
        value = value[part]
    return value


def unseal(
    resources: list[dict[str, object]],
    templates: list[TemplateRef],
    live: list[LiveRef],
    *,
    env: Mapping[str, str] | None,
    allowed: Collection[str] | None,
    read_offer: Callable[[str], Mapping[str, object]],
) -> list[dict[str, object]]:
    """The body to send: *resources* (one step's, a copy) with its templates expanded and
    its live secrets read again. Raises :class:`SealError`, or
    :class:`~reconciler.secrets.UnsetVariable` / ``VariableNotAllowed`` for a name."""
    offers: dict[str, Mapping[str, object]] = {}
    for ref in templates:
        try:
            node, key = _slot(resources, ref.at)
            current = node[key]
        except (KeyError, IndexError, TypeError):
            current = None
        if current != ref.template:
            where = f"{ref.file}:{ref.line}"
            raise SealError(f"the saved plan's template from {where} is not in its body")
        node[key] = expand_template(ref.template, env, allowed)
    for lref in live:
        changed = SealError(
            f"offer {lref.offer_id} changed its {'.'.join(map(str, lref.field))} since the "
            "plan; nothing was sent for it: run plan again"
        )
        if lref.offer_id not in offers:
            offers[lref.offer_id] = read_offer(lref.offer_id)
        try:
            value = _read(offers[lref.offer_id], lref.field)
            node, key = _slot(resources, lref.at)
            stored = node[key]
        except (KeyError, IndexError, TypeError):
            raise changed from None
        # The value read now must be the one the plan saw (its redacted form is stored).
        if not isinstance(value, str) or redact_patterns(value) != stored:
            raise changed
        node[key] = value
    return resources
