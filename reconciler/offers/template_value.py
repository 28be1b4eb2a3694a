"""Values that carry their origin: an offer file's ``${NAME}`` text, and live text.

A string of an offer file that holds ``${NAME}`` becomes a :class:`Template`: a ``str``
whose value is the expanded text (so validation and the comparison with the live offer see
what would be sent) and which keeps its template, file and line. Plans store the template,
never the value, and apply expands it again when it sends the request, only for the names
the settings allow at that moment (:func:`expand_template`).

Nothing else is ever expanded. Text read from a live offer (an originator's description, a
field a ``plan.ignore`` rule keeps) is a plain ``str``: whatever ``${...}`` it holds is sent
back as written. A live string that holds a SAS signature becomes a :class:`LiveSecret`,
stored in plans and journals as a reference that apply reads from the live offer again.

There is no process-wide map from values to templates: a literal that happens to equal some
variable's value is a literal, in its own file and in every other.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping

from reconciler.secrets import (
    UnsetVariable,
    VariableNotAllowed,
    add_secret,
    env_references,
    expand_string,
    has_literal_signature,
    is_secret_name,
)


class Template(str):
    """The expanded text of an offer file's ``${NAME}`` string; ``source`` is the template."""

    source: str
    file: str
    line: int

    def __new__(cls, value: str, source: str, file: str = "", line: int = 0) -> Template:
        obj = super().__new__(cls, value)
        obj.source = source
        obj.file = file
        obj.line = line
        return obj

    @property
    def names(self) -> list[str]:
        return env_references(self.source)

    def at(self, file: str, line: int) -> Template:
        return Template(str(self), self.source, file, line)

    # Immutable like str: copies share it (request bodies are deep-copied on the way).
    def __copy__(self) -> Template:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Template:
        return self

    def __reduce__(self) -> tuple[object, ...]:
        return (Template, (str(self), self.source, self.file, self.line))

    def __repr__(self) -> str:
        # The value may be a secret; a repr (tracebacks, debug logs) shows the template.
        return f"Template({self.source!r}, {self.file!r}, {self.line})"


class LiveSecret(str):
    """A live string holding a SAS signature; ``offer_id`` and ``field`` say where to re-read it."""

    offer_id: str
    field: tuple[str | int, ...]

    def __new__(cls, value: str, offer_id: str, field: tuple[str | int, ...]) -> LiveSecret:
        obj = super().__new__(cls, value)
        obj.offer_id = offer_id
        obj.field = field
        return obj

    def __copy__(self) -> LiveSecret:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> LiveSecret:
        return self

    def __reduce__(self) -> tuple[object, ...]:
        return (LiveSecret, (str(self), self.offer_id, self.field))

    def __repr__(self) -> str:
        return f"LiveSecret({self.offer_id!r}, {self.field!r})"


def expand_template(
    source: str, env: Mapping[str, str] | None, allowed: Collection[str] | None
) -> str:
    """*source* with every ``${NAME}`` replaced; :class:`VariableNotAllowed` for a name the
    settings do not allow (None allows every name: only for tests), :class:`UnsetVariable`
    for an unset one. Values of secret-looking names are registered for redaction."""
    expanded = expand_string(source, env, allowed)
    values = os.environ if env is None else env
    for name in env_references(source):
        if is_secret_name(name):
            add_secret(values.get(name))
    if expanded != source and has_literal_signature(expanded):
        add_secret(expanded)
    return expanded


def mark_live(value: object, offer_id: str | None, field: tuple[str | int, ...]) -> object:
    """A copy of live *value* where every string holding a SAS signature is a
    :class:`LiveSecret` (so it is stored as a reference, never as the value)."""
    if isinstance(value, str):
        if offer_id and type(value) is str and has_literal_signature(value):
            return LiveSecret(value, offer_id, field)
        return value
    if isinstance(value, Mapping):
        return {k: mark_live(v, offer_id, (*field, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [mark_live(v, offer_id, (*field, i)) for i, v in enumerate(value)]
    return value


__all__ = [
    "LiveSecret",
    "Template",
    "UnsetVariable",
    "VariableNotAllowed",
    "expand_template",
    "mark_live",
]
