"""The loan services' amounts as `Money`, and their one edge with the integer calculations.

The pure modules of `loans` (allocation, accrual, reschedule, effective interest) work in
minor units with no currency, by design. The services plan in `Money`: a calculation's
integers become `Money` in the loan's currency here, where it is called, and nowhere else.

`loan_transactions` and `loan_instalments` rows carry no currency of their own (it is
their loan's), so a `StoredMoney` attribute cannot read them, and a property reaching for
the loan would hide a query behind an attribute. Instead the loan is passed:
`new_transaction` writes a transaction row from `Money`, `transaction_amounts` and
`instalment_amounts` read rows back. Instalment rows are written by set-based statements
(`loans.services.instalments`), which take minor units.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from ledger.money import Money
from loans.allocation import Allocation, Owed, allocate
from loans.models import (
    LoanInstalmentRow,
    LoanRow,
    LoanTransactionRow,
    PaymentSource,
    TransactionKind,
)


@dataclass(frozen=True, slots=True)
class Split:
    """Fees, interest and principal in one currency: what a loan owes, or what a payment met."""

    fees: Money
    interest: Money
    principal: Money

    @classmethod
    def zero(cls, currency: str) -> Split:
        nothing = Money.zero(currency)
        return cls(nothing, nothing, nothing)

    @classmethod
    def of(cls, parts: Owed | Allocation, currency: str) -> Split:
        return cls(
            Money.from_minor(parts.fees, currency),
            Money.from_minor(parts.interest, currency),
            Money.from_minor(parts.principal, currency),
        )

    @property
    def total(self) -> Money:
        return self.fees + self.interest + self.principal

    def owed(self) -> Owed:
        """As `loans.allocation` takes it."""
        return Owed(self.fees.minor_units, self.interest.minor_units, self.principal.minor_units)


def allocate_payment(amount: Money, owed: Split) -> Split:
    """`loans.allocation.allocate` of `amount`: fees first, then interest, then principal.

    Raises PaymentExceedsBalance when `amount` is more than `owed`.
    """
    return Split.of(allocate(amount.minor_units, owed.owed()), amount.currency)


@dataclass(frozen=True, slots=True)
class TransactionAmounts:
    """A loan transaction's amounts, in its loan's currency."""

    amount: Money
    split: Split
    in_advance: Money | None
    balance_reduction: Money | None


def new_transaction(
    loan: LoanRow,
    *,
    kind: TransactionKind,
    business_date: dt.date,
    amount: Money,
    split: Split | None = None,
    actor: str,
    journal_entry_id: uuid.UUID | None,
    source: PaymentSource | None = None,
    source_account_id: int | None = None,
    idempotency_key: str | None = None,
    note: str | None = None,
    reduce_balance: bool = False,
    in_advance: Money | None = None,
    balance_reduction: Money | None = None,
) -> LoanTransactionRow:
    """A transaction row of `loan` (not yet added), its amounts in the loan's currency.

    Raises CurrencyMismatch if an amount is in another currency.
    """
    parts = Split.zero(loan.currency) if split is None else split
    # Money of the loan's currency only: adding to its zero refuses any other.
    zero = Money.zero(loan.currency)

    def minor(value: Money) -> int:
        return (zero + value).minor_units

    return LoanTransactionRow(
        loan_id=loan.id,
        kind=kind,
        business_date=business_date,
        amount_minor=minor(amount),
        fees_minor=minor(parts.fees),
        interest_minor=minor(parts.interest),
        principal_minor=minor(parts.principal),
        source=source,
        source_account_id=source_account_id,
        journal_entry_id=journal_entry_id,
        idempotency_key=idempotency_key,
        actor=actor,
        note=note,
        reduce_balance=reduce_balance,
        in_advance_minor=None if in_advance is None else minor(in_advance),
        balance_reduction_minor=None if balance_reduction is None else minor(balance_reduction),
    )


def transaction_amounts(row: LoanTransactionRow, loan: LoanRow) -> TransactionAmounts:
    """What `row`, a transaction of `loan`, moved."""
    currency = loan.currency

    def money(minor: int | None) -> Money | None:
        return None if minor is None else Money.from_minor(minor, currency)

    return TransactionAmounts(
        amount=Money.from_minor(row.amount_minor, currency),
        split=Split(
            Money.from_minor(row.fees_minor, currency),
            Money.from_minor(row.interest_minor, currency),
            Money.from_minor(row.principal_minor, currency),
        ),
        in_advance=money(row.in_advance_minor),
        balance_reduction=money(row.balance_reduction_minor),
    )


@dataclass(frozen=True, slots=True)
class InstalmentAmounts:
    """An instalment's amounts, in its loan's currency."""

    principal: Money
    interest: Money
    fees: Money
    paid: Money

    @property
    def unpaid(self) -> Money:
        """What is left of it to pay; never below nothing."""
        left = self.principal + self.interest + self.fees - self.paid
        return max(left, Money.zero(left.currency))


def instalment_amounts(row: LoanInstalmentRow, loan: LoanRow) -> InstalmentAmounts:
    """What `row`, an instalment of `loan`, is for and what of it is paid."""
    currency = loan.currency
    return InstalmentAmounts(
        principal=Money.from_minor(row.principal_minor, currency),
        interest=Money.from_minor(row.interest_minor, currency),
        fees=Money.from_minor(row.fees_minor, currency),
        paid=Money.from_minor(row.paid_minor, currency),
    )
