"""A product priced for one amount and term: the schedule and the cash flows its APR uses.

Fees move the cash flows by their treatment and by whether they are in the charge for
credit (every fee under a UK rule set; finance charges only under Regulation Z):

* deducted and in the charge: the credit provided is the amount less the fee;
* added (financed): the schedule's principal is the amount plus the fee; a financed fee
  that is not a finance charge is part of the amount financed (US), so it is credit;
* upfront and in the charge: a payment on the disbursement date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from ledger.money import Money
from loans.apr import CashFlow
from loans.discounting import TimedFlow
from loans.frequency import Frequency
from loans.product import Fee, FeeTreatment, LoanProduct
from loans.rulesets.base import AprMethod
from loans.schedule import Schedule, build_schedule


class FeesExceedCredit(ValueError):
    """Fees deducted from the advance leave no credit to provide."""


@dataclass(frozen=True, slots=True)
class Priced:
    amount: Money
    credit: Money  # the credit actually provided: the APR's advance
    schedule: Schedule
    payments: tuple[CashFlow, ...]  # every payment in the APR: instalments, charged fees
    upfront_fees: Money  # every fee paid separately at disbursement, charged or not

    @property
    def advances(self) -> tuple[CashFlow, ...]:
        return ((self.schedule.disbursement_date, self.credit),)

    def in_months(self) -> tuple[list[TimedFlow], list[TimedFlow]]:
        """(advances, payments) timed in the schedule's months from disbursement."""
        start = self.schedule.disbursement_date
        due_at: dict[date, Fraction] = {}
        elapsed = Fraction(0)
        for row in self.schedule.rows:
            elapsed += row.period.months
            due_at[row.due_date] = elapsed
        payments = [
            (Fraction(0) if day == start else due_at[day], amount.amount)
            for day, amount in self.payments
        ]
        return [(Fraction(0), self.credit.amount)], payments


def in_charge(fee: Fee, *, method: AprMethod) -> bool:
    return method is AprMethod.UK or fee.finance_charge


def credit_provided(product: LoanProduct, *, amount: Money) -> Money:
    method = product.rule_set.apr_method
    credit = amount
    for fee in product.fees:
        if fee.treatment is FeeTreatment.DEDUCTED and in_charge(fee, method=method):
            credit = credit - fee.amount
        elif fee.treatment is FeeTreatment.ADDED and not in_charge(fee, method=method):
            credit = credit + fee.amount
    return credit


def price(
    product: LoanProduct,
    *,
    amount: Money,
    instalments: int,
    frequency: Frequency,
    disbursement_date: date,
) -> Priced:
    credit = credit_provided(product, amount=amount)
    if not credit.is_positive():
        raise FeesExceedCredit(f"fees deducted from {amount} leave {credit} of credit")
    principal = amount
    zero = Money.zero(amount.currency)
    upfront = zero
    charged_upfront: list[CashFlow] = []
    for fee in product.fees:
        if fee.treatment is FeeTreatment.ADDED:
            principal = principal + fee.amount
        elif fee.treatment is FeeTreatment.UPFRONT:
            upfront = upfront + fee.amount
            if in_charge(fee, method=product.rule_set.apr_method):
                charged_upfront.append((disbursement_date, fee.amount))
    schedule = build_schedule(
        principal=principal,
        rate=product.rate,
        instalments=instalments,
        frequency=frequency,
        disbursement_date=disbursement_date,
        day_count=product.day_count,
        interest_rounding=product.interest_rounding,
        instalment_rounding=product.instalment_rounding,
    )
    # A zero instalment (possible only on absurdly small loans) moves no money: no flow.
    instalments_paid = [(row.due_date, row.instalment) for row in schedule.rows if row.instalment]
    return Priced(
        amount=amount,
        credit=credit,
        schedule=schedule,
        payments=(*charged_upfront, *instalments_paid),
        upfront_fees=upfront,
    )
