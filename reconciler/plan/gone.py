"""Offer files that went away since the baseline: the live offer stays, unmanaged.

Removing a file never withdraws anything (names are identity, and a plan only acts on the
files it has). Silently, that reads as "No changes" while the offer stays live for
customers; so the plan lists each such file on a line of its own, and says when the file
was renamed (git sees the rename): without a pinned ``id`` the new name is a new offer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class GoneFile:
    """A file at the baseline that is no longer there, and the live offer it managed."""

    file: str
    offer_name: str
    offer_id: str | None
    state: str | None  # the live offer's state now (None: no live offer)
    renamed_to: str | None = None  # the file git sees as its rename

    def to_data(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "offer_name": self.offer_name,
            "offer_id": self.offer_id,
            "state": self.state,
            "renamed_to": self.renamed_to,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> GoneFile:
        return cls(
            file=str(data["file"]),
            offer_name=str(data["offer_name"]),
            offer_id=data.get("offer_id"),
            state=data.get("state"),
            renamed_to=data.get("renamed_to"),
        )
