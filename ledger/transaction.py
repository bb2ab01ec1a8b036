"""How ledger code runs inside the caller's database transaction.

Ledger functions never commit: the command at the edge owns the transaction. Each
ledger write runs in its own savepoint, so a deadlock, a serialization failure or a
lost race on a unique key is rolled back to it and retried a bounded number of times
instead of reaching the caller, and a refusal releases the locks it took.

The savepoint travels in one round trip with the write's first statement (psycopg's
pipeline mode) and is not released on success (COMMIT releases it), so it costs no
round trip of its own on the hot path.

Under a command's deadline (`ledger.deadline`), a retry is made only while time is left,
and waits for locks no longer than what is left.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, Final, LiteralString, TypeVar

import psycopg
from psycopg import sql
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ledger.deadline import Deadline, current_deadline
from ledger.errors import Unavailable

T = TypeVar("T")

ATTEMPTS_MAX: Final = 12
BACKOFF_S_BASE: Final = 0.002
BACKOFF_S_MAX: Final = 0.2
SAVEPOINT: Final = "ledger_write"
_TRANSIENT_SQLSTATES: Final = frozenset({"40001", "40P01", "55P03"})
# A lost race on these keys resolves itself on the next attempt: the winner is then visible
# and the request becomes a replay, a conflict or an "already reversed".
_RACE_CONSTRAINTS: Final = frozenset(
    {"uq_journal_entries_idempotency_key", "uq_journal_entries_reverses_entry_id"}
)


class TransactionRequired(RuntimeError):
    """Ledger code was called outside a transaction the caller owns."""


class PostingContention(Unavailable, RuntimeError):
    """Retries ran out under contention; nothing was written by this call."""


class DeadlineExceeded(PostingContention):
    """The command's time budget ran out before it could finish; nothing was written."""

    def __init__(self, deadline: Deadline, cause: BaseException | None = None) -> None:
        super().__init__(
            f"the command's {deadline.budget_s:g} s budget ran out"
            + ("" if cause is None else f" (last: {cause})")
        )
        self.deadline = deadline


def may_retry(cause: BaseException) -> None:
    """Raise `DeadlineExceeded` if the current command has no time left for another try."""
    deadline = current_deadline()
    if deadline is not None and deadline.expired:
        raise DeadlineExceeded(deadline, cause) from cause


def bounded_lock_wait(session: Session) -> None:
    """Wait for locks at most the time the current command has left (none set: unchanged)."""
    deadline = current_deadline()
    if deadline is not None:
        # SET takes no bind parameters: the value goes in as a quoted literal.
        statement = sql.SQL("SET LOCAL lock_timeout = {}").format(
            sql.Literal(deadline.lock_wait_ms())
        )
        driver_connection(session).execute(statement)


def require_transaction(session: Session) -> None:
    if not session.in_transaction():
        raise TransactionRequired("begin a transaction (unit of work) before calling the ledger")


def driver_connection(session: Session) -> psycopg.Connection[Any]:
    """The psycopg connection under the session, in the session's transaction."""
    connection = session.connection().connection.driver_connection
    assert isinstance(connection, psycopg.Connection)
    return connection


class SavepointCursor:
    """A cursor whose first statement also opens the write's savepoint, in one round trip."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection
        self._cursor = connection.cursor()
        self._opened = False

    def execute(self, query: LiteralString, params: Any = None) -> psycopg.Cursor[Any]:
        if self._opened:
            return self._cursor.execute(query, params)
        # Opened before the round trip: when the statement after the SAVEPOINT fails (a lock
        # timeout, a deadlock), the transaction is aborted and only rolling back to the
        # savepoint lets the retry run.
        self._opened = True
        with self._connection.pipeline():
            self._connection.execute(f"SAVEPOINT {SAVEPOINT}")
            self._cursor.execute(query, params)
        return self._cursor

    def roll_back(self) -> None:
        if self._opened:
            self._connection.execute(f"ROLLBACK TO SAVEPOINT {SAVEPOINT}")
        self._cursor.close()


def is_transient(exc: BaseException) -> bool:
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    if not isinstance(original, psycopg.Error) or original.diag is None:
        return False
    if original.sqlstate in _TRANSIENT_SQLSTATES:
        return True
    return original.sqlstate == "23505" and original.diag.constraint_name in _RACE_CONSTRAINTS


def in_savepoint_with_retries(session: Session, work: Callable[[SavepointCursor], T]) -> T:
    require_transaction(session)
    connection = driver_connection(session)
    for attempt in range(1, ATTEMPTS_MAX + 1):
        cursor = SavepointCursor(connection)
        try:
            return work(cursor)
        except psycopg.Error as exc:
            cursor.roll_back()
            if not is_transient(exc):
                raise
            if attempt == ATTEMPTS_MAX:
                raise PostingContention(f"gave up after {attempt} attempts: {exc}") from exc
            may_retry(exc)
            ceiling = min(BACKOFF_S_MAX, BACKOFF_S_BASE * 2**attempt)
            time.sleep(random.uniform(0, ceiling))
            bounded_lock_wait(session)
        except BaseException:
            cursor.roll_back()
            raise
    raise AssertionError("unreachable: the loop returns or raises")
