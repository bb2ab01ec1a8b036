"""Cash flows at times measured in some unit (years, months), discounted at a compound rate.

`compound_rate` is the rate per unit that balances the flows (the CONC App 1.2 equation
when times are in years; the effective monthly rate when times are in months).
`discounts_above` decides exactly, without a solver, whether that rate exceeds a given one.
"""

from __future__ import annotations

import decimal
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Final

from loans.solver import PRECISION, NpvWithSlope, solve_rate

# A flow is (time in units from the first advance, amount); amounts are positive.
TimedFlow = tuple[Fraction, Decimal]

_CHECK_PRECISION: Final = 100


def compound_rate(*, advances: Sequence[TimedFlow], payments: Sequence[TimedFlow]) -> Decimal:
    """X such that sum(advance * (1+X)**-t) == sum(payment * (1+X)**-t), X >= 0."""
    return solve_rate(_npv(advances, payments))


def discounts_above(
    rate: Decimal, *, advances: Sequence[TimedFlow], payments: Sequence[TimedFlow]
) -> bool:
    """Whether the flows' compound rate is above `rate`.

    The payments, discounted at `rate`, are worth more than the advances exactly when the
    rate that balances them is higher. With whole-unit times the test runs in exact
    rational arithmetic, so a loan priced exactly at `rate` is never judged above it.
    """
    times = [time for time, _ in (*advances, *payments)]
    if all(time.denominator == 1 for time in times):
        return _exact_excess(Fraction(rate), advances, payments) > 0
    with decimal.localcontext(prec=_CHECK_PRECISION):
        base = 1 + rate
        total = Decimal(0)
        for time, amount in payments:
            total += amount * _power(base, -time)
        for time, amount in advances:
            total -= amount * _power(base, -time)
        return total > 0


def _exact_excess(
    rate: Fraction, advances: Sequence[TimedFlow], payments: Sequence[TimedFlow]
) -> Fraction:
    # Multiplied through by (1 + rate) ** horizon so every power is a non-negative integer.
    horizon = max(int(time) for time, _ in (*advances, *payments))
    base = 1 + rate
    total = Fraction(0)
    for time, amount in payments:
        total += Fraction(amount) * base ** (horizon - int(time))
    for time, amount in advances:
        total -= Fraction(amount) * base ** (horizon - int(time))
    return total


def _power(base: Decimal, exponent: Fraction) -> Decimal:
    if exponent.denominator == 1:
        return base ** int(exponent)
    return base ** (Decimal(exponent.numerator) / Decimal(exponent.denominator))


def _npv(advances: Sequence[TimedFlow], payments: Sequence[TimedFlow]) -> NpvWithSlope:
    # Grouped by the denominator of each time, so one root (1+x)**(1/den) per group and an
    # integer power per flow replace an exp/ln per flow: monthly times share 1/12.
    groups: dict[int, list[tuple[int, Decimal, Decimal]]] = defaultdict(list)
    with decimal.localcontext(prec=PRECISION):
        for sign, flows in ((1, payments), (-1, advances)):
            for time, amount in flows:
                as_decimal = Decimal(time.numerator) / Decimal(time.denominator)
                groups[time.denominator].append((time.numerator, sign * amount, as_decimal))

    def npv(rate: Decimal) -> tuple[Decimal, Decimal]:
        base = 1 + rate
        log = base.ln()
        value = Decimal(0)
        slope = Decimal(0)
        for denominator, items in groups.items():
            root = base if denominator == 1 else (log / denominator).exp()
            for numerator, amount, time in items:
                discounted = amount / root**numerator
                value += discounted
                slope -= time * discounted / base
        return value, slope

    return npv
