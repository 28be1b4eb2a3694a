"""Bad input never crashes, hangs, blows up memory, or reaches the API.

Two layers:

* property-based: hypothesis builds offer files that are valid, nearly valid (one field
  broken) or hostile (alias bombs, deep nesting, tags, binary, other encodings, huge); each
  is validated and then planned against an emulator with test controls. Either the file
  loads or every problem names the file (and a line where there is one); a file that fails
  validation makes **no** API request at all, and planning never sends ``POST configure``.
* the command line: a fixed corpus of hostile files through ``reconciler validate`` and
  ``reconciler plan --emulator`` in subprocesses with a memory cap and a timeout: exit 1
  with ``file:line`` messages, never a traceback, and the emulator is never even started.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.api.client import ProductIngestionClient
from reconciler.errors import OfferFilesInvalid
from reconciler.offers.loader import MAX_FILE_BYTES, load_offer_files
from reconciler.settings import Settings
from tests.reliability.support import (
    EXAMPLES,
    PYTHON,
    emulator,
    fast_settings,
    plan_for,
    subprocess_env,
)
from tests.reliability.support import publisher as publisher_client

EXAMPLE = (EXAMPLES / "customer-percentage.yaml").read_text(encoding="utf-8")
LINES = EXAMPLE.splitlines()
PWNED = "reconciler-pwned-marker"
WHOLE_FILE = ("file-too-large", "file-read", "file-empty")

# ---------------------------------------------------------------- hostile documents


def alias_bomb(levels: int, width: int) -> str:
    rows = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        refs = ", ".join(f"*a{i - 1}" for _ in range(width))
        rows.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(rows) + f"\nname: *a{levels - 1}\n"


def deep_flow(depth: int) -> str:
    return "name: " + "[" * depth + "x" + "]" * depth + "\n"


def deep_block(depth: int) -> str:
    return "".join(f"{'  ' * i}k{i}:\n" for i in range(depth)) + f"{'  ' * depth}v\n"


TAGS = [
    f'!!python/object/apply:os.system ["touch {PWNED}"]',
    f"!!python/object/apply:subprocess.check_output [[touch, {PWNED}]]",
    "!!python/name:os.system",
    "!!python/object/new:type [x, [], {}]",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!ruby/object:Gem::Installer {i: x}",
    "!custom value",
    "!!timestamp 2027-13-45",
]


def in_offer(field: str, value: str) -> str:
    """The example offer with one top-level field's value replaced."""
    out = [f"{field}: {value}" if line.startswith(f"{field}:") else line for line in LINES]
    return "\n".join(out) + "\n"


HOSTILE_TEXT = st.one_of(
    st.builds(alias_bomb, st.integers(2, 12), st.integers(2, 12)),
    st.builds(deep_flow, st.integers(40, 5000)),
    st.builds(deep_block, st.integers(40, 400)),
    st.builds(
        in_offer, st.sampled_from(["name", "state", "end", "pricing"]), st.sampled_from(TAGS)
    ),
    st.sampled_from(["", "---\n", "# only a comment\n", "[]\n", "42\n", "~\n", "a: 1\n---\nb: 2\n",
                     "name: x\nname: y\n", "<<: {name: x}\n", "? [a]\n: b\n", "\t\tname: x\n",
                     "name: \"unterminated\n", "%YAML 9.9\n---\nname: x\n"]),
)  # fmt: skip


def encoded(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


HOSTILE_BYTES = st.one_of(
    st.binary(min_size=1, max_size=2000),
    st.builds(encoded, st.just(EXAMPLE.replace("Woodgrove", "Wöödgrove")),
              st.sampled_from(["utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252"])),
    st.just(b"name: x\n" + b"\x00" * 64),
    st.just(b"\xef\xbb\xbf" + EXAMPLE.encode()),  # a UTF-8 BOM is fine
)  # fmt: skip


def nearly_valid(index: int, value: str) -> str:
    """The example with one line's value replaced, or the line dropped."""
    lines = list(LINES)
    index %= len(lines)
    key, sep, _ = lines[index].partition(":")
    if sep and value != "<drop>":
        lines[index] = f"{key}: {value}"
    else:
        del lines[index]
    return "\n".join(lines) + "\n"


NEARLY_VALID = st.builds(
    nearly_valid,
    st.integers(0, 200),
    st.sampled_from(["<drop>", "", "~", "-1", "1e999", "2027-02-30", "[]", "{}", '"x" * 3',
                     "yes", "0x1F", ".nan", "'${UNSET_VARIABLE}'", "a" * 300, "@mention"]),
)  # fmt: skip


def valid_named(name: str, state: str) -> str:
    text = in_offer("name", json.dumps(name))
    return text.replace("state: live", f"state: {state}")


VALID = st.builds(
    valid_named,
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=100),
    st.sampled_from(["draft", "live"]),
)

DOCUMENTS = st.one_of(
    VALID.map(str.encode),
    NEARLY_VALID.map(str.encode),
    HOSTILE_TEXT.map(str.encode),
    HOSTILE_BYTES,
)


# ---------------------------------------------------------------- property: load, then plan


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[object, ProductIngestionClient, Settings]]:
    with tempfile.TemporaryDirectory() as root:
        settings = fast_settings(Path(root))
        with emulator() as emu, publisher_client(emu, settings) as client:
            yield emu, client, settings


@pytest.mark.timeout(300)
@settings(
    # 40 examples cover the four document families (valid, nearly valid, hostile text,
    # hostile bytes) several times over; a fixed seed and no example database keep every run
    # the same, and RECONCILER_FUZZ_EXAMPLES asks for a deeper search when wanted.
    max_examples=int(os.environ.get("RECONCILER_FUZZ_EXAMPLES", "40")),
    derandomize=True,
    database=None,
    deadline=None,  # timing is asserted below, with room for a loaded CI runner
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(document=DOCUMENTS)
def test_any_offer_file_loads_or_fails_with_located_problems_and_no_request(
    world: tuple[object, ProductIngestionClient, Settings], document: bytes
) -> None:
    emu, client, base = world
    admin = emu.admin  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory() as root:
        folder = Path(root) / "offers"
        folder.mkdir()
        path = folder / "offer.yaml"
        path.write_bytes(document)
        settings = base.model_copy(update={"root": Path(root)})
        admin.reset_stats()
        started = time.monotonic()
        try:
            load_offer_files([path], settings)
        except OfferFilesInvalid as exc:
            errors = [p for p in exc.problems if p.severity == "error"]
            assert errors
            for problem in errors:
                assert problem.file.endswith("offer.yaml"), problem
                assert problem.message.strip(), problem
                assert problem.line >= 0
                assert "Traceback" not in problem.message
            # Only problems of the file as a whole (too large, empty, unreadable) have no line.
            for problem in errors:
                assert problem.line >= 1 or problem.rule in WHOLE_FILE, problem
            with pytest.raises(OfferFilesInvalid):
                plan_for(client, settings, folder)
            assert admin.stats() == {}, "validation failed, yet the API was called"
        else:
            plan_for(client, settings, folder)
            assert "POST configure" not in admin.stats()
        assert time.monotonic() - started < 20, "validating one file must not take this long"
    assert not Path(PWNED).exists()


# ---------------------------------------------------------------- the command line


def _limit_memory() -> None:
    # 1 GiB of address space: an alias bomb expanded in memory would die here, not pass.
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


CORPUS: dict[str, bytes] = {
    "alias-bomb.yaml": alias_bomb(12, 12).encode(),
    "deep-flow.yaml": deep_flow(100_000).encode(),
    "deep-block.yaml": deep_block(2_000).encode(),
    "huge.yaml": b"name: " + b"x" * (MAX_FILE_BYTES + 10) + b"\n",
    "binary.yaml": bytes(range(256)) * 8,
    "utf16.yaml": EXAMPLE.encode("utf-16"),
    "latin1.yaml": EXAMPLE.replace("Woodgrove", "Wöödgrove").encode("latin-1"),
    "python-tag.yaml": in_offer("name", TAGS[0]).encode(),
    "python-name.yaml": in_offer("state", TAGS[2]).encode(),
    "merge-and-dupes.yaml": b"name: a\nname: b\n<<: {x: 1}\n",
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("command", ["validate", "plan"])
def test_hostile_files_give_located_errors_from_the_command_line(
    tmp_path: Path, command: str
) -> None:
    folder = tmp_path / "offers"
    folder.mkdir()
    for name, data in CORPUS.items():
        (folder / name).write_bytes(data)
    args = [PYTHON, "-m", "reconciler", command, "offers"]
    if command == "plan":
        args += ["--emulator", "--emulator-data", "emu"]
    done = subprocess.run(
        args, cwd=tmp_path, env=subprocess_env(), capture_output=True, text=True, timeout=60,
        preexec_fn=_limit_memory,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    output = done.stdout + done.stderr
    assert "Traceback" not in output and "internal error" not in output, output
    for name in CORPUS:
        # every hostile file is reported by name, with a line (or the whole file: line 0)
        assert f"offers/{name}:" in output, f"{name} not reported:\n{output}"
    assert "offers/python-tag.yaml:" in output and "python" in output.lower()
    assert not (tmp_path / PWNED).exists()
    # Validation failed before anything was opened: the emulator never started.
    assert not (tmp_path / "emu").exists()
