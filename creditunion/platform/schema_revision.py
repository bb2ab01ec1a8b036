"""The Alembic revisions a database's schema is at.

Which revisions the code needs (the migrations' heads) only the entry points know, as only
they import `migrations` (`launch.migrate.head_revisions`); they hand them down, to the
API's readiness probe for one.
"""

from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())
