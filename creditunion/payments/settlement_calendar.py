"""Which days each payment rail settles on, from the maintained `holidays` package.

UK rails (Faster Payments, Bacs) follow the bank holidays of England and Wales, with their
substitute days (Boxing Day on a Saturday moves to the Monday). ACH follows the Federal
Reserve's holidays (`holidays`' financial calendar `XFED`), which keep the Fed's own rule:
a holiday on a Sunday closes the Monday, one on a Saturday closes no weekday (the Fed is
open on Friday 3 July 2026, though federal offices observe Independence Day that day).
Dates are passed in; nothing here reads a clock.
"""

from __future__ import annotations

import datetime as dt
import enum
from functools import lru_cache
from typing import Final

import holidays

# A longer run of closed days than this is a broken calendar, not a holiday season.
CLOSED_DAYS_MAX: Final = 30


class Rail(enum.StrEnum):
    FASTER_PAYMENTS = "faster_payments"
    BACS = "bacs"
    ACH = "ach"


# Two calendars a year, for as many years as a payments run plausibly touches.
@lru_cache(maxsize=64)
def _closed_days(us: bool, year: int) -> frozenset[dt.date]:
    if us:
        return frozenset(holidays.financial_holidays("XFED", years=year))
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_business_day(rail: Rail, day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _closed_days(rail is Rail.ACH, day.year)


def next_business_day(rail: Rail, day: dt.date) -> dt.date:
    """The first business day strictly after `day`."""
    for offset in range(1, CLOSED_DAYS_MAX + 1):
        candidate = day + dt.timedelta(days=offset)
        if is_business_day(rail, candidate):
            return candidate
    raise RuntimeError(f"no {rail.value} business day within {CLOSED_DAYS_MAX} days of {day}")


def _on_or_after(rail: Rail, day: dt.date) -> dt.date:
    return day if is_business_day(rail, day) else next_business_day(rail, day)


def settlement_date(rail: Rail, submitted_on: dt.date) -> dt.date:
    """When a file submitted on `submitted_on` settles.

    A file submitted on a day the rail is closed counts as submitted on its next business
    day. Faster Payments settle that day. Bacs runs the three-day cycle: input on day one,
    settlement on day three, two business days later. ACH standard (not same-day) entries
    settle one business day after it, so a file submitted on a Saturday settles on Tuesday.
    """
    start = _on_or_after(rail, submitted_on)
    if rail is Rail.FASTER_PAYMENTS:
        return start
    if rail is Rail.BACS:
        return next_business_day(rail, next_business_day(rail, start))
    return next_business_day(rail, start)
