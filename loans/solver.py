"""The root of a rate equation, in Decimal, found inside a bracket.

Every APR equation here has the form NPV(x) = 0 where NPV(0) >= 0 and NPV falls as the
rate x rises (payments come after the credit). The root is bracketed by raising an upper
bound from 1 (100%), doubling it and then squaring it, until NPV turns negative (at most
10**100); then narrowed with Newton steps that are only taken while they stay well inside
the bracket, and bisection otherwise (geometric while the bracket spans more than a factor
of two, so even an absurd rate is reached in a few dozen steps). Both loops have a fixed
bound, so a pathological input ends in `RootNotFound`, never a hang.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable
from decimal import Decimal
from typing import Final

PRECISION: Final = 50
TOLERANCE: Final = Decimal("1e-24")
CEILING: Final = Decimal("1e100")
MAX_EXPANSIONS: Final = 16
MAX_ITERATIONS: Final = 600

# Value and slope of the NPV at a rate.
NpvWithSlope = Callable[[Decimal], tuple[Decimal, Decimal]]


class RootNotFound(ValueError):
    """No rate in [0, 1e100] makes the cash flows balance."""


def solve_rate(npv: NpvWithSlope) -> Decimal:
    """The rate x >= 0 at which `npv(x)` is zero, to within `TOLERANCE`."""
    with decimal.localcontext(prec=PRECISION):
        at_zero, _ = npv(Decimal(0))
        if at_zero == 0:
            return Decimal(0)
        if at_zero < 0:
            raise RootNotFound("the cash flows are negative at a zero rate")
        lower, upper = _bracket(npv)
        return _narrow(npv, lower, upper)


def _bracket(npv: NpvWithSlope) -> tuple[Decimal, Decimal]:
    lower, upper = Decimal(0), Decimal(1)
    for _ in range(MAX_EXPANSIONS):
        value, _ = npv(upper)
        if value <= 0:
            return lower, upper
        if upper >= CEILING:
            break
        lower, upper = upper, min(upper * upper if upper >= 16 else upper * 2, CEILING)
    raise RootNotFound(f"no rate up to {CEILING} balances the cash flows")


def _narrow(npv: NpvWithSlope, lower: Decimal, upper: Decimal) -> Decimal:
    rate = _midpoint(lower, upper)
    for _ in range(MAX_ITERATIONS):
        value, slope = npv(rate)
        if value == 0:
            return rate
        if value > 0:
            lower = rate
        else:
            upper = rate
        tolerance = TOLERANCE * max(Decimal(1), upper)
        if upper - lower <= tolerance:
            return (lower + upper) / 2
        newton = rate - value / slope if slope else lower
        if lower < newton < upper and abs(newton - rate) < (upper - lower) / 2:
            if abs(newton - rate) <= tolerance:
                return newton
            rate = newton
        else:
            rate = _midpoint(lower, upper)
    raise RootNotFound(f"no convergence within {MAX_ITERATIONS} iterations")


def _midpoint(lower: Decimal, upper: Decimal) -> Decimal:
    if lower > 0 and upper > 2 * lower:
        return (lower * upper).sqrt()
    return (lower + upper) / 2
