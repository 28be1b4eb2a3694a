"""The expiry and acceptance watch of ``reconciler drift``, over the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .insight_helpers import admin, customer, day, make_project, reconciler, seed, write


def test_drift_watches_acceptance_dates_ends_and_new_acceptances(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path, monkeypatch)
    offers = {
        "soon": customer("Soon Analytics", accept_by=5, end=200),
        "later": customer("Later Analytics", accept_by=30, end=200),
        "lapsed": customer("Lapsed Analytics", accept_by=-3, end=200),
        "ended": customer("Ended Analytics", start=-120, accept_by=-100, end=-40),
        "signed": customer("Signed Analytics", accept_by=7, end=200),
    }
    ids = seed(root, offers)
    for key in ("soon", "later", "signed"):
        write(root, f"{key}.yaml", offers[key])

    # first run: no remembered state yet
    code, out, _ = reconciler(capsys, "drift", "--emulator")
    assert code in (0, 2), out
    assert (
        f"Acceptance due soon: Soon Analytics ({ids['Soon Analytics']}): accept by {day(5)}" in out
    )
    assert "Signed Analytics" in out and "Later Analytics" not in out
    assert "Acceptance date passed, not accepted: Lapsed Analytics" in out
    assert "Ended: Ended Analytics" in out
    assert "No earlier watch state (.reconciler/watch-state.json)" in out
    state = json.loads((root / ".reconciler" / "watch-state.json").read_text())
    assert state["accepted"] == []

    # the customer signs: the next run reports it once, as JSON too
    admin(root, "accept", ids["Signed Analytics"])
    code, out, _ = reconciler(capsys, "drift", "--emulator", "--format", "json")
    watch = json.loads(out)["watch"]
    assert watch["schema"] == "offers-watch/1" and watch["days"] == 14
    assert [o["name"] for o in watch["accepted"]] == ["Signed Analytics"]
    assert [o["name"] for o in watch["expiring"]] == ["Soon Analytics"]
    assert watch["expiring"][0]["days_left"] == 5 and watch["expiring"][0]["managed"]
    assert [o["name"] for o in watch["lapsed"]] == ["Lapsed Analytics"]
    assert not watch["lapsed"][0]["managed"]
    assert [o["name"] for o in watch["ended"]] == ["Ended Analytics"]

    code, out, _ = reconciler(capsys, "drift", "--emulator", "--markdown-out", "drift.md")
    assert "Accepted since the last run" not in out
    issue = (root / "drift.md").read_text()
    assert "### Expiry and acceptance watch" in issue
    assert f"- Soon Analytics: accept by {day(5)} (in 5 day(s))" in issue

    # the window is a setting
    (root / "reconciler.toml").write_text('offers = "offers"\n[plan]\nwatch-days = 40\n')
    code, out, _ = reconciler(capsys, "drift", "--emulator")
    assert "Acceptance due soon: Later Analytics" in out


def test_a_broken_watch_state_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path, monkeypatch)
    write(root, "soon.yaml", customer("Soon Analytics", accept_by=5))
    (root / ".reconciler").mkdir()
    (root / ".reconciler" / "watch-state.json").write_text("{not json")
    code, _, err = reconciler(capsys, "drift", "--emulator")
    assert code == 1
    assert "watch-state.json: not a watch state file" in err and "Traceback" not in err
