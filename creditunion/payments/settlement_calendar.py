"""Which days each payment rail settles on, from the maintained `holidays` package.

UK rails (Faster Payments, Bacs) follow the bank holidays of England and Wales; ACH
follows the Federal Reserve's holidays. Dates are passed in; nothing here reads a clock.
"""

from __future__ import annotations

import datetime as dt
import enum
from functools import cache
from typing import Final

import holidays

# A longer run of closed days than this is a broken calendar, not a holiday season.
CLOSED_DAYS_MAX: Final = 30


class Rail(enum.StrEnum):
    FASTER_PAYMENTS = "faster_payments"
    BACS = "bacs"
    ACH = "ach"


@cache
def _closed_days(rail: Rail, year: int) -> frozenset[dt.date]:
    if rail is Rail.ACH:
        days = holidays.financial_holidays("XFED", years=year)
    else:
        days = holidays.country_holidays("GB", subdiv="ENG", years=year)
    return frozenset(days)


def is_business_day(rail: Rail, day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _closed_days(rail, day.year)


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

    Faster Payments: the same business day. Bacs: the three-day cycle, input on day one and
    settlement two business days later. ACH: standard entries one business day later.
    """
    start = _on_or_after(rail, submitted_on)
    if rail is Rail.FASTER_PAYMENTS:
        return start
    if rail is Rail.BACS:
        return next_business_day(rail, next_business_day(rail, start))
    return next_business_day(rail, start)
