"""Unit periods and time positions for the US APR, as Regulation Z Appendix J defines them.

12 CFR 1026 Appendix J(b):
(3)(iv) "All months shall be considered equal. Full months shall be measured from any point
    in time on a given date of a given month to the same point in time on the same date of
    another month. If a series of payments (or advances) is scheduled for the last day of
    each month, months shall be measured from the last day of the given month to the last
    day of another month. If payments (or advances) are scheduled for the 29th or 30th of
    each month, the last day of February shall be used when applicable."
(4) the unit period is the common period (one occurring more than once, up to a year)
    that occurs most often, the smaller on a tie; with no common period, the average
    period rounded to the nearest standard interval (day, week, semimonth, month, or a
    multiple of a week or month up to a year), the lower on a tie. A single advance
    repaid by a single payment has the term as its unit period (one year at most).
(5) full unit periods are counted back from each payment date; the odd days fall in the
    first period as a fraction: days / 30 for a month, 30 days per month for semimonths
    (/15) and multi-month units (/30n), days / 7n for n-week units, and for a year the
    remaining months / 12, or remaining days / 365 if not whole months. In a single
    advance, single payment transaction of a year or less the term is one unit period.

Each dated flow is scheduled for a day of the month (its "nominal day"): a series on the
last day of each month is on day 31 (so 28 Feb counts back to 31 Jan), a 28 February
between payments on the 29th or 30th stands for the 29th or 30th, and any other date for
its own day. Counting k months back from a flow lands on its nominal day k months earlier,
or that month's last day when the month is shorter. A stretch that is one month counted
forward from the start of the term (31 Jan -> 28 Feb: no 31 February, so its last day) is
a full month too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction
from itertools import pairwise
from typing import Final

from loans.calendar import (
    CalendarError,
    add_months,
    is_month_end,
    is_whole_months_apart,
    month_length,
)

LAST_DAY: Final = 31  # the nominal day of a series on the last day of each month
DAYS_PER_APPENDIX_J_MONTH: Final = 30  # J(b)(5)(ii)-(iii): odd days over 30, months as 30 days
_NEIGHBOUR_MONTHS: Final = 12  # how far a month-end date looks for the series it belongs to


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

    @property
    def counts_months(self) -> bool:
        """Whether positions in this unit are measured by counting calendar months."""
        return self.kind in (UnitKind.SEMIMONTH, UnitKind.MONTH)


@dataclass(frozen=True, slots=True)
class Position:
    """Full unit periods and the fraction of one before them, from the start of the term."""

    whole: int
    fraction: Fraction


ORIGIN: Final = Position(0, Fraction(0))


@dataclass(frozen=True, slots=True)
class Timeline:
    """The unit period of a transaction and where each advance and payment date falls."""

    unit: UnitPeriod
    advances: Mapping[date, Position]
    payments: Mapping[date, Position]


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


def timeline(
    start: date, *, advance_dates: Sequence[date], payment_dates: Sequence[date]
) -> Timeline:
    """Unit period (J(b)(4)) and positions (J(b)(5)) of every advance and payment date.

    `start` is the beginning of the term (the first advance); no date may be before it.
    """
    early = [day for day in (*advance_dates, *payment_dates) if day < start]
    if early:
        raise CalendarError(f"{min(early)} is before the start of the term {start}")
    advanced_on = sorted({day for day in advance_dates if day > start})
    paid_on = sorted({day for day in payment_dates if day > start})
    if not advanced_on and len(paid_on) == 1:
        return _single_advance_single_payment(start, paid_on[0])
    unit = unit_period(start, advance_dates=advance_dates, payment_dates=payment_dates)
    return Timeline(
        unit=unit,
        advances=_placed(start, advanced_on, unit=unit),
        payments=_placed(start, paid_on, unit=unit),
    )


def unit_period(
    start: date, *, advance_dates: Sequence[date], payment_dates: Sequence[date]
) -> UnitPeriod:
    """The unit period of a transaction whose term starts on `start`, per Appendix J(b)(4)."""
    paid_on = sorted({day for day in payment_dates if day > start})
    # Several advances on one date are one advance.
    if len({*advance_dates, start}) == 1 and len(paid_on) == 1:
        return _single_payment_unit(start, paid_on[0])
    # J(b)(3)(i): periods run between payments, between advances, and from the start of the
    # term to the first payment and to the first later advance.
    periods = _periods(start, paid_on) + _periods(start, sorted(set(advance_dates)))
    counts: Counter[UnitPeriod] = Counter()
    for begin, end in periods:
        counts.update(_labels(begin, end))
    common = [unit for unit, seen in counts.items() if seen > 1]
    if common:
        most = max(counts[unit] for unit in common)
        return min(unit for unit in common if counts[unit] == most)
    regular = _regular_payment_interval(paid_on)
    if regular is not None:
        return regular
    return _nearest_standard(periods)


def position(
    start: date, when: date, *, unit: UnitPeriod, nominal_day: int | None = None
) -> Position:
    """Where `when` falls after `start`, in unit periods, per Appendix J(b)(5).

    `nominal_day` is the day of the month `when` is scheduled for (see the module notes);
    it defaults to `when`'s own day.
    """
    if when < start:
        raise CalendarError(f"{when} is before the start of the term {start}")
    if when == start:
        return ORIGIN
    elapsed = (when - start).days
    if unit.kind is UnitKind.TERM:
        return Position(1, Fraction(0))
    if unit.kind is UnitKind.DAY:
        return Position(elapsed, Fraction(0))
    if unit.kind is UnitKind.WEEK:
        whole, odd = divmod(elapsed, 7 * unit.count)
        return Position(whole, Fraction(odd, 7 * unit.count))
    nominal = when.day if nominal_day is None else nominal_day
    counted, stop = months_back(start, when, nominal_day=nominal)
    if unit.kind is UnitKind.MONTH and unit.count == 12:
        return _year_position(start, when, counted, stop, nominal_day=nominal)
    odd_days = (stop - start).days
    if unit.kind is UnitKind.MONTH and unit.count == 1:
        return Position(counted, Fraction(odd_days, DAYS_PER_APPENDIX_J_MONTH))
    # J(b)(5)(iii): 30 days a month, then whole units of 15 or 30n days and the remainder.
    divisor = 15 if unit.kind is UnitKind.SEMIMONTH else DAYS_PER_APPENDIX_J_MONTH * unit.count
    whole, odd = divmod(DAYS_PER_APPENDIX_J_MONTH * counted + odd_days, divisor)
    return Position(whole, Fraction(odd, divisor))


def months_back(start: date, when: date, *, nominal_day: int) -> tuple[int, date]:
    """Full months counted back from `when` without passing `start`, and where they stop.

    Each count is taken from `when` in one step, on `nominal_day` or the month's last day.
    When the stretch left before the stop is one month counted forward from `start` (31 Jan
    -> 28 Feb), it is a full month too and the count stops at `start`.
    """
    if when < start:
        raise CalendarError(f"{when} is before {start}")
    if not (nominal_day == when.day or (is_month_end(when) and when.day < nominal_day <= LAST_DAY)):
        # Only a month-end date can stand for a later day (28 Feb for the 30th).
        raise CalendarError(f"{when} cannot be scheduled for day {nominal_day} of the month")
    counted = _month_index(when) - _month_index(start)
    stop = _on_day(when, months=-counted, nominal_day=nominal_day)
    # At most one step too far: the count reaching `start`'s month can land before it.
    if stop < start:
        counted -= 1
        stop = _on_day(when, months=-counted, nominal_day=nominal_day)
    if stop != start and add_months(start, months=1) == stop:
        return counted + 1, start
    return counted, stop


def nominal_days(dates: Sequence[date]) -> dict[date, int]:
    """The day of the month each date of a series is scheduled for (J(b)(3)(iv)).

    A series on the last day of each month is on day 31. Otherwise a month-end date takes
    the later day of the nearest date of the series a whole number of months before or
    after it, if there is one (28 Feb between 30 Jan and 30 Mar is "the 30th"); every other
    date keeps its own day.
    """
    series = sorted(set(dates))
    if len(series) > 1 and all(is_month_end(day) for day in series):
        return dict.fromkeys(series, LAST_DAY)
    nominal: dict[date, int] = {}
    for index, day in enumerate(series):
        found = day.day
        if is_month_end(day):
            earlier = _whole_months_neighbour(day, reversed(series[:index]))
            later = _whole_months_neighbour(day, iter(series[index + 1 :]))
            found = max([found, *(other.day for other in (earlier, later) if other is not None)])
        nominal[day] = found
    return nominal


def _single_advance_single_payment(start: date, paid_on: date) -> Timeline:
    unit = _single_payment_unit(start, paid_on)
    if unit == months(12) and not is_whole_months_apart(start, paid_on, months=12):
        # Over a year: the unit is a year, with whole years and a fraction (J(b)(5)(v)).
        at = position(start, paid_on, unit=unit)
    else:
        # J(b)(5)(vi)-(vii): a term of a year or less is one unit period, whatever the
        # month lengths (31 Jan -> 28 Feb is one month, not 28/30 of one).
        at = Position(1, Fraction(0))
    return Timeline(unit=unit, advances={start: ORIGIN}, payments={start: ORIGIN, paid_on: at})


def _single_payment_unit(start: date, paid_on: date) -> UnitPeriod:
    index = _month_index(paid_on) - _month_index(start)
    if 1 <= index <= 12 and is_whole_months_apart(start, paid_on, months=index):
        return months(index)
    days = (paid_on - start).days
    return term(days) if days < 365 else months(12)


def _placed(start: date, dates: Sequence[date], *, unit: UnitPeriod) -> dict[date, Position]:
    placed = {start: ORIGIN}
    nominal = nominal_days(dates) if unit.counts_months else {}
    for when in dates:
        placed[when] = position(start, when, unit=unit, nominal_day=nominal.get(when))
    return placed


def _year_position(
    start: date, when: date, counted: int, stop: date, *, nominal_day: int
) -> Position:
    years, extra_months = divmod(counted, 12)
    if stop == start:
        return Position(years, Fraction(extra_months, 12))
    year_stop = _on_day(when, months=-12 * years, nominal_day=nominal_day)
    return Position(years, Fraction((year_stop - start).days, 365))


def _whole_months_neighbour(day: date, others: Iterable[date]) -> date | None:
    # The nearest other date within a year that is a whole number of months from `day`;
    # `others` runs away from `day`.
    for other in others:
        apart = abs(_month_index(other) - _month_index(day))
        if apart > _NEIGHBOUR_MONTHS:
            return None
        first, last = sorted((day, other))
        if apart and is_whole_months_apart(first, last, months=apart):
            return other
    return None


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
    if _is_semimonth(begin, end):
        labels.add(semimonth())
    index = _month_index(end) - _month_index(begin)
    if 1 <= index <= 12 and is_whole_months_apart(begin, end, months=index):
        labels.add(months(index))
    return labels


def _is_semimonth(begin: date, end: date) -> bool:
    # Half of one of Appendix J's equal months: 15 days with every month 30 days long and
    # its last day the 30th (1st -> 16th -> 1st, 15th -> last day -> 15th), not any gap of
    # about two weeks (a 14 or 16-day period is not a semimonth).
    def day_of_30_day_month(day: date) -> int:
        return DAYS_PER_APPENDIX_J_MONTH if is_month_end(day) else day.day

    months_apart = _month_index(end) - _month_index(begin)
    return (
        DAYS_PER_APPENDIX_J_MONTH * months_apart
        + day_of_30_day_month(end)
        - day_of_30_day_month(begin)
        == 15
    )


def _regular_payment_interval(paid_on: Sequence[date]) -> UnitPeriod | None:
    # Two payments a standard interval apart, after an odd first period: no period occurs
    # twice, but the payments are regular, so their interval is the unit period and the
    # first period is an odd first period of fractions (J(b)(5)); averaging it in would
    # make 36 days and a month a 5-week unit.
    intervals = list(pairwise(paid_on))
    if len(intervals) != 1:
        return None
    labels = _labels(*intervals[0])
    return min(labels) if labels else None


def _nearest_standard(periods: list[tuple[date, date]]) -> UnitPeriod:
    average = Fraction(sum((end - begin).days for begin, end in periods), len(periods))
    return min(_STANDARD, key=lambda unit: (abs(unit.approx_days - average), unit.approx_days))


def _on_day(anchor: date, *, months: int, nominal_day: int) -> date:
    index = _month_index(anchor) + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(nominal_day, month_length(year, month + 1)))


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1
