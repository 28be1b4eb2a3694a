"""A fault is a typed record on the admin API: listed as taken, a bad one refused by field."""

from __future__ import annotations

import pytest

from reconciler.emulator import EmbeddedEmulator
from reconciler.errors import EmulatorError


def test_faults_are_listed_as_taken_and_a_bad_one_is_refused_by_field(
    emulator: EmbeddedEmulator,
) -> None:
    ident = emulator.admin.add_fault("status", "configure", method="POST", status=503, count=2)
    (listed,) = emulator.admin.faults()
    assert listed == {
        "kind": "status", "path": "configure", "method": "POST", "status": 503,
        "retry_after": None, "delay": 0.0, "share": None, "count": 2,
        "code": "internalServerError", "message": "Injected failure.", "id": ident, "hits": 0,
    }  # fmt: skip
    with pytest.raises(EmulatorError, match="kind"):
        emulator.admin.add_fault("explode")
    with pytest.raises(EmulatorError, match="share"):
        emulator.admin.add_fault("status", share=1.5)
    with pytest.raises(EmulatorError, match="count"):
        emulator.admin.add_fault("status", count=-1)
    assert [f["id"] for f in emulator.admin.faults()] == [ident]
