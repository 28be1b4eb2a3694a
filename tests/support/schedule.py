"""The order of the collected tests for xdist's worksteal scheduler on a few workers.

worksteal sends worker k the k-th contiguous slice of the collection (a slice of the tests
left divided by the workers left); a worker that runs out steals the second half of the
longest queue left. So the long modules (workflow runs, process kills, fault cases that wait
on timeouts) are dealt out first: each slice starts with its share of them, balanced by their
measured time, and the short tests fill the slices up (and are what gets stolen at the end).
With all long modules at the front, they would all land in the first slice and run one after
the other on one worker, while the other workers finish early and wait.
"""

from __future__ import annotations

import pytest

# Seconds each long module takes on one worker (`pytest --durations=0 -n 3`, summed per
# module, on a loaded two-core machine): only their ratio matters. Unlisted modules are short.
LONG_MODULES: dict[str, float] = {
    "tests/reliability/test_fault_matrix.py": 34,
    "tests/reliability/test_kill_loop.py": 32,
    "tests/workflows/test_merge_workflow.py": 31,
    "tests/workflows/test_apply_workflow.py": 20,
    "tests/security/test_secrets.py": 16,
    "tests/apply/test_github_state.py": 14,
    "tests/workflows/test_drift_workflow.py": 11,
    "tests/security/test_bad_input.py": 10,
    "tests/apply/test_kill_and_rerun.py": 10,
    "tests/workflows/test_plan_workflow.py": 9,
    "tests/workflows/test_plan_mutations.py": 8,
    "tests/apply/test_interrupted_multistep.py": 8,
    "tests/bench/test_bench.py": 7,
    "tests/apply/test_emulator_restart.py": 6,
    "tests/apply/test_lock_cli.py": 5,
    "tests/apply/test_journal_cli.py": 4,
    "tests/workflows/test_action.py": 3,
    "tests/workflows/test_lock.py": 1,
}
_SHARED_SCOPES = ("module", "class", "package")
# Session fixtures whose one run several modules' tests read: those tests go to one worker
# together (on two workers, each would run it again).
SHARED_RUNS = ("merged_after_review",)


def module_of(item: pytest.Item) -> str:
    return item.nodeid.split("::", 1)[0]


def _shares_a_fixture(item: pytest.Item) -> bool:
    """True if *item* uses a fixture built once for its module (or class): its module's tests
    then stay on one worker, or each worker would build that fixture again."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(
        definition.scope in _SHARED_SCOPES
        for definitions in info.name2fixturedefs.values()
        for definition in definitions
    )


def _units(items: list[pytest.Item]) -> list[tuple[float, list[pytest.Item]]]:
    """The long tests as (seconds, tests) units: a whole module if its tests share a fixture,
    else each test alone (its share of the module's time)."""
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        if module_of(item) in LONG_MODULES:
            modules.setdefault(module_of(item), []).append(item)
    units: list[tuple[float, list[pytest.Item]]] = []
    for module, tests in modules.items():
        seconds = LONG_MODULES[module]
        if any(_shares_a_fixture(test) for test in tests):
            units.append((seconds, tests))
        else:
            units += [(seconds / len(tests), [test]) for test in tests]
    units = _together(units)
    units.sort(key=lambda unit: -unit[0])  # stable: ties keep the collection's order
    return units


def _together(
    units: list[tuple[float, list[pytest.Item]]],
) -> list[tuple[float, list[pytest.Item]]]:
    """*units* with those whose tests use one of :data:`SHARED_RUNS` merged into one each."""
    merged: dict[str, tuple[float, list[pytest.Item]]] = {}
    rest: list[tuple[float, list[pytest.Item]]] = []
    for seconds, tests in units:
        names = {
            name
            for test in tests
            for name in getattr(test, "fixturenames", ())
            if name in SHARED_RUNS
        }
        if not names:
            rest.append((seconds, tests))
            continue
        key = min(names)
        held = merged.get(key, (0.0, []))
        merged[key] = (held[0] + seconds, held[1] + tests)
    return rest + list(merged.values())


def spread(items: list[pytest.Item], workers: int) -> list[pytest.Item]:
    """*items* reordered so that each worker's first slice starts with an even share of the
    long tests (longest first, each to the least loaded worker), then short tests."""
    heads: list[list[pytest.Item]] = [[] for _ in range(workers)]
    loads = [0.0] * workers
    for seconds, tests in _units(items):
        worker = loads.index(min(loads))
        heads[worker] += tests
        loads[worker] += seconds
    long_ids = {item.nodeid for head in heads for item in head}
    short = [item for item in items if item.nodeid not in long_ids]
    ordered: list[pytest.Item] = []
    left = len(items)
    for worker, head in enumerate(heads):
        size = left // (workers - worker)  # the slice worksteal sends this worker
        take = max(0, size - len(head))
        ordered += head + short[:take]
        del short[:take]
        left -= len(head) + take
    return ordered + short
