"""Every table of the application, for Alembic: importing this registers them all."""

from __future__ import annotations

import creditunion.cob.models
import creditunion.members_shares_tables
import creditunion.platform_models
import creditunion.savings.models
import ledger.models
import ledger.seal_models
import loans.models
from ledger.base import Base

metadata = Base.metadata
