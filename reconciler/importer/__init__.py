"""Live offers -> offer files (``reconciler import``); see docs/import.md."""

from __future__ import annotations

from reconciler.importer.core import ImportOptions, ImportResult, Outcome, import_offers
from reconciler.importer.fetch import (
    DEFAULT_STATES,
    STATES,
    ImportSelectionError,
    Selection,
    parse_states,
)
from reconciler.importer.placement import slug

__all__ = [
    "DEFAULT_STATES",
    "STATES",
    "ImportOptions",
    "ImportResult",
    "ImportSelectionError",
    "Outcome",
    "Selection",
    "import_offers",
    "parse_states",
    "slug",
]
