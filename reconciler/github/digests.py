"""One digest per change of a saved plan: what a merge compares with the approved plan."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

# A plan comment keeps one digest per change up to this many (its meta line stays within a
# few kilobytes of the 65,536-character comment); beyond it only the whole plan's checksum
# is compared.
MAX_DIGESTS = 100


def change_key(change: Mapping[str, object]) -> str:
    """``file|offer name``: one offer's change within a plan."""
    return f"{change.get('file')}|{change.get('offer_name')}"


def change_digests(changes: Sequence[Mapping[str, object]]) -> dict[str, str]:
    """change key -> digest of the change as saved (canonical JSON, as the plan checksum)."""
    return {
        change_key(c): hashlib.sha256(
            json.dumps(c, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        ).hexdigest()[:16]
        for c in changes
    }
