"""A product's interest rate and its basis, and the interest it accrues over a period.

Two bases exist because products express rates two ways. US and most lenders quote an
annual nominal rate, accrued as balance x rate x year fraction under a day count. GB
credit unions quote a rate per month on the reducing balance, because the Credit Unions
Act 1979 s.11 caps interest per month; their interest is accrued in months, not days:

* a whole calendar month accrues exactly the monthly rate r;
* a part month of d days accrues (1 + r) ** (d / (365/12)) - 1, the compound equivalent,
  which is never more than the simple share r * d / (365/12);
* a period of W whole months and d more days accrues r * W plus the part-month figure.

So no period ever accrues more than r per month under either reading of "per month"
(simple, or compound), which is what lets a product priced exactly at a cap stay inside it.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Final

from ledger.errors import Refused
from ledger.money import Money
from loans.calendar import DAYS_PER_EQUAL_MONTH
from loans.daycount import DayCount, year_fraction_ratio

_PRECISION: Final = 50
# No lawful consumer product comes near this; it guards against a percentage typed as a
# fraction (26.8 meaning 2680%).
MAX_RATE: Final = Decimal(100)


class RateError(Refused, ValueError):
    """A rate that is not a finite, non-negative Decimal within bounds."""


class RateBasis(StrEnum):
    ANNUAL_NOMINAL = "annual_nominal"
    MONTHLY = "monthly"


@dataclass(frozen=True, slots=True)
class InterestRate:
    """A rate as a fraction (Decimal("0.03") is 3%) and the period it is expressed per."""

    value: Decimal
    basis: RateBasis

    def __post_init__(self) -> None:
        if not isinstance(self.value, Decimal) or not self.value.is_finite():
            raise RateError(f"a rate is a finite Decimal, not {self.value!r}")
        if not Decimal(0) <= self.value <= MAX_RATE:
            raise RateError(f"a rate must be between 0 and {MAX_RATE}, not {self.value}")
        if not isinstance(self.basis, RateBasis):
            raise RateError(f"unknown rate basis {self.basis!r}")

    @classmethod
    def annual(cls, value: Decimal) -> InterestRate:
        return cls(value, RateBasis.ANNUAL_NOMINAL)

    @classmethod
    def monthly(cls, value: Decimal) -> InterestRate:
        return cls(value, RateBasis.MONTHLY)


@dataclass(frozen=True, slots=True)
class PeriodLength:
    """A period as whole calendar months plus days, and as days for day-count accrual."""

    start: date
    end: date
    whole_months: int
    extra_days: int

    @property
    def months(self) -> Fraction:
        """The period in months: whole months plus extra days at 365/12 days a month."""
        return self.whole_months + self.extra_days / DAYS_PER_EQUAL_MONTH


def growth_factor(rate: InterestRate, *, period: PeriodLength, day_count: DayCount) -> Decimal:
    """The interest per unit of balance for `period` (0.03 for a whole month at 3%)."""
    with decimal.localcontext(prec=_PRECISION):
        if rate.basis is RateBasis.ANNUAL_NOMINAL:
            ratio = year_fraction_ratio(period.start, period.end, convention=day_count)
            return rate.value * ratio.numerator / ratio.denominator
        whole = rate.value * period.whole_months
        if period.extra_days == 0:
            return whole
        exponent = Decimal(period.extra_days * 12) / Decimal(365)
        return whole + ((1 + rate.value) ** exponent - 1)


def accrue(
    balance: Money, *, rate: InterestRate, period: PeriodLength, day_count: DayCount, rounding: str
) -> Money:
    """Interest on `balance` over `period`, rounded once to the minor unit with `rounding`."""
    with decimal.localcontext(prec=_PRECISION):
        if rate.basis is RateBasis.ANNUAL_NOMINAL:
            ratio = year_fraction_ratio(period.start, period.end, convention=day_count)
            # Multiply before the single division so a figure that lands exactly on half a
            # minor unit is seen exactly and the named rounding mode decides it.
            exact = balance.amount * rate.value * ratio.numerator / ratio.denominator
        else:
            exact = balance.amount * growth_factor(rate, period=period, day_count=day_count)
    return Money(exact, balance.currency, rounding=rounding)
