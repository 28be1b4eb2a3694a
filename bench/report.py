"""Results -> the table (terminal and markdown), the targets check, and the JSON file.

Counts come from the emulator's own statistics (what the service received), so the tool
and the naive baseline are counted the same way. For the naive apply, which runs a sample
of the changes, every figure is scaled to all the changes and marked ``~``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CONFIGURE = "POST configure"
STATUS = "GET configure/{id}/status"


@dataclass
class Figures:
    wall: float
    cpu: float
    rss: float
    requests: float
    jobs: float
    polls: float
    estimated: bool = False


def figures(result: dict[str, Any] | None) -> Figures | None:
    if result is None:
        return None
    server: dict[str, int] = result.get("server_requests") or {}
    details = result.get("details") or {}
    estimate = details.get("estimate")
    if estimate:
        # A naive plan that read a sample of the offers one by one, scaled to all of them.
        return Figures(
            wall=float(estimate["wall"]),
            cpu=result["cpu"],
            rss=result["peak_rss_mb"],
            requests=float(estimate["requests"]),
            jobs=0,
            polls=0,
            estimated=True,
        )
    scale = float(details.get("scale", 1.0))
    return Figures(
        wall=result["wall"] * scale,
        cpu=result["cpu"] * scale,
        rss=result["peak_rss_mb"],
        requests=sum(server.values()) * scale,
        jobs=server.get(CONFIGURE, 0) * scale,
        polls=server.get(STATUS, 0) * scale,
        estimated=scale != 1.0,
    )


def _ratio(ours: float, naive: float) -> str:
    if naive == 0:
        return "-" if ours == 0 else "inf"
    return f"{ours / naive:.3f}" if ours / naive < 0.1 else f"{ours / naive:.2f}"


def _num(value: float, estimated: bool = False, digits: int = 0) -> str:
    text = f"{value:,.{digits}f}"
    return ("~" + text) if estimated else text


def floor_text(row: dict[str, Any], ours: Figures | None) -> str:
    floor = row.get("floor") or {}
    parts = []
    if ours is not None and "requests" in floor:
        parts.append(f">= {floor['requests']:,} req (x{ours.requests / floor['requests']:.2f})")
    if ours is not None and "parse_seconds" in floor:
        parts.append(
            f"parse {floor['parse_seconds']:.2f} s (x{ours.wall / floor['parse_seconds']:.1f})"
        )
    if ours is not None and "latency" in floor:
        details = (row.get("ours") or {}).get("details") or {}
        bound = floor["latency"] + details.get("submission", 0.0)
        parts.append(
            f"latency {floor['latency']:g} s + submit {details.get('submission', 0.0):.2f} s "
            f"(x{ours.wall / bound:.2f})"
        )
    if ours is not None and "budget_seconds" in floor:
        budget = floor["budget_seconds"]
        parts.append(f"budget {budget:.1f} s (x{ours.wall / budget:.2f})")
    return "; ".join(parts) or "-"


HEADERS = (
    "N", "scenario", "wall s", "CPU s", "peak MB", "requests", "jobs", "polls",
    "naive wall s", "naive req", "naive jobs", "naive polls",
    "wall x", "req x", "jobs x", "polls x", "floor (ours x floor)",
)  # fmt: skip


def table_rows(results: dict[str, Any]) -> list[list[str]]:
    out = []
    for row in results["rows"]:
        ours, naive = figures(row.get("ours")), figures(row.get("naive"))
        cells = [f"{row['size']:,}", row["scenario"]]
        if ours is None:
            cells += ["-"] * 6
        else:
            cells += [
                f"{ours.wall:.2f}", f"{ours.cpu:.2f}", f"{ours.rss:.0f}",
                _num(ours.requests), _num(ours.jobs), _num(ours.polls),
            ]  # fmt: skip
        if naive is None or ours is None:
            cells += ["-"] * 8
        else:
            est = naive.estimated
            cells += [
                _num(naive.wall, est, 2), _num(naive.requests, est), _num(naive.jobs, est),
                _num(naive.polls, est),
                _ratio(ours.wall, naive.wall), _ratio(ours.requests, naive.requests),
                _ratio(ours.jobs, naive.jobs), _ratio(ours.polls, naive.polls),
            ]  # fmt: skip
        cells.append(floor_text(row, ours))
        out.append(cells)
    return out


def render_text(results: dict[str, Any]) -> str:
    rows = [list(HEADERS), *table_rows(results)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADERS))]
    lines = []
    for n, cells in enumerate(rows):
        # Numbers right-aligned; the scenario and floor text left-aligned.
        left = (1, len(cells) - 1)
        padded = [
            c.ljust(w) if i in left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        lines.append("  ".join(padded).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("")
    lines.extend(_legend(results))
    lines.append("")
    lines.extend(f"{mark} {text}" for mark, text in check_targets(results))
    return "\n".join(lines) + "\n"


def _legend(results: dict[str, Any]) -> list[str]:
    return [
        "requests/jobs/polls: what the emulator received (all endpoints / POST configure / "
        "GET configure/{id}/status).",
        "x columns: ours / naive. ~: the naive apply ran a sample of the changes, scaled to all.",
        "apply: the naive script sends one change at a time and polls its job every 0.5 s (in "
        "the 1/10-scale row: every 5 s of real time); the tool polls each job at most once per "
        "interval (the 1/10-scale row: 6 s = the documented once a minute).",
        "floor: a plan's minimum requests (list pages + one GET per price resource + one "
        "GET plan per priced product) and the "
        "time to read + parse the files (safe C loader, no validation); apply: job latency "
        "plus the time to submit.",
    ]


def _row(rows: list[dict[str, Any]], prefix: str, size: int | None = None) -> dict[str, Any] | None:
    found = [
        r
        for r in rows
        if str(r["scenario"]).startswith(prefix)
        and r.get("ours")
        and (size is None or r["size"] == size)
    ]
    return max(found, key=lambda r: r["size"]) if found else None


def _mark(ok: bool, full: bool = True) -> str:
    return ("PASS" if ok else "SHORT") if full else "info"


def check_targets(results: dict[str, Any]) -> list[tuple[str, str]]:
    """(PASS|SHORT|n/a|info, text) for each target; the stated size is 5,000 offers."""
    checks: list[tuple[str, str]] = []
    rows = results["rows"]
    sizes = sorted({r["size"] for r in rows if r["size"] <= 5000})
    base = sizes[-1] if sizes else None
    full = base == 5000
    if base is not None and not full:
        checks.append(("n/a", "the targets are for 5,000 offers; run --sizes 5000"))
    plan = _row(rows, "plan (no changes)", base) if base else None
    if plan is not None:
        ours = figures(plan["ours"])
        assert ours is not None
        size, floor = f"{plan['size']:,}", plan["floor"]
        req = ours.requests / floor["requests"]
        checks.append(
            (
                _mark(req <= 1.10, full),
                f"plan {size}, no changes: {ours.requests:,.0f} "
                f"requests = {req:.2f}x the floor of {floor['requests']:,} (<= 1.10x)",
            )
        )
        wall = ours.wall / floor["parse_seconds"]
        checks.append(
            (
                _mark(wall < 2, full),
                f"plan {size}, no changes: {ours.wall:.2f} s = "
                f"{wall:.2f}x read+parse {floor['parse_seconds']:.2f} s (< 2x)",
            )
        )
        checks.append(
            (
                _mark(ours.rss < 150, full),
                f"plan {size}, no changes: peak RSS {ours.rss:.0f} MB (< 150 MB)",
            )
        )
        big = _row(rows, "plan (no changes)")
        if big is not None and big["size"] > plan["size"]:
            b = figures(big["ours"])
            assert b is not None
            n = big["size"] / plan["size"]
            t, m = b.wall / ours.wall, b.rss / ours.rss
            limit = 1.1 * n
            checks.append((_mark(t <= limit and m <= limit, full),
                           f"plan {big['size']:,} vs {size}: time {t:.1f}x, peak RSS {m:.1f}x "
                           f"(each <= {limit:.0f}x for {n:.0f}x the offers)"))  # fmt: skip
    slow = _row(rows, "plan (no changes, ", base) if base else None
    if slow is not None and slow.get("naive"):
        ours, naive = figures(slow["ours"]), figures(slow["naive"])
        assert ours is not None and naive is not None
        r = ours.wall / naive.wall
        checks.append(
            (
                _mark(r < 0.2, full),
                f"{slow['scenario']}, N={slow['size']:,}: "
                f"{ours.wall:.1f} s = {r:.3f}x the naive ~{naive.wall:.0f} s (< 1/5)",
            )
        )
    summary = _row(rows, "plan (no changes, summary list", base) if base else None
    if summary is not None and summary.get("ours"):
        ours = figures(summary["ours"])
        assert ours is not None
        floor = summary["floor"]
        req, budget = ours.requests / floor["requests"], floor["budget_seconds"]
        checks.append((_mark(req <= 1.0 and ours.wall <= 1.1 * budget, full),
                       f"{summary['scenario']}, N={summary['size']:,}: {ours.requests:,.0f} "
                       f"requests = {req:.2f}x the floor (pages + one GET per offer + prices), "
                       f"{ours.wall:.1f} s = {ours.wall / budget:.2f}x what the budget allows "
                       f"({budget:.1f} s; <= 1.1x)"))  # fmt: skip
    targeted = _row(rows, "plan targeted", base) if base else None
    if targeted is not None:
        ours = figures(targeted["ours"])
        assert ours is not None
        checks.append((_mark(ours.requests <= 10 and ours.wall < 1, full),
                       f"{targeted['scenario']}: {ours.requests:,.0f} requests, {ours.wall:.2f} s "
                       "(<= 10 requests, < 1 s)"))  # fmt: skip
    for row in rows:
        if not str(row["scenario"]).startswith("apply") or not row.get("ours"):
            continue
        ours, naive = figures(row["ours"]), figures(row.get("naive"))
        assert ours is not None
        details = row["ours"].get("details") or {}
        changes = int(details.get("changes", 0))
        label = f"{row['scenario']}, N={row['size']:,}, {changes} changes"
        # The targets are stated for the full set of changes; a smaller account (fewer
        # drafts than that) is shown for information only.
        enough = changes >= int(results.get("apply_changes", 0)) and full
        floor = row.get("floor") or {}
        if naive is not None and naive.polls:
            polls = ours.polls / naive.polls
            # The target is stated for the documented polling limit (the scaled row); at
            # the local 0.5 s interval the naive script polls as often as the tool may.
            target = bool(floor.get("polls_target"))
            goal = "<= 1/10" if target else "the 1/10 target is for the documented-limit row"
            checks.append(
                (
                    _mark(polls <= 0.1, enough and target),
                    f"{label}: polls {ours.polls:,.0f} = {polls:.3f}x the naive "
                    f"{naive.polls:,.0f} ({goal})",
                )
            )
        latency = floor["latency"]
        checks.append((_mark(ours.wall <= 2 * latency, enough),
                       f"{label}: {ours.wall:.2f} s = {ours.wall / latency:.2f}x one job's "
                       f"latency {latency:g} s (<= 2x)"))  # fmt: skip
    return checks


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
    return lines


def render_markdown(results: dict[str, Any], command: str) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Command: `{command}` (Python {results['python']}, {results['cpus']} CPUs, "
        f"{results['total_seconds']:.0f} s in total).",
        "",
        *_md_table(HEADERS, table_rows(results)),
        "",
        *(f"* {text}" for text in _legend(results)),
        "",
        "## Targets",
        "",
        *(f"* **{mark}** {text}" for mark, text in check_targets(results)),
        "",
        "## Offer sets",
        "",
        *_md_table(
            (
                "N",
                "files",
                "publisher offers",
                "partner files",
                "drafts",
                "price resources",
                "MB",
                "request floor",
                "seed s",
                "write s",
            ),
            [
                [
                    f"{s['size']:,}",
                    f"{s['files']:,}",
                    f"{s['publisher_offers']:,}",
                    f"{s['partner_files']:,}",
                    f"{s['drafts']:,}",
                    f"{s['price_resources']:,}",
                    f"{s['bytes'] / 1e6:.1f}",
                    f"{s['request_floor']:,}",
                    f"{s['seed_seconds']:.1f}",
                    f"{s['write_seconds']:.1f}",
                ]
                for s in results["sizes"]
            ],
        ),
        "",
        "## Requests by endpoint (as the emulator counted them)",
        "",
    ]
    detail_rows = []
    for row in results["rows"]:
        for way in ("ours", "naive"):
            result = row.get(way)
            if not result or not result.get("server_requests"):
                continue
            scale = float((result.get("details") or {}).get("scale", 1.0))
            counts = ", ".join(
                f"{k}: {v * scale:,.0f}" for k, v in sorted(result["server_requests"].items())
            )
            detail_rows.append([f"{row['size']:,}", row["scenario"], way, counts])
    lines += _md_table(("N", "scenario", "way", "requests"), detail_rows)
    phase_rows = []
    for row in results["rows"]:
        phases = ((row.get("ours") or {}).get("details") or {}).get("phases")
        if phases:
            phase_rows.append(
                [f"{row['size']:,}", row["scenario"]]
                + [f"{phases.get(p, 0.0):.2f}" for p in ("load", "fetch", "diff", "render")]
            )
    if phase_rows:
        lines += ["", "## Plan phases (seconds, the tool)", ""]
        lines += _md_table(("N", "scenario", "load", "fetch", "diff", "render"), phase_rows)
    return "\n".join(lines) + "\n"


def write_results(results: dict[str, Any], directory: Path, command: str) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    md = directory / "latest.md"
    js = directory / "latest.json"
    md.write_text(render_markdown(results, command), encoding="utf-8")
    js.write_text(json.dumps({"command": command, **results}, indent=2) + "\n", encoding="utf-8")
    return md, js
