"""Every table of the application, for Alembic: importing this registers them all."""

from __future__ import annotations

import ledger.models  # noqa: F401  (registers the ledger's tables)
from ledger.base import Base

metadata = Base.metadata
