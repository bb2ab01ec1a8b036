"""A product priced for one amount and term: the schedule and the cash flows its APR uses.

Every fee a product levies is charged when the loan is made, so every fee is in the
charge for credit under every rule set: the UK total charge for credit and the GB/NI
caps include all charges, and under Regulation Z a fee charged only when credit is
extended is a finance charge (12 CFR 1026.4(a); the exclusion in 1026.4(c)(1) is for
fees charged to every applicant whether or not credit is extended). `Fee.finance_charge`
is a product's claim, which `loans.checks` refuses; it never changes the price. By
treatment:

* deducted: the credit provided is the amount less the fee;
* added (financed): the schedule's principal is the amount plus the fee;
* upfront: a payment on the disbursement date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from ledger.errors import Refused
from ledger.money import Money
from loans.apr import CashFlow
from loans.discounting import TimedFlow
from loans.frequency import Frequency
from loans.product import FeeTreatment, LoanProduct
from loans.schedule import Schedule, build_schedule


class FeesExceedCredit(Refused, ValueError):
    """Fees deducted from the advance leave no credit to provide."""


@dataclass(frozen=True, slots=True)
class Priced:
    amount: Money
    credit: Money  # the credit actually provided: the APR's advance
    schedule: Schedule
    payments: tuple[CashFlow, ...]  # every payment in the APR: instalments, charged fees
    upfront_fees: Money  # every fee paid separately at disbursement

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


def credit_provided(product: LoanProduct, *, amount: Money) -> Money:
    credit = amount
    for fee in product.fees:
        if fee.treatment is FeeTreatment.DEDUCTED:
            credit = credit - fee.amount
    return credit


def financed_fees(product: LoanProduct) -> Money:
    """The fees added to the principal: the principal is the amount plus these."""
    return sum(
        (fee.amount for fee in product.fees if fee.treatment is FeeTreatment.ADDED),
        Money.zero(product.currency),
    )


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
    principal = amount + financed_fees(product)
    upfront = sum(
        (fee.amount for fee in product.fees if fee.treatment is FeeTreatment.UPFRONT),
        Money.zero(amount.currency),
    )
    charged_upfront: list[CashFlow] = (
        [(disbursement_date, upfront)] if upfront.is_positive() else []
    )
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
