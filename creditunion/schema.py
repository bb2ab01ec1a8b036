"""Every table of the application, for Alembic: importing this registers them all."""

from __future__ import annotations

import creditunion.cob.models  # noqa: F401  (each import registers that package's tables)
import creditunion.members_shares_tables
import creditunion.platform_models  # noqa: F401
import creditunion.savings.models  # noqa: F401
import ledger.models  # noqa: F401
import ledger.seal_models  # noqa: F401
import loans.models  # noqa: F401
from ledger.base import Base

metadata = Base.metadata
