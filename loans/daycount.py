"""Day-count conventions: the fraction of a year between two dates, for interest accrual.

The ratio is computed exactly as a `Fraction` of whole numbers of days; `year_fraction`
turns it into a `Decimal` only at the end, to 50 significant digits, so no float and no
early rounding ever enters an interest figure.
"""

from __future__ import annotations

import decimal
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Final

_PRECISION: Final = 50


class DayCountError(ValueError):
    """A period that cannot be measured (its end is before its start)."""


class DayCount(StrEnum):
    """Named conventions; Actual/365 Fixed is the default for UK consumer lending."""

    ACT_365_FIXED = "ACT/365F"
    ACT_360 = "ACT/360"
    ACT_ACT_ISDA = "ACT/ACT ISDA"
    # 30/360 Bond Basis, 2006 ISDA Definitions 4.16(f).
    THIRTY_360 = "30/360"
    # 30/360 US (SIA Standard Securities Calculation Methods, with its end-of-February
    # rule): a month from one due date to the next never counts more than 30 days, so a
    # monthly loan never charges more than the annual rate / 12 in any month. The bond
    # basis counts 28 Feb -> 31 Mar as 33 days, which pushes a PAL at 28% over its cap.
    THIRTY_360_US = "30/360 US"


def year_fraction_ratio(
    start: date, end: date, *, convention: DayCount = DayCount.ACT_365_FIXED
) -> Fraction:
    """The exact fraction of a year from `start` to `end` under `convention`."""
    if end < start:
        raise DayCountError(f"period end {end} is before its start {start}")
    if convention is DayCount.ACT_365_FIXED:
        return Fraction((end - start).days, 365)
    if convention is DayCount.ACT_360:
        return Fraction((end - start).days, 360)
    if convention is DayCount.ACT_ACT_ISDA:
        return _actual_actual_isda(start, end)
    if convention is DayCount.THIRTY_360_US:
        return Fraction(_thirty_360_us_days(start, end), 360)
    return Fraction(_thirty_360_days(start, end), 360)


def year_fraction(
    start: date, end: date, *, convention: DayCount = DayCount.ACT_365_FIXED
) -> Decimal:
    """`year_fraction_ratio` as a Decimal of 50 significant digits."""
    ratio = year_fraction_ratio(start, end, convention=convention)
    with decimal.localcontext(prec=_PRECISION):
        return Decimal(ratio.numerator) / Decimal(ratio.denominator)


def _actual_actual_isda(start: date, end: date) -> Fraction:
    # Days falling in a leap year count over 366, the others over 365.
    total = Fraction(0)
    cursor = start
    for year in range(start.year, end.year + 1):
        boundary = min(end, date(year + 1, 1, 1)) if year < 9999 else end
        days = (boundary - cursor).days
        basis = 366 if _is_leap(year) else 365
        total += Fraction(days, basis)
        cursor = boundary
    return total


def _thirty_360_days(start: date, end: date) -> int:
    d1 = 30 if start.day == 31 else start.day
    d2 = 30 if end.day == 31 and d1 == 30 else end.day
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)


def _thirty_360_us_days(start: date, end: date) -> int:
    # SIA rules in order: both ends on the last of February -> D2 = 30; start on the last
    # of February -> D1 = 30; D2 = 31 with D1 >= 30 -> D2 = 30; D1 = 31 -> D1 = 30.
    d1, d2 = start.day, end.day
    start_feb_end = _is_last_of_february(start)
    if start_feb_end and _is_last_of_february(end):
        d2 = 30
    if start_feb_end:
        d1 = 30
    if d2 == 31 and d1 >= 30:
        d2 = 30
    if d1 == 31:
        d1 = 30
    return 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)


def _is_last_of_february(day: date) -> bool:
    return day.month == 2 and day.day == (29 if _is_leap(day.year) else 28)


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
