"""Loan fees earned over the loan's life at its effective interest rate: a pure function.

FRS 102 s.11.15-11.20 (and IFRS 9 B5.4.1-B5.4.3) measure a loan at amortised cost with the
effective interest method: fees that are an integral part of the loan's yield are deferred
and recognised as an adjustment to its yield. ASC 310-20-35-18 says the same for US loans
(net origination fees recognised over the life of the loan by the interest method).

With P the principal scheduled, F the fees taken at disbursement and instalment k paying
principal p_k and contractual interest i_k (k = 1..n):

* the carrying amount at disbursement is C_0 = P - F: what the credit union paid out, net;
* the effective rate e per schedule period solves  sum_k (p_k + i_k) / (1 + e)^k = C_0;
* period k earns C_{k-1} x e, of which i_k is the contract's interest and the rest,
  a_k = C_{k-1} x e - i_k, is fee income; C_k = C_{k-1} + C_{k-1} x e - (p_k + i_k).

Each period posts whole minor units: the cumulative exact amount rounded ROUND_HALF_EVEN,
less what earlier periods posted, and the last period takes what is left, so the periods
add up to F exactly. Periods count as the schedule counts them (one per instalment, the
first however odd its length), as the contract's own interest does.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from loans.solver import PRECISION, solve_rate


class EffectiveInterestError(ValueError):
    """A schedule that cannot carry the fees (no instalments, or fees above the principal)."""


@dataclass(frozen=True, slots=True)
class Instalment:
    principal_minor: int
    interest_minor: int


def effective_rate(principal_minor: int, fee_minor: int, rows: Sequence[Instalment]) -> Decimal:
    """The effective rate per schedule period (`e` above)."""
    _check(principal_minor, fee_minor, rows)
    carrying = Decimal(principal_minor - fee_minor)
    payments = [Decimal(r.principal_minor + r.interest_minor) for r in rows]

    def npv(rate: Decimal) -> tuple[Decimal, Decimal]:
        value = -carrying
        slope = Decimal(0)
        factor = 1 / (1 + rate)
        discount = Decimal(1)
        for k, payment in enumerate(payments, start=1):
            discount *= factor
            value += payment * discount
            slope -= k * payment * discount * factor
        return value, slope

    return solve_rate(npv)


def fee_recognition_minor(
    principal_minor: int, fee_minor: int, rows: Sequence[Instalment]
) -> list[int]:
    """Fee income earned in each schedule period; the list sums to `fee_minor` exactly."""
    _check(principal_minor, fee_minor, rows)
    if fee_minor == 0:
        return [0] * len(rows)
    rate = effective_rate(principal_minor, fee_minor, rows)
    earned: list[int] = []
    with decimal.localcontext(prec=PRECISION):
        carrying = Decimal(principal_minor - fee_minor)
        exact_total = Decimal(0)
        posted = 0
        for row in rows[:-1]:
            income = carrying * rate
            exact_total += income - row.interest_minor
            whole = int(exact_total.to_integral_value(rounding=ROUND_HALF_EVEN))
            earned.append(whole - posted)
            posted = whole
            carrying += income - (row.principal_minor + row.interest_minor)
    earned.append(fee_minor - posted)
    return earned


def _check(principal_minor: int, fee_minor: int, rows: Sequence[Instalment]) -> None:
    if not rows:
        raise EffectiveInterestError("a schedule has at least one instalment")
    if not 0 <= fee_minor < principal_minor:
        raise EffectiveInterestError("fees are at least 0 and less than the principal")
    if sum(r.principal_minor for r in rows) != principal_minor:
        raise EffectiveInterestError("the instalments repay the principal")
