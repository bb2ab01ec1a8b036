"""Annual percentage rates: UK (FCA CONC App 1.2) and US (Regulation Z Appendix J).

Both take `advances` (the credit actually provided) and `payments` (every payment the
borrower makes: instalments and any charges in the total charge for credit, each on its
own date), as sequences of `(date, Money)`. An upfront fee is either netted off the
advance or passed as a payment on the drawdown date; both give the same APR.

UK: the equation of Directive 2008/48/EC Annex I, times in years from the first drawdown
as `loans.conc` measures them, rounded to one decimal place half-up (Annex I remark (d)).
US: the Appendix J(b)(8) general equation in unit periods (`loans.regz`), APR = unit-period
rate x unit periods per year, rounded to two decimal places (half-up).

Bad input raises a subclass of `AprError` (a ValueError). Payments that add up to less
than the advances imply a negative APR: that is refused, not computed, because no product
here lends at a loss and a negative figure on a disclosure is far more likely a data error.
Payments equal to the advances give exactly 0.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Final

from ledger.errors import Refused
from ledger.money import Money
from loans.conc import UkTimeUnit, choose_unit, conc_years
from loans.discounting import compound_rate
from loans.regz import Position, UnitPeriod, timeline
from loans.solver import PRECISION, RootNotFound, solve_rate

CashFlow = tuple[date, Money]

MAX_CASH_FLOWS: Final = 5000
UK_PLACES: Final = Decimal("0.1")
US_PLACES: Final = Decimal("0.01")


class AprError(Refused, ValueError):
    """Cash flows from which no APR can be computed."""


class NoAdvances(AprError):
    pass


class NoPayments(AprError):
    pass


class NonPositiveAmount(AprError):
    """A zero or negative advance or payment; a cash flow always moves money."""


class MixedCurrencies(AprError):
    pass


class PaymentBeforeAdvance(AprError):
    pass


class PaymentsBelowAdvances(AprError):
    """The payments add up to less than the credit: a negative APR, which is refused."""


class TooManyCashFlows(AprError):
    pass


class AprNotFound(AprError):
    """No rate balances the flows (for example, everything is paid on the drawdown date)."""


@dataclass(frozen=True, slots=True)
class UsApr:
    """The pieces of an Appendix J computation, for audit and disclosure."""

    unit_period: UnitPeriod
    unit_period_rate: Decimal
    annual_rate: Decimal  # unit-period rate x unit periods per year, as a fraction, unrounded

    @property
    def percent(self) -> Decimal:
        return _percent(self.annual_rate, US_PLACES)


def apr_uk(advances: Sequence[CashFlow], payments: Sequence[CashFlow]) -> Decimal:
    """The UK APR in percent to one decimal place (Decimal("42.6"))."""
    return _percent(uk_annual_rate(advances, payments), UK_PLACES)


def apr_us(advances: Sequence[CashFlow], payments: Sequence[CashFlow]) -> Decimal:
    """The US APR in percent to two decimal places (Decimal("12.00"))."""
    return us_apr_details(advances, payments).percent


def uk_annual_rate(
    advances: Sequence[CashFlow], payments: Sequence[CashFlow], *, unit: UkTimeUnit | None = None
) -> Decimal:
    """The unrounded CONC App 1.2 rate as a fraction (0.4257... for 3% a month)."""
    _validate(advances, payments)
    first = min(day for day, _ in advances)
    chosen = unit or choose_unit(first, dates=[day for day, _ in (*advances, *payments)])

    def timed(flows: Sequence[CashFlow]) -> list[tuple[Fraction, Decimal]]:
        return [(conc_years(first, day, unit=chosen), amount.amount) for day, amount in flows]

    return _solved(lambda: compound_rate(advances=timed(advances), payments=timed(payments)))


def us_apr_details(advances: Sequence[CashFlow], payments: Sequence[CashFlow]) -> UsApr:
    """The Appendix J unit period, unit-period rate and annual rate."""
    _validate(advances, payments)
    start = min(day for day, _ in advances)
    if all(day == start for day, _ in payments):
        raise AprNotFound("every payment falls on the drawdown date; there is no term")
    timing = timeline(
        start,
        advance_dates=[day for day, _ in advances],
        payment_dates=[day for day, _ in payments],
    )
    unit = timing.unit

    def placed(
        flows: Sequence[CashFlow], at: Mapping[date, Position]
    ) -> list[tuple[Position, Decimal]]:
        return [(at[day], m.amount) for day, m in flows]

    rate = _solved(
        lambda: _solve_appendix_j(
            placed(advances, timing.advances), placed(payments, timing.payments)
        )
    )
    with decimal.localcontext(prec=PRECISION):
        per_year = unit.per_year
        annual = rate * per_year.numerator / per_year.denominator
    return UsApr(unit_period=unit, unit_period_rate=rate, annual_rate=annual)


def _solve_appendix_j(
    advances: list[tuple[Position, Decimal]], payments: list[tuple[Position, Decimal]]
) -> Decimal:
    flows = [(p, amount) for p, amount in payments] + [(p, -amount) for p, amount in advances]
    with decimal.localcontext(prec=PRECISION):
        placed = [
            (p.whole, Decimal(p.fraction.numerator) / p.fraction.denominator, amount)
            for p, amount in flows
        ]

    def npv(rate: Decimal) -> tuple[Decimal, Decimal]:
        # J(b)(8): amount / ((1 + f*i) * (1 + i)**t); the odd fraction is simple interest.
        value = Decimal(0)
        slope = Decimal(0)
        base = 1 + rate
        for whole, fraction, amount in placed:
            simple = 1 + fraction * rate
            discounted = amount / (simple * base**whole)
            value += discounted
            slope -= discounted * (fraction / simple + whole / base)
        return value, slope

    return solve_rate(npv)


def _solved(solve: Callable[[], Decimal]) -> Decimal:
    try:
        return solve()
    except RootNotFound as exc:
        raise AprNotFound(str(exc)) from exc


def _percent(rate: Decimal, places: Decimal) -> Decimal:
    # Enough digits for the integer part of even an absurd rate, plus the places kept.
    with decimal.localcontext(prec=PRECISION + max(rate.adjusted(), 0)):
        return (rate * 100).quantize(places, rounding=ROUND_HALF_UP)


def _validate(advances: Sequence[CashFlow], payments: Sequence[CashFlow]) -> None:
    if not advances:
        raise NoAdvances("an APR needs at least one advance of credit")
    if not payments:
        raise NoPayments("an APR needs at least one payment")
    if len(advances) + len(payments) > MAX_CASH_FLOWS:
        raise TooManyCashFlows(f"at most {MAX_CASH_FLOWS} cash flows, got more")
    flows = [*advances, *payments]
    for flow in flows:
        _check_flow(flow)
    currencies = {amount.currency for _, amount in flows}
    if len(currencies) > 1:
        raise MixedCurrencies(f"cash flows in more than one currency: {sorted(currencies)}")
    first = min(day for day, _ in advances)
    early = [day for day, _ in payments if day < first]
    if early:
        raise PaymentBeforeAdvance(f"payment on {min(early)} is before the first advance {first}")
    paid = sum((amount.amount for _, amount in payments), Decimal(0))
    lent = sum((amount.amount for _, amount in advances), Decimal(0))
    if paid < lent:
        raise PaymentsBelowAdvances(
            f"payments of {paid} are less than advances of {lent}: the APR would be negative"
        )


def _check_flow(flow: object) -> None:
    if not isinstance(flow, tuple) or len(flow) != 2:
        raise TypeError(f"a cash flow is a (date, Money) pair, not {flow!r}")
    day, amount = flow
    if not isinstance(day, date) or not isinstance(amount, Money):
        raise TypeError(f"a cash flow is a (date, Money) pair, not {flow!r}")
    if not amount.is_positive():
        raise NonPositiveAmount(f"cash flow of {amount} on {day}: amounts must be positive")
