"""The expiry and acceptance watch as text (``drift``) and markdown (the drift issue)."""

from __future__ import annotations

from reconciler.checks.watch import WatchedOffer, WatchReport
from reconciler.markdown import escape_markdown, inline_code
from reconciler.secrets import redact


def _when(item: WatchedOffer, group: str) -> str:
    if group == "expiring":
        left = item.days_left or 0
        return f"accept by {item.accept_by} ({'today' if left == 0 else f'in {left} day(s)'})"
    if group == "lapsed":
        return f"accept by {item.accept_by} passed, not accepted"
    if group == "ended":
        return f"ended {item.end}"
    return "accepted" + (f", ends {item.end}" if item.end else "")


GROUPS = (
    ("expiring", "Acceptance due soon"),
    ("lapsed", "Acceptance date passed, not accepted"),
    ("ended", "Ended"),
    ("accepted", "Accepted since the last run"),
)


def render_watch_text(report: WatchReport) -> str:
    lines = [f"Watch (acceptBy within {report.days} days, ended, accepted since the last run):"]
    for key, title in GROUPS:
        items: list[WatchedOffer] = getattr(report, key)
        for item in items:
            lines.append(f"  {title}: {redact(item.name)} ({item.id}): {_when(item, key)}")
    if report.first_run:
        # Two lines: the state file's path is long, and the text reads at 80 columns.
        lines.append(f"  No earlier watch state ({report.state_file}):")
        lines.append("  acceptances are reported from the next run on.")
    if not report.has_news and not report.first_run:
        lines.append("  Nothing to report.")
    return "\n".join(lines) + "\n"


def render_watch_markdown(report: WatchReport) -> str:
    """The drift issue's watch section (without its heading)."""
    out: list[str] = []
    for key, title in GROUPS:
        items: list[WatchedOffer] = getattr(report, key)
        if not items:
            continue
        out.append(f"**{title}**")
        out.append("")
        for item in items[:100]:
            flag = "" if item.managed else " (no file)"
            out.append(f"- {escape_markdown(redact(item.name))}{flag}: {_when(item, key)}")
        if len(items) > 100:
            out.append(f"- {len(items) - 100} more not shown")
        out.append("")
    if report.first_run:
        out.append(
            f"No earlier watch state ({inline_code(report.state_file)}): acceptances are "
            "reported from the next run on."
        )
    elif not out:
        out.append(
            f"No offer to accept within {report.days} days, none ended, none accepted since "
            "the last run."
        )
    return "\n".join(out).rstrip() + "\n"
