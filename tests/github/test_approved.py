"""The merge's comparison, offer by offer: only changes approved in exactly that form stay."""

from __future__ import annotations

from reconciler.github.approved import Approved, compare, render_comparison
from reconciler.github.digests import change_digests
from reconciler.plan.changes import Change, Create, UpdateDraft
from reconciler.plan.plan import Plan, PlanMeta


def change(cls: type[Change], name: str, reason: str, etag: str = "e1") -> Change:
    return cls(
        file=f"offers/{name}.yaml",
        line=3,
        offer_name=name,
        offer_id=None if cls is Create else f"private-offer/{name}",
        kind="customerPromotion",
        etag=None if cls is Create else etag,
        reason=reason,  # type: ignore[arg-type]
    )


def plan(*changes: Change) -> Plan:
    meta = PlanMeta(created_at="2026-12-07T10:00:00+00:00", endpoint="", role="publisher")
    return Plan(meta=meta, changes=list(changes))


def approved_of(shown: Plan) -> Approved:
    return Approved(7, change_digests(shown.to_data()["changes"]), shown.checksum)


def test_only_changes_equal_to_the_approved_ones_are_kept() -> None:
    new, edit = change(Create, "new", "git"), change(UpdateDraft, "edit", "git")
    approved = approved_of(plan(new, edit))
    moved = change(UpdateDraft, "edit", "git", etag="e2")  # its offer moved since the review
    extra = change(UpdateDraft, "other", "git")  # no plan showed it
    drift = change(UpdateDraft, "drifted", "live")  # an edit outside git, not approved
    result = compare(plan(new, moved, extra, drift), approved)
    assert [c.offer_name for c in result.applied.changes] == ["new"]
    assert {c.offer_name for c, _ in result.unseen} == {"edit", "other"}
    assert [c.offer_name for c in result.applied.drift] == ["drifted"]
    body = render_comparison(result, sha="a" * 40)
    assert (
        "Applied: as approved (1)" in body and "Not applied: not approved in this form (2)" in body
    )
    assert "differs from the approved plan" in body and "no approved plan showed" in body
    assert "Not part of this pull request" in body


def test_an_approved_drift_revert_is_applied_and_a_missing_approval_applies_nothing() -> None:
    revert = change(UpdateDraft, "drifted", "live")  # the pull request took the drift in
    result = compare(plan(revert), approved_of(plan(revert)))
    assert [c.offer_name for c in result.applied.changes] == ["drifted"]

    none = Approved(None, missing="no pull request merged this commit: no plan was approved")
    result = compare(plan(change(Create, "new", "git")), none)
    assert result.applied.changes == [] and not result.has_changes
    assert "no pull request merged this commit" in render_comparison(result, sha="b" * 40)
    everything = compare(plan(change(Create, "new", "git")), none, include_unseen=True)
    assert [c.offer_name for c in everything.applied.changes] == ["new"]


def test_a_plan_too_large_for_digests_is_applied_only_when_wholly_unchanged() -> None:
    shown = plan(change(Create, "new", "git"), change(UpdateDraft, "edit", "git"))
    whole = Approved(7, None, shown.checksum)  # more changes than the comment keeps digests of
    assert len(compare(shown, whole).applied.changes) == 2
    moved = plan(change(Create, "new", "git"), change(UpdateDraft, "edit", "git", etag="e2"))
    result = compare(moved, whole)
    assert result.applied.changes == [] and len(result.unseen) == 2
