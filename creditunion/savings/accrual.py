"""Savings interest, as pure arithmetic: what one share account earns on one business date.

The contract (docs/calculations.md):
- the day's interest is balance x annual rate x the day-count fraction of that one day
  (`loans.daycount.year_fraction_ratio(D - 1 day, D)`), computed exactly as a fraction;
- it is kept in accrual units of 10^-10 of a minor unit, rounded half-up once per day, so a
  year's rounding is under 4 x 10^-8 of a penny: "full precision" for every practical purpose;
- at the product's period end the whole minor units accrued are posted, rounded down, and
  the fraction of a minor unit is carried into the next period.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Final

from creditunion.errors import Refused
from loans.daycount import DayCount, year_fraction_ratio

UNITS_PER_MINOR: Final = 10**10
RATE_SCALE: Final = 10**8  # share product rates are NUMERIC(10, 8)


class RateTooPrecise(Refused, ValueError):
    pass


def rate_units(annual_rate: Decimal) -> int:
    """The rate as an integer count of 10^-8 (exact: the column holds 8 decimal places)."""
    scaled = annual_rate * RATE_SCALE
    if scaled != scaled.to_integral_value():
        raise RateTooPrecise(f"{annual_rate} has more than 8 decimal places")
    return int(scaled)


def daily_factor(*, annual_rate: Decimal, day_count: DayCount, on: dt.date) -> Fraction:
    """Accrual units earned per minor unit of balance on business date `on`."""
    day = year_fraction_ratio(on - dt.timedelta(days=1), on, convention=day_count)
    return Fraction(rate_units(annual_rate), RATE_SCALE) * day * UNITS_PER_MINOR


def daily_accrual_units(balance_minor: int, factor: Fraction) -> int:
    """The day's interest in accrual units, half-up; nothing on a balance of zero or less."""
    if balance_minor <= 0:
        return 0
    exact = balance_minor * factor
    return (2 * exact.numerator + exact.denominator) // (2 * exact.denominator)


def split_whole_minor(accrued_units: int) -> tuple[int, int]:
    """(whole minor units to post, units carried), rounding down: never pay more than earned."""
    assert accrued_units >= 0, "savings accruals are never negative"
    return divmod(accrued_units, UNITS_PER_MINOR)


def is_period_end(frequency: str, on: dt.date) -> bool:
    """Monthly: the month's last day; quarterly: the last day of Mar, Jun, Sep, Dec;
    annually: 31 December."""
    last_of_month = (on + dt.timedelta(days=1)).day == 1
    if frequency == "monthly":
        return last_of_month
    if frequency == "quarterly":
        return last_of_month and on.month in (3, 6, 9, 12)
    if frequency == "annually":
        return on.month == 12 and on.day == 31
    raise ValueError(f"unknown posting frequency {frequency!r}")


def dividend_minor(*, balance_days_minor: int, annual_rate: Decimal) -> int:
    """A dividend on a period's daily balances: sum of end-of-day balances x rate / 365,
    rounded down (that is the average daily balance x rate x days / 365)."""
    if balance_days_minor <= 0:
        return 0
    return balance_days_minor * rate_units(annual_rate) // (365 * RATE_SCALE)
