"""Level-instalment repayment schedules on the reducing balance.

Interest for each period is the opening balance times the period's growth factor (see
`loans.rate`), rounded to the minor unit with a named mode. The level instalment is the
one that amortises the exact, unrounded schedule; it is then rounded to the minor unit,
and the last instalment absorbs every rounding difference so the principal is repaid
exactly to the minor unit.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from itertools import pairwise
from typing import Final

from ledger.errors import Refused
from ledger.money import Money
from loans.calendar import add_months, whole_months_forward
from loans.daycount import DayCount
from loans.frequency import Frequency, due_dates, due_dates_after
from loans.rate import InterestRate, PeriodLength, accrue, growth_factor

_PRECISION: Final = 60


class ScheduleError(Refused, ValueError):
    """Inputs from which no schedule can be built."""


@dataclass(frozen=True, slots=True)
class ScheduleRow:
    number: int
    due_date: date
    opening_balance: Money
    interest: Money
    principal: Money
    instalment: Money
    closing_balance: Money
    period: PeriodLength


@dataclass(frozen=True, slots=True)
class Schedule:
    principal: Money
    rate: InterestRate
    frequency: Frequency
    disbursement_date: date
    day_count: DayCount
    interest_rounding: str
    rows: tuple[ScheduleRow, ...]

    @property
    def instalment(self) -> Money:
        """The regular (level) instalment; the last one may differ by rounding."""
        return self.rows[0].instalment

    @property
    def final_instalment(self) -> Money:
        return self.rows[-1].instalment

    @property
    def first_due_date(self) -> date:
        return self.rows[0].due_date

    @property
    def final_due_date(self) -> date:
        return self.rows[-1].due_date

    @property
    def duration_months(self) -> Decimal:
        """Disbursement to the final due date, in months (whole months + days at 365/12)."""
        months = sum((row.period.months for row in self.rows), start=Fraction(0))
        with decimal.localcontext(prec=_PRECISION):
            return Decimal(months.numerator) / Decimal(months.denominator)


def build_schedule(
    *,
    principal: Money,
    rate: InterestRate,
    instalments: int,
    frequency: Frequency,
    disbursement_date: date,
    first_due_date: date | None = None,
    day_count: DayCount = DayCount.ACT_365_FIXED,
    interest_rounding: str = ROUND_HALF_EVEN,
    instalment_rounding: str = ROUND_HALF_EVEN,
) -> Schedule:
    """A level-instalment schedule; the first due date defaults to one period after disbursement."""
    _check_inputs(principal, rate, disbursement_date)
    if first_due_date is None:
        # Anchored on disbursement, so 31 Jan runs 28 Feb, 31 Mar, 30 Apr.
        dates = due_dates_after(disbursement_date, count=instalments, frequency=frequency)
    elif first_due_date <= disbursement_date:
        raise ScheduleError(
            f"first due date {first_due_date} must be after disbursement {disbursement_date}"
        )
    else:
        dates = due_dates(first_due_date, count=instalments, frequency=frequency)
    periods = _periods(disbursement_date, dates, frequency)
    factors = [growth_factor(rate, period=period, day_count=day_count) for period in periods]
    level = _level_instalment(principal, factors, instalment_rounding)
    rows = _rows(principal, level, rate, periods, day_count, interest_rounding)
    return Schedule(
        principal=principal,
        rate=rate,
        frequency=frequency,
        disbursement_date=disbursement_date,
        day_count=day_count,
        interest_rounding=interest_rounding,
        rows=rows,
    )


def total_interest(schedule: Schedule) -> Money:
    return _sum(row.interest for row in schedule.rows)


def total_payable(schedule: Schedule) -> Money:
    """Every instalment added up: principal plus interest, no fees."""
    return _sum(row.instalment for row in schedule.rows)


def settlement_figure(schedule: Schedule, *, on: date) -> Money:
    """What clears the loan on `on`, if every instalment due before `on` was paid.

    The principal outstanding plus interest accrued from the last due date to `on` only,
    never more than the full period's scheduled interest; no early-repayment charge.
    """
    if on < schedule.disbursement_date:
        raise ScheduleError(f"{on} is before disbursement on {schedule.disbursement_date}")
    balance = schedule.principal
    period_start = schedule.disbursement_date
    for row in schedule.rows:
        if row.due_date < on:
            balance, period_start = row.closing_balance, row.due_date
            continue
        if row.due_date == on:
            return row.opening_balance + row.interest
        part = accrue(
            balance,
            rate=schedule.rate,
            period=_period_between(period_start, on),
            day_count=schedule.day_count,
            rounding=schedule.interest_rounding,
        )
        return balance + min(part, row.interest)
    return Money.zero(schedule.principal.currency)


def _check_inputs(principal: Money, rate: InterestRate, disbursement_date: date) -> None:
    if not isinstance(principal, Money):
        raise TypeError(f"principal must be Money, not {type(principal).__name__}")
    if not principal.is_positive():
        raise ScheduleError(f"principal must be positive, not {principal}")
    if not isinstance(rate, InterestRate):
        raise TypeError(f"rate must be an InterestRate, not {type(rate).__name__}")
    if not isinstance(disbursement_date, date):
        raise TypeError("disbursement_date must be a date")


def _period_between(start: date, end: date) -> PeriodLength:
    whole = whole_months_forward(start, end)
    return PeriodLength(start, end, whole, (end - add_months(start, months=whole)).days)


def _periods(
    disbursement: date, dates: tuple[date, ...], frequency: Frequency
) -> list[PeriodLength]:
    # The first period is measured from disbursement; later ones are exactly one period of
    # the frequency by construction, so a clamped 28 Feb -> 31 Mar is still one month.
    periods = [_period_between(disbursement, dates[0])]
    for previous, current in pairwise(dates):
        if frequency is Frequency.MONTHLY:
            periods.append(PeriodLength(previous, current, 1, 0))
        else:
            periods.append(PeriodLength(previous, current, 0, (current - previous).days))
    return periods


def _level_instalment(principal: Money, factors: list[Decimal], rounding: str) -> Money:
    # A = P * prod(1 + f) / sum_k prod_{j > k}(1 + f_j): the payment that leaves the exact,
    # unrounded balance at zero after the last period.
    with decimal.localcontext(prec=_PRECISION):
        annuity = Decimal(0)
        growth = Decimal(1)
        for factor in reversed(factors):
            annuity += growth
            growth *= 1 + factor
        exact = principal.amount * growth / annuity
    return Money(exact, principal.currency, rounding=rounding)


def _rows(
    principal: Money,
    level: Money,
    rate: InterestRate,
    periods: list[PeriodLength],
    day_count: DayCount,
    interest_rounding: str,
) -> tuple[ScheduleRow, ...]:
    rows: list[ScheduleRow] = []
    opening = principal
    zero = Money.zero(principal.currency)
    last = len(periods)
    for number, period in enumerate(periods, start=1):
        interest = accrue(
            opening, rate=rate, period=period, day_count=day_count, rounding=interest_rounding
        )
        # A tiny loan can round the instalment below the interest; never let the balance
        # grow, or go negative, because of a rounding. The last instalment clears it.
        repaid = opening if number == last else min(max(level - interest, zero), opening)
        rows.append(
            ScheduleRow(
                number=number,
                due_date=period.end,
                opening_balance=opening,
                interest=interest,
                principal=repaid,
                instalment=interest + repaid,
                closing_balance=opening - repaid,
                period=period,
            )
        )
        opening = opening - repaid
    return tuple(rows)


def _sum(amounts: Iterable[Money]) -> Money:
    total: Money | None = None
    for amount in amounts:
        total = amount if total is None else total + amount
    assert total is not None, "a schedule always has at least one row"
    return total
