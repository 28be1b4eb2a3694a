"""One scenario in a process of its own: ``python -m bench.worker --serve`` reads JSON specs
on stdin, one a line, and answers each with one JSON result line on stdout.

For every spec the server forks a child that runs the scenario and exits: a fresh process
per scenario makes the peak RSS that scenario's own, and keeps one scenario's caches and
garbage from flattering or penalising the next. The server itself only imported what a
plan imports (this module's imports), so the children start with exactly what a fresh
worker had after its imports, without paying for them again (a second or so of CPU per
scenario on a small machine). ``python -m bench.worker`` without ``--serve`` runs one spec
in the process itself.
The clocks cover only the measured operation: imports and the ``prepare`` step (e.g. the
plan an apply starts from) come before. Request counts come from both ends: the client's
``stats.by_endpoint`` and the emulator's own statistics (reset right before the
measured part), which also see the status polls and configure jobs.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import resource
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from bench.scenarios import SCENARIOS, Spec, open_context


def _cpu() -> float:
    # The tool's own CPU and its children's: the processes it forks to load and compare
    # thousands of offers on every core (reconciler/parallel.py), and git.
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def _children_rss_mb() -> float:
    # The largest peak RSS of a child, pages shared with this process included (a forked
    # child starts with all of them): at most what it adds, not a sum to add to this one's.
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def _rss_mb() -> float:
    # The peak RSS of this process image. ru_maxrss survives exec: a worker started by an
    # orchestrator holding 50,000 offers would report the orchestrator's size. VmHWM is the
    # high-water mark of the current address space, fresh after exec.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_profile(profiler: cProfile.Profile, path: Path) -> None:
    """The raw stats (for snakeviz or ``pstats``) and a readable summary beside them: the
    top functions by cumulative and by own time."""
    profiler.dump_stats(str(path))
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(30)
    path.with_suffix(".txt").write_text(out.getvalue(), encoding="utf-8")


def run(spec: Spec) -> dict[str, Any]:
    prepare, body = SCENARIOS[(spec.scenario, spec.way)]
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp:
        ctx = open_context(spec, Path(tmp))
        try:
            if prepare is not None:
                prepare(ctx)
            rss_before = _rss_mb()
            if ctx.admin is not None:
                ctx.admin.reset_stats()
            if ctx.client is not None:
                ctx.client.stats.by_endpoint.clear()
            profiler = cProfile.Profile() if spec.profile else None
            cpu0, wall0 = _cpu(), time.perf_counter()
            if profiler is not None:
                profiler.enable()
            details = body(ctx)
            if profiler is not None:
                profiler.disable()
            wall, cpu = time.perf_counter() - wall0, _cpu() - cpu0
            if profiler is not None and spec.profile:
                write_profile(profiler, Path(spec.profile))
            server = ctx.admin.stats() if ctx.admin is not None else {}
            client = dict(ctx.client.stats.by_endpoint) if ctx.client is not None else {}
        finally:
            if ctx.client is not None:
                ctx.client.close()
            if ctx.admin is not None:
                ctx.admin.close()
    return {
        "scenario": spec.scenario,
        "way": spec.way,
        "wall": wall,
        "cpu": cpu,
        "peak_rss_mb": _rss_mb(),
        "children_peak_rss_mb": _children_rss_mb(),
        "rss_before_mb": rss_before,
        "client_requests": client,
        "server_requests": server,
        "details": details,
    }


def _forked(spec: Spec) -> dict[str, Any]:
    """Run *spec* in a forked child; its result (or its traceback) comes back on a pipe."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, answer, exit without the parent's cleanup
        os.close(read_end)
        code = 0
        try:
            answer: dict[str, Any] = run(spec)
        except BaseException:
            answer, code = {"error": traceback.format_exc()}, 1
        with os.fdopen(write_end, "w", encoding="utf-8") as out:
            out.write(json.dumps(answer))
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, encoding="utf-8") as inp:
        text = inp.read()
    _, status = os.waitpid(pid, 0)
    if not text:
        return {"error": f"the worker process ended without an answer (status {status})"}
    result: dict[str, Any] = json.loads(text)
    return result


def serve() -> int:
    for line in sys.stdin:
        if line.strip():
            answer = _forked(Spec(**json.loads(line)))
            sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()
    return 0


def main() -> int:
    if "--serve" in sys.argv[1:]:
        return serve()
    spec = Spec(**json.loads(sys.stdin.read()))
    result = run(spec)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
