"""Extra banners and sections other plan checks attach to a plan (timeline, price warnings).

A check builds :class:`PlanExtra` items and appends them to ``Plan.extras``; every renderer
shows them (markdown: banners as GitHub alerts at the top, sections after the offers; text:
lines before the summary; JSON: as data). They are saved with the plan but are not part of
its checksum: an added warning never makes a reviewed plan stale.

``markdown`` is trusted: whoever builds it escapes offer text with :mod:`reconciler.markdown`.
"""

from __future__ import annotations

from enum import StrEnum

from reconciler.plan.records import MutableRecord


class ExtraKind(StrEnum):
    BANNER = "banner"
    SECTION = "section"


class ExtraLevel(StrEnum):
    NOTE = "note"
    WARNING = "warning"
    CAUTION = "caution"


class PlanExtra(MutableRecord):
    kind: ExtraKind
    title: str
    markdown: str = ""
    text: str = ""
    level: ExtraLevel = ExtraLevel.NOTE
