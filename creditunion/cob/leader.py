"""One close-of-business runner per deployment: a PostgreSQL advisory lock.

The leader lock is session-level, held on a connection of its own for the whole run.
Each step's transaction also takes a transaction-level step lock and re-reads the step's
record under it, so even two runners that somehow both ran could not run a step twice.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

from sqlalchemy import Engine, text

from creditunion.errors import Unavailable

COB_LEADER_KEY: Final = 0x434F_425F_4C45_4144
COB_STEP_KEY: Final = 0x434F_425F_5354_4550
WAIT_S_MAX: Final = 24 * 3600


class CobBusy(Unavailable, RuntimeError):
    """Another runner holds the close-of-business lock."""


@contextmanager
def leadership(engine: Engine, *, wait: bool, wait_s_max: float = WAIT_S_MAX) -> Iterator[None]:
    """Hold the leader lock for the block; wait for it or raise `CobBusy`."""
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        deadline = time.monotonic() + wait_s_max
        while not conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": COB_LEADER_KEY}):
            holder = conn.scalar(
                text(
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND ((classid::bigint << 32) | objid::bigint) = :k"
                ),
                {"k": COB_LEADER_KEY},
            )
            if not wait or time.monotonic() > deadline:
                raise CobBusy(
                    f"another close-of-business runner holds the lock (backend pid {holder})"
                )
            time.sleep(1.0)
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": COB_LEADER_KEY})
