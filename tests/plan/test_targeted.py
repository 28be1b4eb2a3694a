"""A pull request's targeted plan (``plan.scope = "changed"`` with ``--baseline``), as a user
runs it: ``reconciler plan --baseline REF`` against the emulator, requests counted by the
emulator itself."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from bench.generator import OfferSet, generate, revision_edits, seed, write_files
from reconciler.cli import cli
from reconciler.cli.common import run
from reconciler.emulator import server as emulator_server
from reconciler.emulator.config import EmulatorConfig

N = 30


class CountingEmulator(emulator_server.EmbeddedEmulator):
    """The emulator ``--emulator`` starts, keeping what it received after it stops."""

    received: ClassVar[Counter[str]] = Counter()

    def stop(self) -> None:
        if self.app is not None:
            CountingEmulator.received = Counter(self.app.faults.stats)
        super().stop()


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, OfferSet]]:
    """A git checkout of N offer files whose offers are live in the emulator's data."""
    monkeypatch.chdir(tmp_path)
    for name in ("NO_COLOR", "RECONCILER_ROLE", "RECONCILER_ENDPOINT", "AZURE_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "reconciler.toml").write_text(
        'offers = "offers"\n[plan]\nscope = "changed"\nupdate-threshold = 0.2\n'
    )
    offer_set = generate(N)
    data = tmp_path / ".reconciler" / "emulator"
    with emulator_server.EmbeddedEmulator(EmulatorConfig(data_dir=data, admin=True)) as emu:
        seed(emu.admin, offer_set)
    write_files(offer_set, tmp_path / "offers")
    (tmp_path / ".gitignore").write_text(".reconciler/\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "offers")
    monkeypatch.setattr(emulator_server, "EmbeddedEmulator", CountingEmulator)
    yield tmp_path, offer_set


def _plan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[dict[str, Any], Counter[str]]:
    CountingEmulator.received = Counter()
    code = run(cli, ["plan", "--emulator", "--format", "json", *args])
    out = capsys.readouterr()
    assert code in (0, 2, 3), out.err
    return json.loads(out.out), CountingEmulator.received


def test_a_targeted_plan_reads_only_the_changed_offers_by_id(
    project: tuple[Path, OfferSet], capsys: pytest.CaptureFixture[str]
) -> None:
    root, offer_set = project
    # No full run has left ids yet: the first plan reads everything and says so.
    plan, received = _plan(capsys, "--baseline", "HEAD")
    assert plan["meta"]["scope"] == "all"
    assert received["GET private-offer/query"] >= 1
    assert plan["summary"]["unchanged"] == len(offer_set.publisher)

    changed = offer_set.drafts[:3]  # pinned and name-matched files alike
    write_files(offer_set, root / "offers", only={o.name for o in changed},
                edits=revision_edits(changed, 1))  # fmt: skip
    plan, received = _plan(capsys, "--baseline", "HEAD")

    assert plan["meta"]["scope"] == "changed"
    assert plan["meta"]["files_not_read"] == len(offer_set.offers) - 3
    assert sorted(c["offer_name"] for c in plan["changes"]) == sorted(o.name for o in changed)
    assert {c["action"] for c in plan["changes"]} == {"update"}
    assert received["GET private-offer/{id}"] == 3
    assert "GET private-offer/query" not in received  # every id was known: no list pass
    assert sum(received.values()) <= 10
    # The thresholds count the 30 managed offers of the last full run, not the 3 read:
    # 3 of 30 is under the 20 % update threshold.
    assert plan["safety"]["managed"] == len(offer_set.publisher)
    assert not plan["is_blocked"]
    assert plan["unmanaged"] == []

    text = run(cli, ["plan", "--emulator", "--baseline", "HEAD"])
    assert text in (0, 2)
    assert "Scope: changed -- the 3 offer file(s) changed since HEAD" in capsys.readouterr().out


def test_a_new_file_is_looked_up_by_name_and_apply_stays_full(
    project: tuple[Path, OfferSet], capsys: pytest.CaptureFixture[str]
) -> None:
    root, offer_set = project
    _plan(capsys, "--baseline", "HEAD")  # the full run that leaves the ids
    source = next(o for o in offer_set.drafts if (root / "offers" / o.relpath).exists())
    text = (root / "offers" / source.relpath).read_text()
    new = root / "offers" / "new-offer.yaml"
    new.write_text(
        "\n".join(
            line.replace(source.name, "Brand new offer")
            for line in text.splitlines()
            if not line.startswith("id:")
        )
        + "\n"
    )

    plan, received = _plan(capsys, "--baseline", "HEAD")

    assert plan["meta"]["scope"] == "changed"
    assert [(c["action"], c["offer_name"]) for c in plan["changes"]] == [
        ("create", "Brand new offer")
    ]
    # No id is known for a new name: one pass over the list, as a full plan would make.
    assert received["GET private-offer/query"] >= 1
    assert "GET private-offer/{id}" not in received

    # Without --baseline the plan is full whatever plan.scope says.
    plan, received = _plan(capsys)
    assert plan["meta"]["scope"] == "all"
    assert plan["summary"]["unchanged"] == len(offer_set.publisher)


def test_a_settings_only_pull_request_plans_every_offer_it_changes(
    project: tuple[Path, OfferSet], capsys: pytest.CaptureFixture[str]
) -> None:
    root, offer_set = project
    _plan(capsys, "--baseline", "HEAD")  # the full run that leaves the ids
    # Live contacts differ from the files, ignored by the default `ignore` setting ...
    edited = offer_set.drafts[0]
    with emulator_server.EmbeddedEmulator(
        EmulatorConfig(data_dir=root / ".reconciler" / "emulator", admin=True, static_tokens=True)
    ) as emu:
        page = httpx.get(
            emu.api_url + "/private-offer/query",
            params={"$version": "2023-07-15"},
            headers={"Authorization": "Bearer emulator:publisher"},
        ).json()
        (offer,) = [o for o in page["privateOffers"] if o["name"] == edited.name]
        emu.admin.edit(offer["id"], {"notificationContacts": ["someone@contoso.com"]})
    # ... and the pull request changes only the settings: contacts are no longer ignored.
    settings = root / "reconciler.toml"
    settings.write_text(settings.read_text() + "ignore = []\n")

    plan, _ = _plan(capsys, "--baseline", "HEAD")
    assert plan["meta"]["scope"] == "all"  # not the changed files only: there are none
    assert [(c["action"], c["offer_name"]) for c in plan["changes"]] == [("update", edited.name)]
    assert "drift" not in plan  # what the settings change is this pull request's change
    assert any("the settings changed since HEAD" in e["text"] for e in plan["extras"])


def test_a_removed_offer_file_makes_the_targeted_plan_full(
    project: tuple[Path, OfferSet], capsys: pytest.CaptureFixture[str]
) -> None:
    root, offer_set = project
    _plan(capsys, "--baseline", "HEAD")
    gone = next(o for o in offer_set.drafts if (root / "offers" / o.relpath).exists())
    (root / "offers" / gone.relpath).unlink()
    plan, _ = _plan(capsys, "--baseline", "HEAD")
    assert plan["meta"]["scope"] == "all"
    assert any("an offer file was removed" in e["text"] for e in plan["extras"])
