"""Every multi-step action through `reconciler apply` against the emulator: recreate,
withdraw-edit-republish, withdraw, delete and publish; replaying an old saved plan; and a
lost answer at every step of every multi-step action (never zero offers, never two)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.emulator.server import EmbeddedEmulator
from reconciler.errors import EXIT_JOBS_RUNNING, EXIT_OK, EXIT_STALE
from reconciler.offers.domain import STATE_AFTER_WITHDRAW, OfferState
from tests.apply.cli_support import EMU, fault_at_post, posts, run, setup_project
from tests.apply.conftest import client, fast_settings

CSP = "offers/csp-promotion.yaml"
CSP_NAME = "Contoso Analytics CSP margin 2027"
CUSTOMER = "offers/customer-percentage.yaml"
CUSTOMER_NAME = "Woodgrove Bank Analytics discount 2027"


def edit(path: str, old: str, new: str) -> None:
    file = Path(path)
    text = file.read_text()
    assert old in text, (path, old)
    file.write_text(text.replace(old, new, 1))


def apply_ok(*args: str) -> None:
    code, out, err = run("apply", *args, "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err


def plan_exit(path: str) -> int:
    return run("plan", path, "--allow-republish", "--detailed-exitcode", *EMU)[0]


def states(emu: EmbeddedEmulator, name: str) -> dict[str, str]:
    with client(emu, fast_settings(Path.cwd())) as c:
        return {str(o["id"]): str(o["state"]) for o in c.list_offers() if o.get("name") == name}


def live_ones(emu: EmbeddedEmulator, name: str) -> list[str]:
    return [i for i, s in states(emu, name).items() if s == "live"]


def withdrawn(state: str) -> bool:
    return state in (OfferState.WITHDRAWN, STATE_AFTER_WITHDRAW)


@pytest.mark.emulator(job_latency=0.2)
@pytest.mark.parametrize(
    ("path", "name", "old", "new"),
    [
        (CSP, CSP_NAME, "discountPercentage: 5", "discountPercentage: 6"),
        (CUSTOMER, CUSTOMER_NAME, "discountPercentage: 10", "discountPercentage: 11"),
    ],
    ids=["recreate", "withdraw-edit-republish"],
)
def test_multi_step_change_of_a_live_offer_and_replaying_the_old_plan(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    emu: EmbeddedEmulator,
    path: str,
    name: str,
    old: str,
    new: str,
) -> None:
    setup_project(tmp_path, monkeypatch, emu)
    apply_ok(path)
    (first,) = live_ones(emu, name)
    edit(path, old, new)
    code, out, err = run("plan", path, "--allow-republish", "--out", "plan.json", *EMU)
    assert code == EXIT_OK, out + err
    code, out, err = run("apply", "plan.json", *EMU)
    assert code == EXIT_OK, out + err
    (now,) = live_ones(emu, name)  # exactly one offer with that name is active
    if path == CSP:
        assert now != first and withdrawn(states(emu, name)[first])
    else:
        assert now == first
    assert plan_exit(path) == EXIT_OK  # nothing left to do
    sent = posts(emu)
    code, out, err = run("apply", "plan.json", *EMU)  # the old saved plan again
    assert code == EXIT_STALE, out + err
    assert posts(emu) == sent  # nothing was sent
    assert live_ones(emu, name) == [now]


@pytest.mark.emulator(job_latency=0.05)
def test_withdraw_delete_and_publish_through_apply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator
) -> None:
    setup_project(tmp_path, monkeypatch, emu)
    draft = "offers/customer-renewal.yaml"
    edit(draft, "state: live", "state: draft")
    apply_ok(CUSTOMER, draft)
    name = "Litware Analytics renewal 2027"
    ((draft_id, state),) = states(emu, name).items()
    assert state == "draft"
    edit(draft, "state: draft", "state: live")  # publish
    apply_ok(draft)
    assert states(emu, name) == {draft_id: "live"}
    edit(CUSTOMER, "state: live", "state: withdrawn")  # withdraw
    apply_ok(CUSTOMER, "--force")  # the only managed offer of this run: the guard needs --force
    assert all(withdrawn(s) for s in states(emu, CUSTOMER_NAME).values())
    other = "offers/originator-percentage.yaml"
    edit(other, "state: live", "state: draft")
    apply_ok(other)
    edit(other, "state: draft", "state: deleted")  # delete a draft
    apply_ok(other, "--force")
    assert set(states(emu, "Adventure Works Analytics via Market Place Test").values()) <= {
        "deleted"
    }
    for path in (draft, CUSTOMER, other):
        assert plan_exit(path) == EXIT_OK, path


LOST = [
    (CSP, CSP_NAME, "discountPercentage: 5", "discountPercentage: 6", 1),
    (CSP, CSP_NAME, "discountPercentage: 5", "discountPercentage: 6", 2),
    (CUSTOMER, CUSTOMER_NAME, "discountPercentage: 10", "discountPercentage: 11", 1),
    (CUSTOMER, CUSTOMER_NAME, "discountPercentage: 10", "discountPercentage: 11", 2),
]


@pytest.mark.emulator(job_latency=0.2)
@pytest.mark.parametrize("kind", ["drop_after_accept", "drop"])
@pytest.mark.parametrize(
    ("path", "name", "old", "new", "step"),
    LOST,
    ids=["recreate-create", "recreate-withdraw", "republish-withdraw", "republish-update"],
)
def test_a_lost_answer_at_any_step_never_leaves_zero_or_two_offers(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    emu: EmbeddedEmulator,
    path: str,
    name: str,
    old: str,
    new: str,
    step: int,
    kind: str,
) -> None:
    setup_project(tmp_path, monkeypatch, emu)
    # A lost answer is given up on after 0.6 s: still three job latencies (0.2 s) after the
    # request, so an accepted one is always found by its effect first.
    toml = tmp_path / "reconciler.toml"
    text = toml.read_text()
    assert "lost-response-wait = 1.0" in text
    toml.write_text(text.replace("lost-response-wait = 1.0", "lost-response-wait = 0.6"))
    apply_ok(path)
    edit(path, old, new)
    with fault_at_post(emu, step, kind):
        code, out, err = run(
            "apply", path, "--allow-republish", "--auto-approve", "--format", "json", *EMU
        )
    assert code in (EXIT_OK, EXIT_JOBS_RUNNING), out + err
    assert 1 <= len(live_ones(emu, name)) <= (2 if path == CSP else 1)
    if code == EXIT_JOBS_RUNNING:
        unknown = [c for c in json.loads(out)["changes"] if c["status"] != "succeeded"]
        assert unknown and all(c["message"] for c in unknown)
        code, out, err = run("jobs", "resume", *EMU)
        assert code == EXIT_OK, out + err
    # Settled: exactly one active offer of that name, and nothing left to plan.
    assert len(live_ones(emu, name)) == 1
    assert plan_exit(path) == EXIT_OK


@pytest.mark.emulator(job_latency=1.5)
def test_jobs_outliving_the_timeout_exit_6_and_the_next_apply_follows_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emu: EmbeddedEmulator
) -> None:
    setup_project(tmp_path, monkeypatch, emu)
    code, out, err = run("apply", CSP, "--auto-approve", "--timeout", "0.5", *EMU)
    assert code == EXIT_JOBS_RUNNING, out + err
    sent = posts(emu)
    # The next run (a new CI run of the same checkout) follows the open job, sends nothing.
    code, out, err = run("apply", CSP, "--auto-approve", *EMU)
    assert code == EXIT_OK, out + err
    assert posts(emu) == sent
    assert len(live_ones(emu, CSP_NAME)) == 1
