"""Offer timeline: each changed offer's start, acceptBy and end (and today) as a Mermaid gantt.

The dates are the offer file's (what the change makes true), falling back to the live
offer's where the file has none: a selling partner's file carries no dates, and a
withdraw needs none. An offer that starts on acceptance (``variableStartDate``) is drawn
from today, the earliest day it can start. GitHub renders a ```` ```mermaid ```` block in
issues and comments, so a reviewer sees overlaps and gaps without leaving the PR.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from reconciler.checks.watch import as_date
from reconciler.offers.domain import offer_key
from reconciler.offers.loader import OfferFile
from reconciler.offers.model import ChannelPartnerOffer
from reconciler.plan.changes import Change
from reconciler.secrets import redact

MAX_ROWS = 60  # a gantt taller than this is unreadable in a PR comment; the rest is listed
_UNSAFE = re.compile(r"[:;#`\x00-\x1f\x7f]+")  # Mermaid separators, fences, controls


class TimelineRow(BaseModel):
    offer_name: str
    file: str
    action: str
    start: dt.date | None = None
    starts_on_acceptance: bool = False
    accept_by: dt.date | None = None
    end: dt.date | None = None
    # The live offer's term and acceptBy where they differ from the file's (drift, or a
    # change of dates): drawn as a second, highlighted bar.
    live_start: dt.date | None = None
    live_end: dt.date | None = None
    live_accept_by: dt.date | None = None

    @property
    def has_dates(self) -> bool:
        return bool(self.start or self.accept_by or self.end or self.starts_on_acceptance)


class Timeline(BaseModel):
    today: dt.date
    rows: list[TimelineRow] = []


def _dates_of_file(f: OfferFile) -> dict[str, object]:
    if isinstance(f.offer, ChannelPartnerOffer):
        return {}
    return {
        "start": f.offer.start,
        "end": f.offer.end,
        "acceptBy": getattr(f.offer, "accept_by", None),
        "variableStartDate": f.offer.variable_start_date,
    }


def build_timeline(
    changes: Iterable[Change],
    files: Sequence[OfferFile],
    live_offers: Iterable[Mapping[str, object]],
    today: dt.date,
) -> Timeline:
    """One row per change, dates from the file, else from the live offer."""
    by_path = {str(f.path): f for f in files}
    live = {offer_key(str(o.get("id", ""))): o for o in live_offers if o.get("id")}
    rows = []
    for change in changes:
        f = by_path.get(change.file)
        mine = _dates_of_file(f) if f else {}
        theirs = live.get(offer_key(change.offer_id or ""), {})

        def pick(key: str, mine: Mapping[str, Any] = mine, theirs: Any = theirs) -> Any:
            return mine.get(key) if mine.get(key) is not None else theirs.get(key)

        row = TimelineRow(
            offer_name=change.offer_name,
            file=change.file,
            action=change.action,
            start=as_date(pick("start")),
            starts_on_acceptance=bool(pick("variableStartDate")),
            accept_by=as_date(pick("acceptBy")),
            end=as_date(pick("end")),
        )
        was = {k: as_date(theirs.get(k)) for k in ("start", "end", "acceptBy")}
        if theirs and (was["start"], was["end"]) != (row.start, row.end) and was["end"]:
            row.live_start, row.live_end = was["start"], was["end"]
        if theirs and was["acceptBy"] and was["acceptBy"] != row.accept_by:
            row.live_accept_by = was["acceptBy"]
        rows.append(row)
    return Timeline(today=today, rows=rows)


# Section titles sit in a left column of this many pixels; longer names would run over
# the bars, so they are cut to what fits (the table above names every offer in full).
LABEL_COLUMN_PX = 190
LABEL_CHARS = 26


def _label(text: str) -> str:
    cleaned = " ".join(_UNSAFE.sub(" ", redact(text)).split()) or "offer"
    return cleaned if len(cleaned) <= LABEL_CHARS else cleaned[: LABEL_CHARS - 1].rstrip() + "…"


def _tick_months(timeline: Timeline) -> int:
    """Months between axis ticks: about six ticks whatever the span, never overlapping."""
    days = [timeline.today]
    for row in timeline.rows:
        days += [d for d in (row.start, row.end, row.accept_by, row.live_end) if d]
    months = (max(days) - min(days)).days / 30
    return next((n for n in (1, 2, 3, 6) if months / n <= 8), 12)


def render_mermaid(timeline: Timeline) -> str:
    """The gantt as a fenced ```` ```mermaid ```` block (empty string: nothing dated).

    Today is Mermaid's own marker, a red line across every row (drawn on the reader's
    today, which is what a reader wants); ticks are a few months apart with month names.
    """
    config = (
        '%%{init: {"gantt": {"leftPadding": ' + str(LABEL_COLUMN_PX) + ', "fontSize": 12, '
        '"sectionFontSize": 12, "barHeight": 18}}}%%'
    )
    lines = [
        "```mermaid",
        config,
        "gantt",
        "    dateFormat YYYY-MM-DD",
        "    axisFormat %b %Y",
        f"    tickInterval {_tick_months(timeline)}month",
        "    todayMarker stroke-width:3px,stroke:#d1242f",
    ]
    drawn = 0
    for n, row in enumerate(r for r in timeline.rows if r.has_dates):
        if drawn >= MAX_ROWS:
            break
        drawn += 1
        lines.append(f"    section {_label(row.offer_name)}")
        start = row.start or (timeline.today if row.starts_on_acceptance else None)
        if start and row.end:
            first, last = sorted((start, row.end))
            what = "from acceptance" if row.start is None else "term"
            span = f"{first.isoformat()}, {last.isoformat()}"
            lines.append(f"    {what} : t{n}, {span}")
        elif row.end:
            lines.append(f"    end : milestone, e{n}, {row.end.isoformat()}, 0d")
        elif start:
            lines.append(f"    start : milestone, s{n}, {start.isoformat()}, 0d")
        if row.accept_by:
            lines.append(f"    accept by : milestone, a{n}, {row.accept_by.isoformat()}, 0d")
        if row.live_end:
            first, last = sorted((row.live_start or timeline.today, row.live_end))
            span = f"{first.isoformat()}, {last.isoformat()}"
            lines.append(f"    live term : crit, l{n}, {span}")
        if row.live_accept_by:
            day = row.live_accept_by.isoformat()
            lines.append(f"    live accept by : crit, milestone, la{n}, {day}, 0d")
    if not drawn:
        return ""
    lines.append("```")
    return "\n".join(lines) + "\n"


def undrawn(timeline: Timeline) -> list[TimelineRow]:
    """Rows the gantt leaves out: no dates at all, or past :data:`MAX_ROWS`."""
    dated = [r for r in timeline.rows if r.has_dates]
    return [r for r in timeline.rows if not r.has_dates] + dated[MAX_ROWS:]


def render_text(timeline: Timeline) -> str:
    """One line per offer for the terminal: start → end, accept by."""
    out = []
    for row in timeline.rows:
        start = "on acceptance" if row.starts_on_acceptance else _iso(row.start)
        line = (
            f"  {redact(row.offer_name)} ({row.action}): {start} → {_iso(row.end)}, "
            f"accept by {_iso(row.accept_by)}"
        )
        if row.live_end or row.live_accept_by:
            line += (
                f" (live: {_iso(row.live_start)} → {_iso(row.live_end)}, "
                f"accept by {_iso(row.live_accept_by)})"
            )
        out.append(line)
    return "\n".join(out)


def _iso(value: dt.date | None) -> str:
    return value.isoformat() if value else "—"
