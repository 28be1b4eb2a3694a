"""Thousands of offers on every core (reconciler.parallel): loading and planning in forked
parts gives what one process gives -- the same files, problems, changes, in the same order,
every secret a child expanded redacted here too -- and a child that fails changes nothing."""

from __future__ import annotations

import gc
import json
import os
import shutil
import uuid
from pathlib import Path

import pytest

from reconciler import parallel
from reconciler.errors import OfferFilesInvalid
from reconciler.offers import loader
from reconciler.plan import planner
from reconciler.plan.live import LiveState
from reconciler.secrets import redact
from reconciler.settings import Settings
from tests.plan.conftest import FakeAccount

REPO = Path(__file__).resolve().parents[1]
PARTS = 3


def _project(tmp_path: Path) -> Path:
    """The examples twice (second copies renamed), a file that does not parse in the middle."""
    folder = tmp_path / "offers"
    shutil.copytree(REPO / "offers", folder)
    for path in sorted(folder.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        copy = path.with_name(f"zz-{path.name}")
        copy.write_text(text.replace("\nname: ", "\nname: Copy of "), encoding="utf-8")
    return folder


def _load(folder: Path, parts: int, monkeypatch: pytest.MonkeyPatch, **kw: object) -> object:
    monkeypatch.setattr(loader, "parts_for", lambda count: parts)
    try:
        files = loader.load_offer_files([folder], Settings(root=folder.parent), **kw)  # type: ignore[arg-type]
    except OfferFilesInvalid as exc:
        return [p.to_data() if hasattr(p, "to_data") else repr(p) for p in exc.problems]
    return [(str(f.path), f.api_body(), f.templates, f.text) for f in files]


def test_files_loaded_in_parts_are_the_files_loaded_in_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    alone = _load(folder, 1, monkeypatch, strict=False)
    assert isinstance(alone, list) and len(alone) == 2 * len(
        list((REPO / "offers").rglob("*.yaml"))
    )
    assert _load(folder, PARTS, monkeypatch, strict=False) == alone


def test_problems_found_in_parts_are_the_problems_found_in_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _project(tmp_path)
    (folder / "m-broken.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    # A duplicate across two parts: found once every part is back.
    twin = (folder / "customer-percentage.yaml").read_text(encoding="utf-8")
    (folder / "zzz-twin.yaml").write_text(twin, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    alone = _load(folder, 1, monkeypatch, strict=False)
    in_parts = _load(folder, PARTS, monkeypatch, strict=False)
    assert in_parts == alone
    text = "\n".join(map(str, alone))
    assert "m-broken.yaml" in text and "duplicate offer name" in text


def test_a_secret_a_child_expanded_is_redacted_in_the_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _project(tmp_path)
    secret = f"https://contoso.blob.core.windows.net/terms/{uuid.uuid4().hex}.pdf"
    # Sorted last, so in the last part: a child loads it.
    text = (folder / "customer-percentage.yaml").read_text(encoding="utf-8")
    lines = [x for x in text.splitlines() if not x.startswith("termsAndConditionsDocSasUrl:")]
    lines.append("termsAndConditionsDocSasUrl: ${RECONCILER_VAR_TERMS_SAS}")
    text = "\n".join(lines).replace("\nname: ", "\nname: Signed ") + "\n"
    (folder / "zzzz-secret.yaml").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert redact(secret) == secret  # nobody knows it yet
    loaded = _load(
        folder, PARTS, monkeypatch, strict=False, env={"RECONCILER_VAR_TERMS_SAS": secret}
    )
    assert isinstance(loaded, list) and isinstance(loaded[0], tuple), loaded
    # The file keeps its template; its value, expanded by the child, is the secret.
    assert secret in [str(t) for _, _, templates, _ in loaded for t in templates.values()]
    assert secret not in redact(f"terms at {secret}")


def test_the_runs_after_the_first_are_done_in_children_and_come_back_in_order() -> None:
    items = list(range(10))
    parent = os.getpid()
    runs = parallel.map_parts(lambda run: (os.getpid(), list(run)), items, PARTS)
    assert [r for _, run in runs for r in run] == items
    pids = [pid for pid, _ in runs]
    assert pids[0] == parent and parent not in pids[1:] and len(set(pids)) == PARTS


def test_a_child_that_fails_has_its_run_done_here() -> None:
    parent = os.getpid()

    def work(run: object) -> list[int]:
        if os.getpid() != parent:
            os._exit(3)  # killed, crashed: no answer on the pipe
        return [n * n for n in run]  # type: ignore[attr-defined]

    assert parallel.map_parts(work, list(range(7)), PARTS) == [[0, 1, 4], [9, 16], [25, 36]]


def test_a_plan_made_in_parts_is_the_plan_made_in_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    settings = Settings(root=tmp_path)
    files = loader.load_offer_files([folder], settings, strict=False)
    account = FakeAccount()
    account.create_from(planner.make_plan(files, LiveState(), settings))
    for offer in account.live.offers[::3]:  # changed outside git: updates, republishes...
        offer["notificationContacts"] = ["someone@contoso.com"]
    account.live.offers.pop()  # ...and a create

    def plan(parts: int) -> str:
        monkeypatch.setattr(planner, "parts_for", lambda count: parts)
        data = planner.make_plan(files, account.live, settings).to_data()
        # All of it but when it was made (and the checksum, which covers that time).
        return json.dumps({k: v for k, v in data.items() if k not in ("meta", "checksum")})

    alone = plan(1)
    assert '"action": "create"' in alone and '"notificationContacts' in alone, alone[:300]
    assert plan(PARTS) == alone


def test_parts_only_for_many_items_on_several_cores() -> None:
    assert parallel.parts_for(parallel.MIN_ITEMS - 1) == 1
    assert parallel.split(list(range(10)), 3, first=2.0) == [
        list(range(5)),
        list(range(5, 8)),
        list(range(8, 10)),
    ]


def test_a_heap_the_caller_froze_stays_frozen() -> None:
    """The planner runs inside plan.pipeline.settled_heap (the loaded files left out of the
    collector's walks); forking its parts must not put them back (50,000 offers: the
    comparison took 8.2 s instead of 6.6 s)."""
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        parallel.map_parts(lambda run: list(run), list(range(4)), 2)
        assert gc.get_freeze_count() >= frozen > 0
    finally:
        gc.unfreeze()
    parallel.map_parts(lambda run: list(run), list(range(4)), 2)
    assert gc.get_freeze_count() == 0  # and one it did not freeze is left as it was
