"""Engines, sessions and the unit of work.

The command at the edge (an HTTP request, a CLI command, a close-of-business step)
opens a unit of work; everything inside it commits together or not at all.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Final, TypeVar

import psycopg
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from creditunion.platform.embedded_db import embedded_server_url, ensure_database
from creditunion.platform.settings import Settings, get_settings
from ledger.deadline import Deadline, deadline_set
from ledger.transaction import DeadlineExceeded, PostingContention, is_transient, may_retry

T = TypeVar("T")
COMMAND_ATTEMPTS_MAX: Final = 5
COMMAND_BUDGET_S: Final = 30.0


def sqlalchemy_url(url: str) -> str:
    """Point a libpq-style URL at the psycopg 3 driver."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {url.split('@')[-1]!r}")


def libpq_url(url: str) -> str:
    """The same URL as psycopg and the PostgreSQL tools take it."""
    return "postgresql://" + sqlalchemy_url(url)[len("postgresql+psycopg://") :]


def resolve_database_url(settings: Settings, *, create: bool = False) -> str:
    """`DATABASE_URL` when set, else the embedded server's application database.

    Only the commands that build a database (`db upgrade`, `demo`) pass `create`; any
    other finds no embedded database in a directory with none, and says so.
    """
    if settings.database_url:
        return sqlalchemy_url(settings.database_url)
    server = embedded_server_url(settings.embedded_data_dir, create=create)
    return sqlalchemy_url(ensure_database(server, settings.embedded_database))


def make_engine(
    url: str, settings: Settings | None = None, *, pool_size: int | None = None
) -> Engine:
    settings = settings or get_settings()
    options = (
        f"-c statement_timeout={settings.db_statement_timeout_ms} "
        f"-c lock_timeout={settings.db_lock_timeout_ms}"
    )
    size = pool_size or settings.db_pool_size
    return create_engine(
        sqlalchemy_url(url),
        pool_size=size,
        max_overflow=size,
        connect_args={"options": options},
    )


@lru_cache(maxsize=1)
def default_engine() -> Engine:
    settings = get_settings()
    return make_engine(resolve_database_url(settings), settings)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """A session in one transaction: committed if the block ends normally, else rolled back."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


def run_command(
    engine: Engine, command: Callable[[Session], T], *, budget_s: float = COMMAND_BUDGET_S
) -> T:
    """Run `command` in its own unit of work, retrying it whole on a transient conflict
    while its deadline (`budget_s` from now, also honoured by the ledger's own retries)
    has time left.

    Ledger writes already retry inside their savepoints; this catches the rest, such as
    a deadlock between several postings composed into one command.
    """
    with deadline_set(Deadline.after(budget_s)):
        for attempt in range(1, COMMAND_ATTEMPTS_MAX + 1):
            try:
                with unit_of_work(engine) as session:
                    return command(session)
            except (DBAPIError, psycopg.Error, PostingContention) as exc:
                retryable = not isinstance(exc, DeadlineExceeded) and (
                    isinstance(exc, PostingContention) or is_transient(exc)
                )
                if not retryable or attempt == COMMAND_ATTEMPTS_MAX:
                    raise
                may_retry(exc)
                time.sleep(random.uniform(0, 0.01 * 2**attempt))
    raise AssertionError("unreachable: the loop returns or raises")
