"""Writing a loan off (a manager's decision) and recoveries after it.

The write-off entry clears the loan's three accounts. What never reached income comes off
first (interest held in suspense on a non-accrual loan, fees deferred and not yet earned);
the loss that is left falls on the allowance for loan losses as far as it holds a
provision for this loan, and on impairment expense for the rest:

    Dr interest in suspense        the loan's suspended interest
    Dr deferred loan fee income    the loan's fees not yet earned
    Dr allowance for loan losses   the loan's provision (and any amount held for no loan)
    Dr impairment expense          the remainder
    Cr principal, interest receivable, fees receivable   their balances

Accrual stops. Money recovered later is income of its own (recoveries of loans written
off), never a reopening of the loan: Dr the source, Cr recoveries income, up to what was
written off. Maker-checker on the decision is the caller's: `creditunion.approvals.write_offs`
posts it once a second manager approves, naming both on the entry (`approval`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.entry import EntryRequest, Line
from ledger.models import LedgerAccount
from ledger.money import Money
from ledger.ownership import STAFF
from ledger.posting import post_entry
from loans.errors import LoansConflict, LoansRefused
from loans.models import LoanRow, LoanStatus, TransactionKind
from loans.services.accounts import chart
from loans.services.amounts import new_transaction, transaction_amounts
from loans.services.arrears import age_loan
from loans.services.fee_recognition import release_deferred_fees
from loans.services.products import check_actor
from loans.services.repayments import (
    InvalidRepayment,
    RepaymentKeyConflict,
    RepaymentSource,
    check_key,
    earlier_transaction,
    source_account,
)
from loans.services.state import balances, lock_loan, require_active

NOTE_LENGTH_MAX = 2_000


class WriteOffNotDue(LoansConflict):
    pass


class RecoveryExceedsWrittenOff(LoansRefused):
    pass


@dataclass(frozen=True, slots=True)
class WriteOffResult:
    loan_id: int
    principal: Money
    interest: Money
    fees: Money
    from_allowance: Money
    to_expense: Money
    entry_id: uuid.UUID
    from_suspense: Money  # unpaid interest that was held out of income (non-accrual)
    from_deferred_fees: Money  # loan fees not yet earned, released against the loss

    @property
    def total(self) -> Money:
        return self.principal + self.interest + self.fees


@dataclass(frozen=True, slots=True)
class RecoveryResult:
    transaction_id: int
    loan_id: int
    amount: Money
    recovered_to_date: Money
    entry_id: uuid.UUID | None
    replayed: bool = False


def write_off_loan(
    session: Session,
    *,
    loan_id: int,
    business_date: dt.date,
    actor: str,
    reason: str,
    min_days_past_due: int,
    approval: Mapping[str, str | int] | None = None,
) -> WriteOffResult:
    """Write the loan off; it must be at least `min_days_past_due` past due today.

    `approval` (the request's id, who asked, who approved) goes into the entry's metadata.

    Raises LoanNotFound, LoanNotActive, WriteOffNotDue.
    """
    check_actor(actor)
    if not reason.strip() or len(reason) > NOTE_LENGTH_MAX:
        raise LoansRefused(f"a write-off gives a reason of 1 to {NOTE_LENGTH_MAX} characters")
    with session.begin_nested():
        loan = lock_loan(session, loan_id, scope=STAFF)
        require_active(loan)
        age_loan(session, loan_id=loan.id, business_date=business_date)
        session.refresh(loan)
        if loan.days_past_due < min_days_past_due:
            raise WriteOffNotDue(
                f"loan {loan.id} is {loan.days_past_due} days past due; "
                f"write-off needs {min_days_past_due}"
            )
        books = chart(session)
        owed = balances(session, loan)
        total = owed.total
        if not total.is_positive():
            raise LoansConflict(f"loan {loan.id} owes nothing to write off")
        # Interest held in suspense never reached income and deferred fees not yet earned
        # are part of the loan's carrying amount: both are cleared first, so the loss the
        # allowance and expense bear is the carrying amount (FRS 102 s.11, ASC 310-20).
        suspended = loan.suspended_interest
        from_suspense = min(suspended, owed.interest)
        unearned = release_deferred_fees(session, loan=loan, business_date=business_date)
        from_deferred = min(unearned, total - from_suspense)
        loss = total - from_suspense - from_deferred
        allowance_credit = -_balance(session, books.allowance, loan.currency)
        # The allowance bears this loan's own provision and whatever it holds for no loan
        # (an adjustment posted by hand), never the provisions of other loans.
        others = _provisions_of_others(session, loan)
        from_allowance = min(max(allowance_credit - others, Money.zero(loan.currency)), loss)
        to_expense = loss - from_allowance
        lines = []
        for amount, account in (
            (suspended, books.interest_suspense),
            (unearned, books.deferred_fees),
            (from_allowance, books.allowance),
            (to_expense, books.impairment),
        ):
            if amount:
                lines.append(Line.debit(account, amount))
        # Suspended interest paid since the last close of business, and deferred fees
        # beyond what is left to write off, are income received, not a reduction of a loss.
        for amount, account in (
            (owed.principal, loan.principal_account_id),
            (owed.interest, loan.interest_account_id),
            (owed.fees, loan.fees_account_id),
            (suspended - from_suspense, books.interest_income),
            (unearned - from_deferred, books.fee_income),
        ):
            if amount:
                lines.append(Line.credit(account, amount))
        entry = post_entry(
            session,
            EntryRequest(
                idempotency_key=f"loan:{loan.id}:write-off",
                business_date=business_date,
                lines=tuple(lines),
                description=f"Loan {loan.id} written off",
                posted_by=actor,
                kind="loan.write_off",
                reference=f"loan:{loan.id}",
                metadata={
                    "reason": reason.strip()[:500],
                    "days_past_due": loan.days_past_due,
                    **(approval or {}),
                },
            ),
        )
        loan.status = LoanStatus.WRITTEN_OFF
        loan.written_off_on = business_date
        loan.written_off = total
        # The allowance bore the loss first; the loan needs no provision any more.
        loan.provision = Money.zero(loan.currency)
        loan.suspended_interest = Money.zero(loan.currency)
        session.add(
            new_transaction(
                loan,
                kind=TransactionKind.WRITE_OFF,
                business_date=business_date,
                amount=total,
                split=owed,
                journal_entry_id=entry.id,
                actor=actor,
                note=reason.strip(),
            )
        )
        session.flush()
    return WriteOffResult(
        loan_id=loan.id,
        principal=owed.principal,
        interest=owed.interest,
        fees=owed.fees,
        from_allowance=from_allowance,
        from_suspense=from_suspense,
        from_deferred_fees=from_deferred,
        to_expense=to_expense,
        entry_id=entry.id,
    )


def _balance(session: Session, account_id: int, currency: str) -> Money:
    """The account's balance, locked to commit (debit positive)."""
    minor = session.scalar(
        select(LedgerAccount.balance_minor).where(LedgerAccount.id == account_id).with_for_update()
    )
    return Money.from_minor(int(minor or 0), currency)


def _provisions_of_others(session: Session, loan: LoanRow) -> Money:
    """The provisions held for every loan but `loan`, summed in the database."""
    others = session.scalar(
        select(func.coalesce(func.sum(LoanRow.provision_minor), 0)).where(LoanRow.id != loan.id)
    )
    return Money.from_minor(int(others or 0), loan.currency)


def record_recovery(
    session: Session,
    *,
    loan_id: int,
    amount: Money,
    source: RepaymentSource,
    idempotency_key: str,
    business_date: dt.date,
    actor: str,
) -> RecoveryResult:
    """Money recovered on a written-off loan; never more than was written off.

    Raises LoanNotFound, LoansConflict (not written off), RecoveryExceedsWrittenOff,
    RepaymentKeyConflict, and ledger refusals.
    """
    check_actor(actor)
    check_key(idempotency_key)
    with session.begin_nested():
        loan = lock_loan(session, loan_id, scope=STAFF)
        if not isinstance(amount, Money) or amount.currency != loan.currency:
            raise InvalidRepayment(f"a recovery is a {loan.currency} amount")
        if not amount.is_positive():
            raise InvalidRepayment("a recovery must be positive")
        key, earlier = earlier_transaction(session, loan, "recovery", idempotency_key)
        if earlier is not None:
            first = transaction_amounts(earlier, loan)
            if first.amount != amount or earlier.source is not source.kind:
                raise RepaymentKeyConflict("the idempotency key was used for another recovery")
            return RecoveryResult(
                earlier.id,
                loan.id,
                amount,
                loan.recovered,
                earlier.journal_entry_id,
                replayed=True,
            )
        if loan.status is not LoanStatus.WRITTEN_OFF:
            raise LoansConflict(f"loan {loan.id} is {loan.status.value}, not written off")
        if loan.recovered + amount > loan.written_off:
            raise RecoveryExceedsWrittenOff(
                f"{loan.written_off - loan.recovered} is left to recover on loan {loan.id}"
            )
        books = chart(session)
        account_id = source_account(session, source, loan=loan, books=books)
        entry = post_entry(
            session,
            EntryRequest(
                idempotency_key=key,
                business_date=business_date,
                lines=(Line.debit(account_id, amount), Line.credit(books.recoveries, amount)),
                description=f"Loan {loan.id} recovery after write-off",
                posted_by=actor,
                kind="loan.recovery",
                reference=f"loan:{loan.id}",
            ),
        )
        loan.recovered += amount
        transaction = new_transaction(
            loan,
            kind=TransactionKind.RECOVERY,
            business_date=business_date,
            amount=amount,
            source=source.kind,
            source_account_id=account_id,
            journal_entry_id=entry.id,
            idempotency_key=key,
            actor=actor,
        )
        session.add(transaction)
        session.flush()
    return RecoveryResult(transaction.id, loan.id, amount, loan.recovered, entry.id)


__all__ = [
    "RecoveryExceedsWrittenOff",
    "RecoveryResult",
    "WriteOffNotDue",
    "WriteOffResult",
    "record_recovery",
    "write_off_loan",
]
