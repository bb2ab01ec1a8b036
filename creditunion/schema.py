"""Every table of the application, for Alembic: importing this registers them all."""

from __future__ import annotations

from creditunion import members_shares_tables, platform_models
from creditunion.cob import models as cob_models
from creditunion.savings import models as savings_models
from ledger import models as ledger_models
from ledger import seal_models
from ledger.base import Base
from loans import history_models as loans_history_models
from loans import models as loans_models

# Each module declares its tables on the shared metadata when imported.
TABLE_MODULES = (
    ledger_models,
    seal_models,
    loans_models,
    loans_history_models,
    members_shares_tables,
    platform_models,
    savings_models,
    cob_models,
)

metadata = Base.metadata
