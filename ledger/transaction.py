"""How ledger code runs inside the caller's database transaction.

Ledger functions never commit: the command at the edge owns the transaction. Each
ledger write runs in a savepoint, so a refusal leaves the caller's transaction usable,
and a deadlock, serialization failure or lost race on a unique key is retried there a
bounded number of times instead of reaching the caller.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, Final, TypeVar

import psycopg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

T = TypeVar("T")

ATTEMPTS_MAX: Final = 12
BACKOFF_S_BASE: Final = 0.002
BACKOFF_S_MAX: Final = 0.2
_TRANSIENT_SQLSTATES: Final = frozenset({"40001", "40P01", "55P03"})
# A lost race on these keys resolves itself on the next attempt: the winner is then visible
# and the request becomes a replay, a conflict or an "already reversed".
_RACE_CONSTRAINTS: Final = frozenset(
    {"uq_journal_entries_idempotency_key", "uq_journal_entries_reverses_entry_id"}
)


class TransactionRequired(RuntimeError):
    """Ledger code was called outside a transaction the caller owns."""


class PostingContention(RuntimeError):
    """Retries ran out under contention; nothing was written by this call."""


def require_transaction(session: Session) -> None:
    if not session.in_transaction():
        raise TransactionRequired("begin a transaction (unit of work) before calling the ledger")


def driver_cursor(session: Session) -> psycopg.Cursor[Any]:
    """A psycopg cursor on the session's own connection and transaction."""
    connection = session.connection().connection.driver_connection
    assert isinstance(connection, psycopg.Connection)
    return connection.cursor()


def is_transient(exc: BaseException) -> bool:
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    if not isinstance(original, psycopg.Error) or original.diag is None:
        return False
    if original.sqlstate in _TRANSIENT_SQLSTATES:
        return True
    return original.sqlstate == "23505" and original.diag.constraint_name in _RACE_CONSTRAINTS


def in_savepoint_with_retries(session: Session, work: Callable[[psycopg.Cursor[Any]], T]) -> T:
    require_transaction(session)
    for attempt in range(1, ATTEMPTS_MAX + 1):
        try:
            with session.begin_nested(), driver_cursor(session) as cursor:
                return work(cursor)
        except (psycopg.Error, DBAPIError) as exc:
            if not is_transient(exc):
                raise
            if attempt == ATTEMPTS_MAX:
                raise PostingContention(f"gave up after {attempt} attempts: {exc}") from exc
            ceiling = min(BACKOFF_S_MAX, BACKOFF_S_BASE * 2**attempt)
            time.sleep(random.uniform(0, ceiling))
    raise AssertionError("unreachable: the loop returns or raises")
