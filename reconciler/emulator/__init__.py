"""An emulator of the private-offer part of the Product Ingestion API (see docs/emulator.md).

It stands apart from the rest of the reconciler: it imports only the shared foundations, so
a bug in the reconciler's own offer model can never be mirrored by the emulator.
"""

from reconciler.emulator.admin import EmulatorAdmin
from reconciler.emulator.config import PARTNER, PUBLISHER, Account, EmulatorConfig
from reconciler.emulator.server import EmbeddedEmulator

__all__ = ["PARTNER", "PUBLISHER", "Account", "EmbeddedEmulator", "EmulatorAdmin", "EmulatorConfig"]
