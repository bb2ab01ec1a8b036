"""Time between a cash flow and the first drawdown, in years, as FCA CONC App 1.2 measures it.

CONC App 1.2 (the Consumer Credit Directive method, SI 2010/1011 Schedule, as amended by
Directive 2011/90/EU): an interval that is not a whole number of years, months or weeks is
a whole number of one of those periods plus days. The periods are counted back from the
cash flow's date towards the first drawdown; the days left over sit at the start, run
from the drawdown, and are divided by 365, or by 366 when the complete year counted back
from the last of those days contains 29 February. A year is 12 equal months or 52 weeks.

Worked cases (European Commission guidelines SWD(2012) 128, Annex 1 section 4.1.1, as
reproduced by the curo library's tests): 12 Jan 2012 -> 15 Feb 2012 is 1/12 + 3/365;
12 Jan 2013 -> 15 Feb 2013 is 1/12 + 3/366; 31 Dec 2024 -> 28 Feb 2025 is 2/12.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from fractions import Fraction

from loans.calendar import (
    add_months,
    days_in_year_ending,
    is_month_end,
    weeks_back,
    whole_months_back,
)


class UkTimeUnit(StrEnum):
    YEAR = "year"
    MONTH = "month"
    WEEK = "week"


def conc_years(first_drawdown: date, when: date, *, unit: UkTimeUnit) -> Fraction:
    """Years from `first_drawdown` to `when`: whole periods of `unit` back from `when`, then days."""
    if when == first_drawdown:
        return Fraction(0)
    if unit is UkTimeUnit.WEEK:
        weeks, stop = weeks_back(first_drawdown, when)
        whole = Fraction(weeks, 52)
    else:
        month_end = is_month_end(first_drawdown) and is_month_end(when)
        months, stop = whole_months_back(first_drawdown, when, month_end=month_end)
        if unit is UkTimeUnit.YEAR:
            months -= months % 12
            stop = add_months(when, months=-months, month_end=month_end)
        whole = Fraction(months, 12)
    days = (stop - first_drawdown).days
    if days == 0:
        return whole
    return whole + Fraction(days, days_in_year_ending(stop))


def choose_unit(first_drawdown: date, *, dates: Iterable[date]) -> UkTimeUnit:
    """Weeks when every date is a whole number of weeks, but not of months, from drawdown.

    A weekly or four-weekly loan is then timed in weeks (n/52), anything else in months
    (n/12), which also covers whole years.
    """
    later = [day for day in dates if day != first_drawdown]
    if not later:
        return UkTimeUnit.MONTH
    all_weeks = all((day - first_drawdown).days % 7 == 0 for day in later)
    all_months = all(_whole_months(first_drawdown, day) for day in later)
    return UkTimeUnit.WEEK if all_weeks and not all_months else UkTimeUnit.MONTH


def _whole_months(first_drawdown: date, when: date) -> bool:
    month_end = is_month_end(first_drawdown) and is_month_end(when)
    _, stop = whole_months_back(first_drawdown, when, month_end=month_end)
    return stop == first_drawdown
