"""Journal lines are typed records: a real apply's lines match the schema; a bad one is named."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from reconciler.apply.journal_records import render_journal_schemas
from reconciler.emulator.server import EmbeddedEmulator
from reconciler.errors import EXIT_ERROR, EXIT_OK
from tests.apply.cli_support import EMU, run, setup_project

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "journal.schema.json"


@pytest.mark.emulator(job_latency=0.05)
def test_journal_lines_match_the_schema_and_a_damaged_line_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator
) -> None:
    assert SCHEMA.read_text(encoding="utf-8") == render_journal_schemas()["journal.schema.json"]
    setup_project(tmp_path, monkeypatch, emu)
    code, out, err = run("apply", "offers/customer-percentage.yaml", "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    (journal,) = (tmp_path / ".reconciler" / "journal").glob("*.jsonl")
    lines = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["t"] == "open"
    assert {"intent", "submitted", "result", "closed"} <= {line["t"] for line in lines}
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    for line in lines:
        jsonschema.validate(line, schema)

    # A result whose verdict is not one: reported as damage, by field, never guessed at.
    damaged = [dict(x, items=[[0, 0, "maybe"]]) if x["t"] == "result" else x for x in lines]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(next(x for x in damaged if x["t"] == "result"), schema)
    # Rewritten by hand without checksums (as a journal of an earlier version reads).
    bare = [{k: v for k, v in x.items() if k != "crc"} for x in damaged]
    journal.write_text("".join(json.dumps(x) + "\n" for x in bare), encoding="utf-8")
    code, out, err = run("jobs", "list")
    assert code == EXIT_ERROR
    assert "items.0.2" in err and "jobs discard" in err and "Traceback" not in err
