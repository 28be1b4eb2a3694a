"""``python -m bench``: run the benchmarks, print the table, write bench/results/latest.*."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bench.processes import REPO
from bench.report import render_text, write_results
from bench.runner import (
    DEFAULT_SIZES,
    LATENCY_SUBMITTERS,
    ApplyRun,
    Options,
    run_all,
    scaled_run,
)

ALL_SCENARIOS = (
    "validate",
    "plan",
    "plan-latency",
    "plan-summary",
    "plan-targeted",
    "plan-changed",
    "apply",
)


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "").replace(",", "")) for part in text.split() if part]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of sizes: {text!r}") from None
    if not sizes or any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError("sizes are positive numbers of offers")
    return sizes


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Plan and apply at a large publisher's scale, against the naive way.",
    )
    parser.add_argument(
        "--sizes",
        type=lambda s: _sizes(s.replace(",", " ")),
        default=list(DEFAULT_SIZES),
        help="offer counts, e.g. 100,1000,5000,50000 (default 100,1000,5000); from 20,000 on "
        "only the floor and the full plan run (the scale check)",
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(ALL_SCENARIOS),
        help=f"comma-separated subset of {', '.join(ALL_SCENARIOS)}",
    )
    parser.add_argument("--apply-changes", type=int, default=200, help="changes per apply run")
    parser.add_argument(
        "--naive-sample",
        type=int,
        default=None,
        help="changes the naive apply really sends before extrapolating "
        "(default 10 at latency 2 s, 4 at 6 s; 0 = all of them, slow)",
    )
    parser.add_argument(
        "--latency", type=float, default=2.0, help="job latency of the first apply run"
    )
    parser.add_argument(
        "--scaled-latency",
        type=float,
        default=6.0,
        help="job latency and poll interval of the scaled-down real-API run (0 = skip it); "
        "its rate budget and the naive script's 5 s polls are scaled alike",
    )
    parser.add_argument(
        "--request-latency",
        type=float,
        default=0.1,
        help="emulator round trip per request of the latency runs, seconds (0 = skip them)",
    )
    parser.add_argument(
        "--latency-submitters",
        type=int,
        default=LATENCY_SUBMITTERS,
        help="apply.max-concurrent-requests of the apply row at --request-latency "
        f"(default {LATENCY_SUBMITTERS}; the other rows use 32)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        metavar="DIR",
        help="profile the tool's side of each run: DIR/<scenario>-<N>.prof (cProfile stats) "
        "and .txt (top functions by cumulative and own time)",
    )
    parser.add_argument(
        "--out", type=Path, default=REPO / "bench" / "results", help="where latest.md/.json go"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    scenarios = frozenset(s.strip() for s in args.scenarios.split(",") if s.strip())
    unknown = scenarios - set(ALL_SCENARIOS)
    if unknown:
        print(f"unknown scenario(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2

    def sample(default: int) -> int | None:
        if args.naive_sample is None:
            return default
        return None if args.naive_sample == 0 else args.naive_sample

    one = "apply, one offer per request"
    runs = [ApplyRun(f"{one} (job {args.latency:g} s)", args.latency, None, sample(10))]
    if args.request_latency > 0:
        ms = args.request_latency * 1000
        lanes = args.latency_submitters
        runs.append(
            ApplyRun(
                f"{one} (job {args.latency:g} s, {ms:g} ms/request, {lanes} submitters)",
                args.latency,
                None,
                sample(10),
                request_latency=args.request_latency,
                apply={"max_concurrent_requests": lanes},
            )
        )
    if args.scaled_latency > 0:
        s = args.scaled_latency
        label = f"{one} (job {s:g} s, poll {s:g} s = 1/{60 / s:g} scale)"
        runs.append(scaled_run(label, s, sample(4)))
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    options = Options(
        sizes=args.sizes,
        apply_runs=runs,
        apply_changes=args.apply_changes,
        scenarios=scenarios,
        profile_dir=args.profile,
        request_latency=args.request_latency,
    )
    results = run_all(options, lambda text: print(text, file=sys.stderr, flush=True))
    print(render_text(results), end="")
    command = "python -m bench " + " ".join(sys.argv[1:] if argv is None else argv)
    md, js = write_results(results, args.out, command.strip())
    print(f"\nwrote {md.relative_to(REPO) if md.is_relative_to(REPO) else md} and {js.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
