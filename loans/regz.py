"""Unit periods and time positions for the US APR, as Regulation Z Appendix J defines them.

12 CFR 1026 Appendix J(b):
(3) months are all equal; month-end to month-end counts as whole months; a series on the
    29th or 30th uses the last day of February.
(4) the unit period is the common period (one occurring more than once, up to a year)
    that occurs most often, the smaller on a tie; with no common period, the average
    period rounded to the nearest standard interval (day, week, semimonth, month, or a
    multiple of a week or month up to a year), the lower on a tie. A single advance
    repaid by a single payment has the term as its unit period (one year at most).
(5) full unit periods are counted back from each payment date; the odd days fall in the
    first period as a fraction: days / 30 for a month, 30 days per month for semimonths
    (/15) and multi-month units (/30n), days / 7n for n-week units, and for a year the
    remaining months / 12, or remaining days / 365 if not whole months.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction
from itertools import pairwise

from loans.calendar import add_months, is_month_end, is_whole_months_apart, whole_months_back


class UnitKind(StrEnum):
    DAY = "day"
    WEEK = "week"
    SEMIMONTH = "semimonth"
    MONTH = "month"
    TERM = "term"  # single advance, single payment, under a year, not whole months


@dataclass(frozen=True, slots=True, order=True)
class UnitPeriod:
    # Field order makes sorting by length work: approximate days first.
    approx_days: Fraction
    kind: UnitKind
    count: int  # weeks or months per unit; days for TERM; 1 otherwise

    @property
    def per_year(self) -> Fraction:
        if self.kind is UnitKind.DAY:
            return Fraction(365)
        if self.kind is UnitKind.WEEK:
            return Fraction(52, self.count)
        if self.kind is UnitKind.SEMIMONTH:
            return Fraction(24)
        if self.kind is UnitKind.MONTH:
            return Fraction(12, self.count)
        return Fraction(365, self.count)


@dataclass(frozen=True, slots=True)
class Position:
    """Full unit periods and the fraction of one before them, from the start of the term."""

    whole: int
    fraction: Fraction


def day() -> UnitPeriod:
    return UnitPeriod(Fraction(1), UnitKind.DAY, 1)


def weeks(count: int) -> UnitPeriod:
    return UnitPeriod(Fraction(7 * count), UnitKind.WEEK, count)


def semimonth() -> UnitPeriod:
    return UnitPeriod(Fraction(365, 24), UnitKind.SEMIMONTH, 1)


def months(count: int) -> UnitPeriod:
    return UnitPeriod(Fraction(365 * count, 12), UnitKind.MONTH, count)


def term(days: int) -> UnitPeriod:
    return UnitPeriod(Fraction(days), UnitKind.TERM, days)


_STANDARD = (
    day(),
    *(weeks(n) for n in range(1, 53)),
    semimonth(),
    *(months(n) for n in range(1, 13)),
)


def unit_period(
    start: date, *, advance_dates: Sequence[date], payment_dates: Sequence[date]
) -> UnitPeriod:
    """The unit period of a transaction whose term starts on `start`, per Appendix J(b)(4)."""
    paid_on = sorted({day for day in payment_dates if day > start})
    # Several advances on one date are one advance.
    if len(set(advance_dates)) == 1 and len(paid_on) == 1:
        return _single_payment_unit(start, paid_on[0])
    periods = _periods(start, paid_on) + _periods(start, sorted(set(advance_dates)))
    counts: Counter[UnitPeriod] = Counter()
    for begin, end in periods:
        counts.update(_labels(begin, end))
    common = [unit for unit, seen in counts.items() if seen > 1]
    if common:
        most = max(counts[unit] for unit in common)
        return min(unit for unit in common if counts[unit] == most)
    return _nearest_standard(periods)


def position(start: date, when: date, *, unit: UnitPeriod, month_end: bool) -> Position:
    """Where `when` falls after `start`, in unit periods, per Appendix J(b)(5)."""
    elapsed = (when - start).days
    if unit.kind is UnitKind.TERM:
        return Position(1 if elapsed else 0, Fraction(0))
    if unit.kind is UnitKind.DAY:
        return Position(elapsed, Fraction(0))
    if unit.kind is UnitKind.WEEK:
        whole, odd = divmod(elapsed, 7 * unit.count)
        return Position(whole, Fraction(odd, 7 * unit.count))
    counted, stop = whole_months_back(start, when, month_end=month_end)
    if unit.kind is UnitKind.MONTH and unit.count == 12:
        return _year_position(start, when, counted, month_end=month_end)
    divisor = 15 if unit.kind is UnitKind.SEMIMONTH else 30 * unit.count
    whole, odd = divmod(30 * counted + (stop - start).days, divisor)
    return Position(whole, Fraction(odd, divisor))


def month_end_series(payment_dates: Sequence[date]) -> bool:
    """Whether payments are scheduled on the last day of each month (J(b)(3)(iv))."""
    distinct = set(payment_dates)
    return len(distinct) > 1 and all(is_month_end(day) for day in distinct)


def _single_payment_unit(start: date, paid_on: date) -> UnitPeriod:
    index = (paid_on.year - start.year) * 12 + paid_on.month - start.month
    if 1 <= index <= 12 and is_whole_months_apart(start, paid_on, months=index):
        return months(index)
    days = (paid_on - start).days
    return term(days) if days < 365 else months(12)


def _year_position(start: date, when: date, counted: int, *, month_end: bool) -> Position:
    years, extra_months = divmod(counted, 12)
    year_stop = add_months(when, months=-12 * years, month_end=month_end)
    _, stop = whole_months_back(start, year_stop, month_end=month_end)
    if stop == start:
        return Position(years, Fraction(extra_months, 12))
    return Position(years, Fraction((year_stop - start).days, 365))


def _periods(start: date, dates: Sequence[date]) -> list[tuple[date, date]]:
    points = [start, *(day for day in dates if day > start)]
    return list(pairwise(points))


def _labels(begin: date, end: date) -> set[UnitPeriod]:
    # A period can match several standard intervals (28 days in February is 4 weeks and a
    # month); each match counts, and the most frequent interval wins.
    days = (end - begin).days
    labels: set[UnitPeriod] = set()
    if days == 1:
        labels.add(day())
    if days % 7 == 0 and 1 <= days // 7 <= 52:
        labels.add(weeks(days // 7))
    # Semimonthly dates (1st and 16th, 15th and last) sit 13 to 17 days apart.
    if 13 <= days <= 17:
        labels.add(semimonth())
    index = (end.year - begin.year) * 12 + end.month - begin.month
    if 1 <= index <= 12 and is_whole_months_apart(begin, end, months=index):
        labels.add(months(index))
    return labels


def _nearest_standard(periods: list[tuple[date, date]]) -> UnitPeriod:
    average = Fraction(sum((end - begin).days for begin, end in periods), len(periods))
    return min(_STANDARD, key=lambda unit: (abs(unit.approx_days - average), unit.approx_days))
