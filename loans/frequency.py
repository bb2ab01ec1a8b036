"""Repayment frequencies and the due dates they generate.

Every due date is computed from the first due date (the anchor) in one step, so a monthly
series on the 31st runs 31 Jan, 28/29 Feb, 31 Mar, 30 Apr and never drifts to the 28th.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Final

from ledger.errors import Refused
from loans.calendar import add_months

MAX_INSTALMENTS: Final = 1200


class FrequencyError(Refused, ValueError):
    """A count of instalments outside what a schedule can hold."""


class Frequency(StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    FOUR_WEEKLY = "four_weekly"
    MONTHLY = "monthly"

    @property
    def periods_per_year(self) -> int:
        return _PERIODS_PER_YEAR[self]

    @property
    def days(self) -> int | None:
        """Days per period for the week-based frequencies; None for monthly."""
        return _DAYS.get(self)


_PERIODS_PER_YEAR: Final = {
    Frequency.WEEKLY: 52,
    Frequency.FORTNIGHTLY: 26,
    Frequency.FOUR_WEEKLY: 13,
    Frequency.MONTHLY: 12,
}
_DAYS: Final = {Frequency.WEEKLY: 7, Frequency.FORTNIGHTLY: 14, Frequency.FOUR_WEEKLY: 28}


def step(anchor: date, *, periods: int, frequency: Frequency) -> date:
    """The date `periods` whole periods after `anchor` (before it, if negative)."""
    days = frequency.days
    if days is None:
        return add_months(anchor, months=periods)
    return anchor + timedelta(days=days * periods)


def due_dates(first_due: date, *, count: int, frequency: Frequency) -> tuple[date, ...]:
    """`count` due dates, the first on `first_due`, each computed from that anchor."""
    _check_count(count)
    return tuple(step(first_due, periods=index, frequency=frequency) for index in range(count))


def due_dates_after(anchor: date, *, count: int, frequency: Frequency) -> tuple[date, ...]:
    """`count` due dates at 1, 2, ... periods after `anchor` (31 Jan -> 28 Feb, 31 Mar, ...)."""
    _check_count(count)
    return tuple(step(anchor, periods=index, frequency=frequency) for index in range(1, count + 1))


def _check_count(count: int) -> None:
    if isinstance(count, bool) or not isinstance(count, int):
        raise TypeError(f"count must be an int, not {type(count).__name__}")
    if not 1 <= count <= MAX_INSTALMENTS:
        raise FrequencyError(f"a schedule has 1 to {MAX_INSTALMENTS} instalments, not {count}")
