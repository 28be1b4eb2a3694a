"""Walking parsed offer data once: ``${VAR}`` templates expanded, size bounded, SAS signatures.

A string holding ``${NAME}`` becomes a :class:`~reconciler.offers.template_value.Template`
(its expanded value, its template) kept by path in :attr:`PreparedData.templates`, so a plan
stores the template, never the value, and apply expands it again when it sends. Only the
variables the settings allow expand
(``[tool.reconciler] env = [...]`` or the ``RECONCILER_VAR_`` prefix): a pull request must
not be able to copy any runner variable into an API body. Names, descriptions and notes are
never expanded: they are shown in plans and pull-request comments.

The walk also bounds the data (an alias bomb stops at
:data:`~reconciler.offers.yamlread.MAX_NODES`, nesting at ``MAX_DEPTH``) and refuses
recursive aliases and non-text keys.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping

from reconciler.offers.fields import SAS_URL_KEYS
from reconciler.offers.rules import Finding
from reconciler.offers.template_value import Template, expand_template
from reconciler.offers.yamlread import MAX_DEPTH, MAX_NODES, yaml_type
from reconciler.secrets import (
    VAR_PREFIX,
    UnsetVariable,
    VariableNotAllowed,
    env_references,
    has_literal_signature,
)

# Values returned as they are (a string only when it holds no template).
_PLAIN = frozenset({str, int, float, bool, type(None), dt.date, dt.datetime})


# Shown text: a template here would put the variable's value in every plan and comment.
TEXT_KEYS = frozenset({"name", "description", "notes"})


class PreparedData:
    """One pass over the parsed data: a bounded copy with ${ENV} expanded."""

    def __init__(
        self, env: Mapping[str, str] | None, allowed: Collection[str] | None = None
    ) -> None:
        self.env = env
        # None: any variable (callers re-reading their own templates); files pass the settings'.
        self.allowed = allowed
        self.findings: list[Finding] = []
        self.sas_paths: list[tuple[str | int, ...]] = []
        # path -> the template found there (the file's own ${NAME} strings, nothing else)
        self.templates: dict[tuple[str | int, ...], Template] = {}
        self.nodes = 0
        self.aborted = False
        self._stack: set[int] = set()

    def walk(self, value: object, path: tuple[str | int, ...], depth: int) -> object:
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
                    return [
                        v if self._leaf(v) else self.walk(v, (*path, i), depth + 1)
                        for i, v in enumerate(value)
                    ]
                result: dict[str, object] = {}
                for key, item in value.items():
                    if not isinstance(key, str):
                        self.findings.append(
                            Finding(
                                path, f"keys must be text, found {yaml_type(key)} key", "yaml-key"
                            )
                        )
                        continue
                    # A literal signature (sig= or sig%3D); `sig=${SAS_SIG}` is a template.
                    sas = key in SAS_URL_KEYS and isinstance(item, str)
                    if sas and has_literal_signature(item):
                        self.sas_paths.append((*path, key))
                    if self._leaf(item):
                        result[key] = item
                    else:
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

    def _leaf(self, value: object) -> bool:
        """Counts *value* as walked when it is a plain value the walk returns unchanged.

        Most values of a file are; walking them through :meth:`walk` would build a path
        tuple per value only for a finding that a plain value never has.
        """
        if type(value) not in _PLAIN or self.aborted or self.nodes >= MAX_NODES:
            return False
        if type(value) is str and "${" in value:
            return False
        self.nodes += 1
        return True

    def _string(self, value: str, path: tuple[str | int, ...]) -> str:
        if "${" not in value:
            return value
        key = next((p for p in reversed(path) if isinstance(p, str)), "")
        if key in TEXT_KEYS and env_references(value):
            self.findings.append(
                Finding(
                    path,
                    f"{key} is shown in plans and pull-request comments, so ${{VAR}} is not "
                    f"expanded in it; write the text itself (found {value!r})",
                    "env-in-text",
                )
            )
            return value
        try:
            expanded = expand_template(value, self.env, self.allowed)
        except VariableNotAllowed as exc:
            self.findings.append(
                Finding(
                    path,
                    f"environment variable {exc.args[0]} may not be used in offer files: list "
                    f'it in the settings (env = ["{exc.args[0]}"] in reconciler.toml or '
                    f"[tool.reconciler]) or name it {VAR_PREFIX}...",
                    "env-not-allowed",
                )
            )
            return value
        except UnsetVariable as exc:
            self.findings.append(
                Finding(
                    path,
                    f"environment variable {exc.args[0]} is not set",
                    "env-unset",
                )
            )
            return value
        if expanded == value:
            return value
        template = Template(expanded, value)
        self.templates[path] = template
        return template
