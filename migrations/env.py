"""Alembic environment: the URL comes from the caller or from the application's settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from creditunion.approvals import models as approvals_models
from creditunion.audit import models as audit_models
from creditunion.auth import models as auth_models
from creditunion.business_date import models as business_date_models
from creditunion.cob import models as cob_models
from creditunion.idempotency import models as idempotency_models
from creditunion.members import models as members_models
from creditunion.payments import models as payments_models
from creditunion.payments.collections import models as collections_models
from creditunion.savings import models as savings_models
from creditunion.shares import models as shares_models
from ledger import models as ledger_models
from ledger import seal_models
from ledger.base import Base
from loans import history_models as loans_history_models
from loans import models as loans_models

# Every module that declares tables, listed here and nowhere else: importing a module puts
# its tables on the shared metadata, and Alembic compares and migrates what is on it. A new
# models module that is missing here shows as drift in `alembic check`
# (tests/integration/test_migrations.py).
TABLE_MODULES = (
    ledger_models,
    seal_models,
    loans_models,
    loans_history_models,
    members_models,
    shares_models,
    approvals_models,
    business_date_models,
    auth_models,
    audit_models,
    idempotency_models,
    savings_models,
    cob_models,
    payments_models,
    collections_models,
)
metadata = Base.metadata

config = context.config


def _url() -> str:
    explicit = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if explicit:
        return str(explicit)
    from creditunion.platform.database import resolve_database_url
    from creditunion.platform.settings import get_settings

    return resolve_database_url(get_settings(), create=True)


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        compare_type=True,
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
