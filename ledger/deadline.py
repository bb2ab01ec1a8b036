"""One time budget per command, set at the edge and honoured by every retry below it.

A command (a request, a command line, a close-of-business step) gets a `Deadline` when it
starts. The retry loops under it (the ledger's savepoint retries, the unit of work's
whole-command retries, the HTTP layer's) try again only while the deadline has time left,
and shorten PostgreSQL's lock wait to what is left, so one command waits at most its
budget however many layers retry. It is carried in a context variable so the ledger's
signatures stay about money, and follows the work into worker threads.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Final

BUDGET_S_MAX: Final = 24 * 3600.0
LOCK_WAIT_MS_MIN: Final = 1


@dataclass(frozen=True, slots=True)
class Deadline:
    budget_s: float
    expires_at_s: float  # on time.monotonic()'s clock

    @classmethod
    def after(cls, budget_s: float) -> Deadline:
        if not 0 < budget_s <= BUDGET_S_MAX:
            raise ValueError(f"a command's budget is 0 to {BUDGET_S_MAX:.0f} s, got {budget_s}")
        return cls(budget_s=budget_s, expires_at_s=time.monotonic() + budget_s)

    def remaining_s(self) -> float:
        return max(0.0, self.expires_at_s - time.monotonic())

    @property
    def expired(self) -> bool:
        return self.remaining_s() == 0.0

    def lock_wait_ms(self) -> int:
        """How long a lock may still be waited for: what is left, at least 1 ms."""
        return max(LOCK_WAIT_MS_MIN, int(self.remaining_s() * 1000))


_current: ContextVar[Deadline | None] = ContextVar("creditunion_deadline", default=None)


def current_deadline() -> Deadline | None:
    return _current.get()


@contextmanager
def deadline_set(deadline: Deadline) -> Iterator[Deadline]:
    """Make `deadline` current inside the block; an outer, earlier deadline still wins."""
    outer = _current.get()
    effective = deadline if outer is None or deadline.expires_at_s < outer.expires_at_s else outer
    token = _current.set(effective)
    try:
        yield effective
    finally:
        _current.reset(token)
