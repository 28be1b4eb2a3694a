"""Offer files -> validated desired models; the JSON Schema of the file format.

See docs/offer-files.md (the format) and docs/validation.md (the rules).
"""

from __future__ import annotations

from reconciler.offers.loader import (
    OfferFile,
    discover_offer_files,
    load_offer_files,
    load_offer_text,
)
from reconciler.offers.model import FileControls, PrivateOffer

__all__ = [
    "FileControls",
    "OfferFile",
    "PrivateOffer",
    "discover_offer_files",
    "load_offer_files",
    "load_offer_text",
]
