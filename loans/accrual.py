"""Daily interest accrual on a loan: a pure function of principal, terms and date.

The contract (docs/calculations.md has the worked figures):

* A loan's accrual periods are its schedule's periods: period k runs from the (k-1)-th
  due date (the disbursement date for k = 1) to the k-th, where the k-th due date is k
  frequency steps from disbursement, anchored there (31 Jan -> 28 Feb -> 31 Mar). After
  the last instalment the periods carry on at the same frequency for as long as
  principal is owed.
* Within period k, the cumulative interest per unit of principal to a date D is C(D):
  annual-nominal rates accrue `rate x year fraction(start, D)` under the day count;
  monthly rates accrue the part month `(1 + r) ** (days x 12 / 365) - 1` and, at the
  period end, exactly the period's factor as `loans.rate.growth_factor` computes it for
  the schedule (r for a whole month). C never decreases and C(end) is the schedule's
  factor, so the days of a period add up to the schedule's interest exactly.
* Business date D accrues the day (D-1, D] on the principal owed at the close of D-1:
  `principal x (C(D) - C(D-1))`, kept exact in "units" (minor units x the terms'
  denominator: 365 for ACT/365F, 360 for ACT/360 and 30/360, 365 x 366 for ACT/ACT, 1
  for monthly rates, whose factors are 50-digit decimals).
* Whole minor units post as they are earned: after each day the period's total posted is
  the exact total truncated; on the period's last day (its due date) it is the exact total
  rounded with the product's interest rounding mode, the figure the schedule charged, and
  the period starts again from zero. A loan that closes mid-period (settlement or
  withdrawal) rounds its part period the same way.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
)
from fractions import Fraction
from itertools import pairwise
from typing import Final

from loans.calendar import add_months, whole_months_forward
from loans.daycount import DayCount, year_fraction_ratio
from loans.frequency import Frequency, step
from loans.rate import InterestRate, PeriodLength, RateBasis, growth_factor

# Wide enough that adding and multiplying 50-digit factors by any BIGINT principal is exact.
_EXACT: Final = decimal.Context(prec=400, rounding=ROUND_HALF_EVEN, traps=[decimal.Inexact])
# A loan left unaccrued longer than this is a fault to investigate, not to replay silently.
MAX_CATCH_UP_DAYS: Final = 3_660
_DENOMINATORS: Final = {
    DayCount.ACT_365_FIXED: 365,
    DayCount.ACT_360: 360,
    DayCount.THIRTY_360: 360,
    DayCount.THIRTY_360_US: 360,
    # A day in a leap year is 1/366 of a year, else 1/365: both whole in 365 x 366.
    DayCount.ACT_ACT_ISDA: 365 * 366,
}


class AccrualError(ValueError):
    """Inputs outside the accrual contract (a date outside its period, a gap too long)."""


@dataclass(frozen=True, slots=True)
class AccrualTerms:
    """What accrual needs from a loan's snapshot of its product."""

    rate: InterestRate
    day_count: DayCount
    frequency: Frequency
    disbursed_on: date
    interest_rounding: str

    @property
    def denominator(self) -> int:
        return denominator(self.rate, self.day_count)


@dataclass(frozen=True, slots=True)
class AccrualPeriod:
    """Period `number` of a loan, measured as the schedule measures it."""

    number: int
    start: date
    end: date
    whole_months: int
    extra_days: int

    @property
    def length(self) -> PeriodLength:
        return PeriodLength(self.start, self.end, self.whole_months, self.extra_days)


@dataclass(frozen=True, slots=True)
class AccrualState:
    period: AccrualPeriod
    accrued_through: date
    units: Decimal  # exact interest accrued in this period: minor units x denominator
    posted_minor: int  # whole minor units of this period already posted


@dataclass(frozen=True, slots=True)
class DayAccrual:
    day: date
    principal_minor: int
    factor: Decimal
    post_minor: int
    state: AccrualState  # after the day


def denominator(rate: InterestRate, day_count: DayCount) -> int:
    if rate.basis is RateBasis.MONTHLY:
        return 1
    return _DENOMINATORS[day_count]


def period(terms: AccrualTerms, number: int) -> AccrualPeriod:
    """Period `number` (1-based): the first as the schedule measures it, then whole steps."""
    if number < 1:
        raise AccrualError(f"periods are numbered from 1, not {number}")
    start = step(terms.disbursed_on, periods=number - 1, frequency=terms.frequency)
    end = step(terms.disbursed_on, periods=number, frequency=terms.frequency)
    if number == 1:
        whole = whole_months_forward(start, end)
        extra = (end - add_months(start, months=whole)).days
    elif terms.frequency is Frequency.MONTHLY:
        # Exactly one month by construction, even 28 Feb -> 31 Mar (as the schedule says).
        whole, extra = 1, 0
    else:
        whole, extra = 0, (end - start).days
    return AccrualPeriod(number, start, end, whole, extra)


def period_containing(terms: AccrualTerms, day: date) -> AccrualPeriod:
    """The period p with p.start < day <= p.end."""
    if day <= terms.disbursed_on:
        raise AccrualError(f"{day} is not after disbursement on {terms.disbursed_on}")
    days = terms.frequency.days
    if days is not None:
        guess = max(1, (day - terms.disbursed_on).days // days)
    else:
        guess = max(1, whole_months_forward(terms.disbursed_on, day))
    for number in (guess, guess + 1, guess + 2):
        candidate = period(terms, number)
        if candidate.start < day <= candidate.end:
            return candidate
    raise AssertionError(f"no period holds {day}")  # the search is exhaustive by construction


def opening_state(terms: AccrualTerms) -> AccrualState:
    """The state on the disbursement date: nothing accrued yet."""
    return AccrualState(period(terms, 1), terms.disbursed_on, Decimal(0), 0)


def cumulative_units(
    rate: InterestRate, day_count: DayCount, span: AccrualPeriod, on: date
) -> Decimal:
    """C(on) of the period in units per minor unit of principal (x the denominator)."""
    if not span.start <= on <= span.end:
        raise AccrualError(f"{on} is outside the period {span.start} to {span.end}")
    if on == span.start:
        return Decimal(0)
    if rate.basis is RateBasis.ANNUAL_NOMINAL:
        ratio = year_fraction_ratio(span.start, on, convention=day_count) * denominator(
            rate, day_count
        )
        assert ratio.denominator == 1, "the denominator makes every day count whole"
        return _EXACT.multiply(rate.value, Decimal(ratio.numerator))
    if on == span.end:
        return growth_factor(rate, period=span.length, day_count=day_count)
    if span.whole_months > 1 or (span.whole_months == 1 and span.extra_days):
        raise AccrualError("schedules make no period longer than a month on a monthly rate")
    # Inside a period a monthly rate accrues the part month of the days so far: under 31
    # days, so never more than r, and at most the period's factor (reached on its end).
    days = (on - span.start).days
    return growth_factor(rate, period=PeriodLength(span.start, on, 0, days), day_count=day_count)


def between_units(
    rate: InterestRate, day_count: DayCount, span: AccrualPeriod, since: date, until: date
) -> Decimal:
    """C(until) - C(since) inside the period, exactly."""
    if since > until:
        raise AccrualError(f"{since} is after {until}")
    return _EXACT.subtract(
        cumulative_units(rate, day_count, span, until),
        cumulative_units(rate, day_count, span, since),
    )


def day_factor(rate: InterestRate, day_count: DayCount, span: AccrualPeriod, day: date) -> Decimal:
    """Units per minor unit of principal for the day (day-1, day] inside the period."""
    before = day - timedelta(days=1)
    if not span.start <= before < day <= span.end:
        raise AccrualError(f"the day ending {day} is not inside {span.start} to {span.end}")
    return between_units(rate, day_count, span, before, day)


def interest_units(principal_minor: int, factor: Decimal) -> Decimal:
    """`principal_minor x factor` exactly."""
    return _EXACT.multiply(Decimal(principal_minor), factor)


def round_units(units: Decimal, denominator_: int, mode: str) -> int:
    """`units / denominator` as whole minor units, rounded with `mode` (units are >= 0)."""
    if units < 0:
        raise AccrualError("accrued interest cannot be negative")
    quotient, remainder = divmod(Fraction(units), denominator_)
    whole = int(quotient)
    twice = 2 * remainder
    if mode in (ROUND_DOWN, ROUND_FLOOR):
        return whole
    if mode in (ROUND_UP, ROUND_CEILING):
        return whole + (remainder > 0)
    if mode == ROUND_HALF_UP:
        return whole + (twice >= denominator_)
    if mode == ROUND_HALF_DOWN:
        return whole + (twice > denominator_)
    if mode == ROUND_HALF_EVEN:
        return whole + (twice > denominator_ or (twice == denominator_ and whole % 2 == 1))
    raise AccrualError(f"unknown rounding mode {mode!r}")


def accrue_day(terms: AccrualTerms, state: AccrualState, *, principal_minor: int) -> DayAccrual:
    """Accrue the day after `state.accrued_through` on `principal_minor` (owed at its start)."""
    if principal_minor < 0:
        raise AccrualError("principal owed cannot be negative")
    day = state.accrued_through + timedelta(days=1)
    span = state.period
    factor = day_factor(terms.rate, terms.day_count, span, day)
    units = _EXACT.add(state.units, interest_units(principal_minor, factor))
    closing = day == span.end
    mode = terms.interest_rounding if closing else ROUND_DOWN
    target = round_units(units, terms.denominator, mode)
    post = target - state.posted_minor
    assert post >= 0, "interest posted never runs ahead of interest earned"
    if closing:
        after = AccrualState(period(terms, span.number + 1), day, Decimal(0), 0)
    else:
        after = AccrualState(span, day, units, target)
    return DayAccrual(day, principal_minor, factor, post, after)


def accrue_through(
    terms: AccrualTerms, state: AccrualState, *, principal_minor: int, through: date
) -> tuple[AccrualState, int]:
    """Accrue every day up to `through` on a principal unchanged since `accrued_through`.

    Returns the state after and the whole minor units to post for those days.
    """
    days = (through - state.accrued_through).days
    if days < 0:
        raise AccrualError(f"already accrued through {state.accrued_through}, after {through}")
    if days > MAX_CATCH_UP_DAYS:
        raise AccrualError(f"{days} days unaccrued: more than {MAX_CATCH_UP_DAYS}")
    posted = 0
    for _ in range(days):
        result = accrue_day(terms, state, principal_minor=principal_minor)
        posted += result.post_minor
        state = result.state
    return state, posted


def closing_minor(terms: AccrualTerms, state: AccrualState) -> int:
    """The units still to post if the loan closes now: the part period rounded in full."""
    target = round_units(state.units, terms.denominator, terms.interest_rounding)
    return target - state.posted_minor


def closed(state: AccrualState, terms: AccrualTerms) -> AccrualState:
    """The state once the part period has been rounded and posted in full."""
    target = round_units(state.units, terms.denominator, terms.interest_rounding)
    return replace(state, posted_minor=target)


def replay(
    terms: AccrualTerms,
    *,
    principal_changes: Sequence[tuple[date, int]],
    through: date,
    closing: bool = False,
) -> int:
    """All interest from disbursement to `through`, in whole minor units, from the history.

    `principal_changes` are (date, principal owed at that date's close), in date order,
    the first on the disbursement date; any day's figure can be recomputed this way.
    """
    total, state = replay_state(terms, principal_changes=principal_changes, through=through)
    if closing:
        total += closing_minor(terms, state)
    return total


def replay_state(
    terms: AccrualTerms, *, principal_changes: Sequence[tuple[date, int]], through: date
) -> tuple[int, AccrualState]:
    """`replay` without closing: the interest posted to `through` and the state it leaves."""
    if not principal_changes or principal_changes[0][0] != terms.disbursed_on:
        raise AccrualError("the principal history starts on the disbursement date")
    if any(later[0] <= earlier[0] for earlier, later in pairwise(principal_changes)):
        raise AccrualError("the principal history must be in strictly increasing date order")
    if (through - terms.disbursed_on).days > MAX_CATCH_UP_DAYS:
        raise AccrualError(f"more than {MAX_CATCH_UP_DAYS} days to replay")
    state = opening_state(terms)
    total = 0
    index = 0
    while state.accrued_through < through:
        # The principal owed over the next day is the one at the close of accrued_through.
        while (
            index + 1 < len(principal_changes)
            and principal_changes[index + 1][0] <= state.accrued_through
        ):
            index += 1
        day = accrue_day(terms, state, principal_minor=principal_changes[index][1])
        total += day.post_minor
        state = day.state
    return total, state
