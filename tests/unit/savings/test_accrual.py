"""Golden figures for the savings calculation contract (docs/calculations.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditunion.savings.accrual import (
    UNITS_PER_MINOR,
    RateTooPrecise,
    daily_accrual_units,
    daily_factor,
    dividend_minor,
    is_period_end,
    split_whole_minor,
)
from loans.daycount import DayCount

JAN = [dt.date(2026, 1, day) for day in range(1, 32)]


def test_one_day_of_2_percent_on_1000_pounds() -> None:
    factor = daily_factor(annual_rate=Decimal("0.02"), day_count=DayCount.ACT_365_FIXED, on=JAN[0])

    # 100000p x 0.02 / 365 = 5.47945205479452... pence, kept to 10^-10 of a penny, half-up.
    assert daily_accrual_units(100_000, factor) == 54_794_520_548


def test_a_month_accrues_within_one_penny_of_the_exact_interest() -> None:
    factor = daily_factor(annual_rate=Decimal("0.02"), day_count=DayCount.ACT_365_FIXED, on=JAN[0])
    accrued = sum(daily_accrual_units(100_000, factor) for _ in JAN)

    posted, carried = split_whole_minor(accrued)

    exact = Fraction(100_000) * Fraction(2, 100) * 31 / 365  # 169.8630... pence
    assert posted == 169
    assert abs(Fraction(accrued, UNITS_PER_MINOR) - exact) < Fraction(1, 10**8)
    assert carried == accrued - 169 * UNITS_PER_MINOR


def test_day_counts_differ_as_they_should() -> None:
    leap_day = dt.date(2028, 2, 29)
    rate = Decimal("0.0365")

    act365 = daily_factor(annual_rate=rate, day_count=DayCount.ACT_365_FIXED, on=leap_day)
    act360 = daily_factor(annual_rate=rate, day_count=DayCount.ACT_360, on=leap_day)
    actact = daily_factor(annual_rate=rate, day_count=DayCount.ACT_ACT_ISDA, on=leap_day)
    thirty = daily_factor(annual_rate=rate, day_count=DayCount.THIRTY_360, on=dt.date(2026, 3, 31))

    assert act365 == Fraction(365, 10**4 * 365) * UNITS_PER_MINOR  # 0.0365/365 per day
    assert act360 == Fraction(365, 10**4 * 360) * UNITS_PER_MINOR
    assert actact == Fraction(365, 10**4 * 366) * UNITS_PER_MINOR
    assert thirty == 0  # the 31st earns nothing under 30/360


def test_nothing_accrues_on_an_empty_or_overdrawn_balance() -> None:
    factor = daily_factor(annual_rate=Decimal("0.05"), day_count=DayCount.ACT_365_FIXED, on=JAN[0])

    assert daily_accrual_units(0, factor) == 0
    assert daily_accrual_units(-500, factor) == 0


def test_rates_with_more_than_eight_places_are_refused() -> None:
    with pytest.raises(RateTooPrecise):
        daily_factor(annual_rate=Decimal("0.000000001"), day_count=DayCount.ACT_360, on=JAN[0])


@pytest.mark.parametrize(
    ("frequency", "date", "expected"),
    [
        ("monthly", dt.date(2026, 1, 31), True),
        ("monthly", dt.date(2026, 1, 30), False),
        ("monthly", dt.date(2028, 2, 29), True),
        ("monthly", dt.date(2028, 2, 28), False),
        ("quarterly", dt.date(2026, 3, 31), True),
        ("quarterly", dt.date(2026, 4, 30), False),
        ("annually", dt.date(2026, 12, 31), True),
        ("annually", dt.date(2026, 6, 30), False),
    ],
)
def test_period_ends(frequency: str, date: dt.date, expected: bool) -> None:
    assert is_period_end(frequency, date) is expected


def test_a_dividend_is_the_average_daily_balance_at_the_rate_for_the_days() -> None:
    # £500 held all year (365 days) at 3%: 1500p exactly.
    assert dividend_minor(balance_days_minor=50_000 * 365, annual_rate=Decimal("0.03")) == 1500
    # £500 held for half the year: 750.0p... rounded down, never up.
    assert dividend_minor(balance_days_minor=50_000 * 182, annual_rate=Decimal("0.03")) == 747
    assert dividend_minor(balance_days_minor=0, annual_rate=Decimal("0.03")) == 0


@given(
    balance=st.integers(min_value=1, max_value=10**11),
    rate=st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("0.5"), places=8),
    days=st.integers(min_value=1, max_value=366),
)
def test_accrual_never_drifts_a_penny_from_the_exact_interest(
    balance: int, rate: Decimal, days: int
) -> None:
    factor = daily_factor(annual_rate=rate, day_count=DayCount.ACT_365_FIXED, on=JAN[0])

    accrued = daily_accrual_units(balance, factor) * days
    posted, _ = split_whole_minor(accrued)

    exact = Fraction(balance) * Fraction(rate) * days / 365
    assert posted <= exact < posted + 1 + Fraction(days, 10**10)
