"""``reconciler report --html``: every managed offer on one self-contained page.

A deal desk's spreadsheet that is always true: customer, product and plan, discount and
price per month against list, term, accept-by, live state and whether the customer accepted,
with a timeline the tool draws itself as inline SVG. One file, no network, no script: it
opens from a workflow artifact or an e-mail attachment as it is.

Every text from a file or the live account goes through ``html.escape``; nothing else is
interpolated into the markup.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

from reconciler.plan.deal import Deal
from reconciler.render.deal_table import prices_text, term_text
from reconciler.secrets import redact

ROW_PX = 24
LABEL_PX = 260
CHART_PX = 640
AXIS_PX = 28

STYLE = """
body { font: 14px/1.45 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif;
  color: #1f2328; margin: 24px; }
h1 { font-size: 20px; } p.meta { color: #59636e; }
table { border-collapse: collapse; margin: 16px 0; }
th, td { border: 1px solid #d1d9e0; padding: 6px 10px; vertical-align: top; text-align: left; }
tr:nth-child(2n) { background: #f6f8fa; }
td.state-live { color: #1a7f37; } td.state-withdrawn, td.missing { color: #cf222e; }
.scroll { overflow-x: auto; }
svg text { font: 11px -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
"""


@dataclass(frozen=True)
class ReportRow:
    """One managed offer: its file's terms and what the live account says of it."""

    name: str
    file: str
    deal: Deal
    state: str  # the live state, or "not created"
    accepted: bool


def _e(text: object) -> str:
    return html.escape(redact(str(text)), quote=True)


def _cell(lines: list[str]) -> str:
    return "<br>".join(_e(line) for line in lines if line) or "&nbsp;"


def _row(r: ReportRow) -> str:
    d = r.deal
    state_class = f"state-{r.state}" if r.state in ("draft", "live", "withdrawn") else "missing"
    return (
        f"<tr><td><b>{_e(r.name)}</b><br><small>{_e(r.file)}</small></td>"
        f"<td>{_cell(d.customers)}</td><td>{_cell(d.products)}</td>"
        f"<td>{_cell(d.terms)}</td><td>{_cell(prices_text(d))}</td>"
        f"<td>{_cell([term_text(d)])}</td><td>{_cell([str(d.accept_by or '')])}</td>"
        f'<td class="{state_class}">{_e(r.state)}</td>'
        f"<td>{'yes' if r.accepted else 'no'}</td></tr>"
    )


def _span(rows: list[ReportRow], today: dt.date) -> tuple[dt.date, dt.date]:
    days = [today]
    for r in rows:
        days += [x for x in (r.deal.start, r.deal.end, r.deal.accept_by) if x]
    first, last = min(days), max(days)
    return first.replace(day=1), last if last > first else first + dt.timedelta(days=31)


def timeline_svg(rows: list[ReportRow], today: dt.date) -> str:
    """Each offer's term as a bar, its accept-by as a diamond, today as a red line."""
    first, last = _span(rows, today)
    total = max(1, (last - first).days)

    def x(day: dt.date) -> float:
        return LABEL_PX + CHART_PX * (day - first).days / total

    height = AXIS_PX + ROW_PX * len(rows) + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{LABEL_PX + CHART_PX + 16}" '
        f'height="{height}" role="img" aria-label="Offer timeline">'
    ]
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    step = next((n for n in (1, 2, 3, 6) if months / n <= 10), 12)
    tick = first
    while tick <= last:
        parts.append(
            f'<line x1="{x(tick):.1f}" y1="{AXIS_PX - 6}" x2="{x(tick):.1f}" y2="{height}" '
            'stroke="#d1d9e0"/>'
            f'<text x="{x(tick):.1f}" y="{AXIS_PX - 10}" text-anchor="middle">'
            f"{tick.strftime('%b %Y')}</text>"
        )
        month = tick.month - 1 + step
        tick = dt.date(tick.year + month // 12, month % 12 + 1, 1)
    for n, r in enumerate(rows):
        y = AXIS_PX + n * ROW_PX
        label = r.name if len(r.name) <= 34 else r.name[:33] + "…"
        parts.append(f'<text x="4" y="{y + 15}">{_e(label)}</text>')
        start = r.deal.start or (today if r.deal.starts_on_acceptance else None)
        if start and r.deal.end:
            left, right = sorted((x(start), x(r.deal.end)))
            colour = "#8c96a0" if r.state in ("withdrawn", "not created") else "#6e7bd9"
            parts.append(
                f'<rect x="{left:.1f}" y="{y + 5}" width="{max(2.0, right - left):.1f}" '
                f'height="{ROW_PX - 10}" rx="3" fill="{colour}"/>'
            )
        if r.deal.accept_by:
            ax, ay = x(r.deal.accept_by), y + ROW_PX / 2
            parts.append(
                f'<polygon points="{ax:.1f},{ay - 6} {ax + 6:.1f},{ay} {ax:.1f},{ay + 6} '
                f'{ax - 6:.1f},{ay}" fill="#bf8700"><title>accept by {r.deal.accept_by}'
                "</title></polygon>"
            )
    line = x(today)
    parts.append(
        f'<line x1="{line:.1f}" y1="{AXIS_PX - 6}" x2="{line:.1f}" y2="{height}" '
        'stroke="#d1242f" stroke-width="2"/>'
        f'<text x="{line + 3:.1f}" y="{height - 2}" fill="#d1242f">today</text></svg>'
    )
    return "".join(parts)


def render_html_report(rows: list[ReportRow], *, today: dt.date, source: str) -> str:
    """The page: a heading, the table, the timeline, and where the figures come from."""
    header = (
        "<tr><th>Offer</th><th>Customer</th><th>Product · plan</th><th>Discount</th>"
        "<th>Price per month</th><th>Term</th><th>Accept by</th><th>State</th>"
        "<th>Accepted</th></tr>"
    )
    accepted = sum(1 for r in rows if r.accepted)
    body = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>Private offers</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Private offers</h1>",
        f'<p class="meta">{len(rows)} managed offers, {accepted} accepted · as of '
        f"{today.isoformat()} · {_e(source)}</p>",
        f'<div class="scroll"><table>{header}{"".join(_row(r) for r in rows)}</table></div>',
        "<h2>Timeline</h2>",
        f'<div class="scroll">{timeline_svg(rows, today)}</div>' if rows else "<p>No offers.</p>",
        '<p class="meta">Prices per month against the public plan\'s list price; terms and '
        "dates from the offer files, state and acceptance from the live account.</p>",
        "</body></html>",
    ]
    return "\n".join(body) + "\n"
