"""Time measurement: day counts, calendar steps, CONC App 1.2 intervals, Appendix J unit periods.

CONC cases follow the European Commission guidelines on Directive 2008/48/EC, SWD(2012)
128, Annex 1 section 4.1.1, as reproduced in the curo library's test-suite (the guidelines
themselves were not read). 30/360 cases are from ISDA's 30/360 workbook (2006 ISDA
Definitions 4.16(f)).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from loans.calendar import CalendarError, add_months, is_whole_months_apart, months_elapsed
from loans.conc import UkTimeUnit, choose_unit, conc_years
from loans.daycount import DayCount, DayCountError, year_fraction, year_fraction_ratio
from loans.frequency import Frequency, FrequencyError, due_dates, due_dates_after
from loans.regz import UnitKind, months, position, semimonth, unit_period, weeks


@pytest.mark.parametrize(
    ("start", "end", "convention", "expected"),
    [
        (date(2025, 1, 1), date(2025, 2, 1), DayCount.ACT_365_FIXED, Fraction(31, 365)),
        (date(2024, 1, 1), date(2025, 1, 1), DayCount.ACT_365_FIXED, Fraction(366, 365)),
        (date(2025, 1, 1), date(2025, 2, 1), DayCount.ACT_360, Fraction(31, 360)),
        # Days in a leap year over 366, the rest over 365.
        (
            date(2023, 12, 1),
            date(2024, 3, 1),
            DayCount.ACT_ACT_ISDA,
            Fraction(31, 365) + Fraction(60, 366),
        ),
        (date(2024, 1, 1), date(2025, 1, 1), DayCount.ACT_ACT_ISDA, Fraction(1)),
        # ISDA 30/360 workbook, Bond Basis sheet: 183 and 178 days.
        (date(2007, 2, 28), date(2007, 8, 31), DayCount.THIRTY_360, Fraction(183, 360)),
        (date(2006, 8, 31), date(2007, 2, 28), DayCount.THIRTY_360, Fraction(178, 360)),
        (date(2025, 1, 31), date(2025, 3, 31), DayCount.THIRTY_360, Fraction(60, 360)),
    ],
)
def test_year_fraction_ratio(
    start: date, end: date, convention: DayCount, expected: Fraction
) -> None:
    assert year_fraction_ratio(start, end, convention=convention) == expected


def test_year_fraction_is_a_decimal_of_fifty_digits() -> None:
    assert year_fraction(date(2025, 1, 1), date(2025, 3, 15)) == Decimal("0.2")
    assert str(year_fraction(date(2025, 1, 1), date(2025, 1, 2))).startswith(
        "0.0027397260273972602"
    )


def test_year_fraction_refuses_a_backward_period() -> None:
    with pytest.raises(DayCountError):
        year_fraction(date(2025, 2, 1), date(2025, 1, 1))


def test_monthly_due_dates_clamp_from_the_anchor() -> None:
    assert due_dates(date(2024, 1, 31), count=4, frequency=Frequency.MONTHLY) == (
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
    )
    assert due_dates_after(date(2025, 1, 31), count=3, frequency=Frequency.MONTHLY) == (
        date(2025, 2, 28),
        date(2025, 3, 31),
        date(2025, 4, 30),
    )


@pytest.mark.parametrize(
    ("frequency", "third"),
    [
        (Frequency.WEEKLY, date(2025, 1, 15)),
        (Frequency.FORTNIGHTLY, date(2025, 1, 29)),
        (Frequency.FOUR_WEEKLY, date(2025, 2, 26)),
    ],
)
def test_week_based_due_dates(frequency: Frequency, third: date) -> None:
    assert due_dates(date(2025, 1, 1), count=3, frequency=frequency)[2] == third


def test_due_dates_refuse_zero_or_too_many() -> None:
    with pytest.raises(FrequencyError):
        due_dates(date(2025, 1, 1), count=0, frequency=Frequency.MONTHLY)
    with pytest.raises(FrequencyError):
        due_dates(date(2025, 1, 1), count=1201, frequency=Frequency.MONTHLY)


def test_calendar_helpers() -> None:
    assert add_months(date(2024, 3, 31), months=-1) == date(2024, 2, 29)
    assert add_months(date(2025, 2, 28), months=1, month_end=True) == date(2025, 3, 31)
    assert is_whole_months_apart(date(2025, 1, 30), date(2025, 2, 28), months=1)
    assert is_whole_months_apart(date(2025, 2, 28), date(2025, 3, 30), months=1)
    assert not is_whole_months_apart(date(2025, 1, 15), date(2025, 2, 16), months=1)
    assert months_elapsed(date(2025, 1, 15), date(2025, 3, 1)) == 1 + Fraction(14 * 12, 365)
    with pytest.raises(CalendarError):
        months_elapsed(date(2025, 2, 1), date(2025, 1, 1))


@pytest.mark.parametrize(
    ("start", "end", "unit", "expected"),
    [
        (date(2019, 1, 12), date(2020, 1, 12), UkTimeUnit.YEAR, Fraction(1)),
        (date(2012, 1, 12), date(2012, 2, 15), UkTimeUnit.YEAR, Fraction(34, 365)),
        (date(2019, 2, 28), date(2020, 2, 29), UkTimeUnit.YEAR, Fraction(1)),
        (date(2020, 2, 29), date(2021, 2, 28), UkTimeUnit.YEAR, Fraction(1)),
        (
            date(2012, 1, 12),
            date(2012, 2, 15),
            UkTimeUnit.MONTH,
            Fraction(1, 12) + Fraction(3, 365),
        ),
        (
            date(2012, 1, 12),
            date(2012, 4, 15),
            UkTimeUnit.MONTH,
            Fraction(3, 12) + Fraction(3, 365),
        ),
        (
            date(2013, 1, 12),
            date(2013, 2, 15),
            UkTimeUnit.MONTH,
            Fraction(1, 12) + Fraction(3, 366),
        ),
        (
            date(2013, 2, 25),
            date(2013, 3, 28),
            UkTimeUnit.MONTH,
            Fraction(1, 12) + Fraction(3, 366),
        ),
        (
            date(2013, 2, 26),
            date(2013, 3, 29),
            UkTimeUnit.MONTH,
            Fraction(1, 12) + Fraction(2, 366),
        ),
        (
            date(2012, 2, 26),
            date(2012, 3, 29),
            UkTimeUnit.MONTH,
            Fraction(1, 12) + Fraction(3, 366),
        ),
        (date(2024, 12, 31), date(2025, 2, 28), UkTimeUnit.MONTH, Fraction(2, 12)),
        (date(2024, 2, 29), date(2025, 3, 31), UkTimeUnit.MONTH, Fraction(13, 12)),
        (
            date(2024, 2, 28),
            date(2025, 2, 27),
            UkTimeUnit.MONTH,
            Fraction(11, 12) + Fraction(28, 366),
        ),
        (date(2023, 2, 28), date(2024, 2, 29), UkTimeUnit.MONTH, Fraction(1)),
        (date(2012, 1, 12), date(2012, 1, 26), UkTimeUnit.WEEK, Fraction(2, 52)),
        (date(2012, 1, 12), date(2013, 1, 10), UkTimeUnit.WEEK, Fraction(1)),
        (date(2012, 1, 12), date(2012, 1, 30), UkTimeUnit.WEEK, Fraction(2, 52) + Fraction(4, 365)),
        (date(2012, 1, 12), date(2013, 1, 12), UkTimeUnit.WEEK, Fraction(1) + Fraction(2, 365)),
        (date(2025, 1, 30), date(2025, 1, 30), UkTimeUnit.MONTH, Fraction(0)),
    ],
)
def test_conc_intervals(start: date, end: date, unit: UkTimeUnit, expected: Fraction) -> None:
    assert conc_years(start, end, unit=unit) == expected


def test_conc_unit_is_weeks_only_for_whole_weeks_that_are_not_whole_months() -> None:
    start = date(2025, 1, 6)
    assert choose_unit(start, dates=[date(2025, 1, 13), date(2025, 1, 20)]) is UkTimeUnit.WEEK
    assert choose_unit(start, dates=[date(2025, 2, 6), date(2025, 3, 6)]) is UkTimeUnit.MONTH
    assert choose_unit(start, dates=[date(2025, 1, 13), date(2025, 2, 6)]) is UkTimeUnit.MONTH


def test_appendix_j_unit_periods_follow_the_most_frequent_common_period() -> None:
    start = date(1978, 1, 10)
    monthly = [add_months(date(1978, 2, 10), months=k) for k in range(24)]
    assert unit_period(start, advance_dates=[start], payment_dates=monthly) == months(1)
    fortnightly = [date(1978, 1, 24), date(1978, 2, 7), date(1978, 2, 21), date(1978, 3, 7)]
    assert unit_period(start, advance_dates=[start], payment_dates=fortnightly) == weeks(2)
    semi = [date(1978, 2, 1), date(1978, 2, 16), date(1978, 3, 1), date(1978, 3, 16)]
    assert unit_period(start, advance_dates=[start], payment_dates=semi) == semimonth()


def test_appendix_j_with_no_common_period_takes_the_nearest_standard_interval() -> None:
    # Periods of 40 and 50 days average 45: nearest standard interval is 6 weeks (42),
    # nearer than a month and a half (no such interval) or 2 months (60.8).
    start = date(2025, 1, 1)
    assert unit_period(
        start, advance_dates=[start], payment_dates=[date(2025, 2, 10), date(2025, 4, 1)]
    ) == weeks(6)


def test_appendix_j_positions_count_back_from_the_payment() -> None:
    # (c)(1)(ii): advance 10 Feb 1978, payment 1 Apr 1978: t = 1, f = 19/30.
    got = position(date(1978, 2, 10), date(1978, 4, 1), unit=months(1))
    assert (got.whole, got.fraction) == (1, Fraction(19, 30))
    # (c)(1)(iv): quarterly, advance 23 May 1978, payment 1 Oct 1978: t = 1, f = 39/90.
    got = position(date(1978, 5, 23), date(1978, 10, 1), unit=months(3))
    assert (got.whole, got.fraction) == (1, Fraction(39, 90))
    got = position(date(1978, 3, 20), date(1978, 4, 21), unit=weeks(1))
    assert (got.whole, got.fraction) == (4, Fraction(4, 7))
    assert months(12).kind is UnitKind.MONTH
