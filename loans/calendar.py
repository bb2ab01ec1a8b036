"""Calendar arithmetic shared by schedules and the APR rules.

Month steps are clamped to the month end (31 Jan + 1 month = 28/29 Feb), and every
multi-month step is taken from its anchor in one go, never month by month, so a clamped
February never drags later dates back to the 28th.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from datetime import date, timedelta
from fractions import Fraction
from typing import Final

# CONC App 1.2 and this package's accrual measure both treat a month as 365/12 days when a
# part month has to be turned into a fraction of one.
DAYS_PER_EQUAL_MONTH: Final = Fraction(365, 12)


class CalendarError(ValueError):
    """Dates that cannot be measured, such as an end before its start."""


def month_length(year: int, month: int) -> int:
    return _stdlib_calendar.monthrange(year, month)[1]


def is_month_end(day: date) -> bool:
    return day.day == month_length(day.year, day.month)


def add_months(anchor: date, *, months: int, month_end: bool = False) -> date:
    """`anchor` moved by whole months, the day clamped to the target month's length.

    With `month_end`, the result is the last day of the target month: the month-end to
    month-end measure both CONC and Regulation Z apply to series on the last day of months.
    """
    index = anchor.year * 12 + (anchor.month - 1) + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise CalendarError(f"{anchor} moved by {months} months leaves the calendar")
    last = month_length(year, month + 1)
    day = last if month_end else min(anchor.day, last)
    return date(year, month + 1, day)


def is_whole_months_apart(start: date, end: date, *, months: int) -> bool:
    """Whether `end` is exactly `months` calendar months after `start`.

    True forward from `start` (31 Jan -> 28 Feb), backward from `end` (28 Feb <- 28 Mar,
    and 28 Feb <- 30 Mar for a series on the 30th), or month end to month end.
    """
    if months <= 0:
        return False
    if add_months(start, months=months) == end or add_months(end, months=-months) == start:
        return True
    return (
        is_month_end(start)
        and is_month_end(end)
        and _month_index(end) - _month_index(start) == months
    )


def whole_months_forward(start: date, end: date) -> int:
    """The largest k with `add_months(start, months=k) <= end`."""
    if end < start:
        raise CalendarError(f"{end} is before {start}")
    months = _month_index(end) - _month_index(start)
    # The month difference overshoots by at most one (when end's day is before start's).
    if months > 0 and add_months(start, months=months) > end:
        months -= 1
    return months


def months_elapsed(start: date, end: date) -> Fraction:
    """Whole months counted forward from `start`, then the days left over as 365/12-day months."""
    whole = whole_months_forward(start, end)
    days = (end - add_months(start, months=whole)).days
    return whole + days / DAYS_PER_EQUAL_MONTH


def whole_months_back(start: date, end: date, *, month_end: bool) -> tuple[int, date]:
    """Whole months counted back from `end` without passing `start`, and where the count stops.

    Counting is from `end` as the anchor each time (k months back in one step). With
    `month_end`, months run from month end to month end.
    """
    if end < start:
        raise CalendarError(f"{end} is before {start}")
    months = _month_index(end) - _month_index(start)
    # At most one step too far: the k-th month back can land just before `start`.
    if months > 0 and add_months(end, months=-months, month_end=month_end) < start:
        months -= 1
    return months, add_months(end, months=-months, month_end=month_end)


def days_in_year_ending(day: date) -> int:
    """365 or 366: the length of the complete year counted back from `day`."""
    return (day - add_months(day, months=-12)).days


def weeks_back(start: date, end: date) -> tuple[int, date]:
    """Whole weeks counted back from `end` without passing `start`, and where the count stops."""
    if end < start:
        raise CalendarError(f"{end} is before {start}")
    weeks = (end - start).days // 7
    return weeks, end - timedelta(days=7 * weeks)


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1
