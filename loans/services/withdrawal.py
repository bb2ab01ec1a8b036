"""The right to withdraw from a loan agreement (the UK's Consumer Credit Act s.66A model).

Two steps, as the Act has them:

1. **Notice** (`give_withdrawal_notice`), within 14 days of disbursement, by the member or
   recorded by staff. From then the member owes the credit provided and the interest on
   it only: the agreement's charges fall away (the Act allows the creditor no other
   compensation than non-returnable charges it paid to a public administrative body, and
   the credit union pays none). One journal entry, on the notice date:

       Dr the accounts the disbursement credited with the fees   every fee charged at the start
       Dr fee income                 fees receivable cleared (late or failed-payment fees)
       Dr loan interest income       interest accrued on the fees, given back
       Cr member's shares            an upfront fee, refunded
       Cr principal                  the fees financed in or deducted from it
       Cr fees receivable, interest receivable     what they held of the above

   The accrual state is replayed on the credit alone, so interest keeps accruing at the
   agreement's daily rate on what the member really owes. The schedule becomes one amount,
   due on the repay-by date: "without undue delay and no later than the end of the period
   of 30 calendar days beginning with the day after the day on which the notice of
   withdrawal was given" (s.66A(9)), the notice date plus 30 days. Collections by mandate
   stop (the mandate belonged to the agreement); no late or failed-payment fee is charged.

2. **Repayment.** Any payment (from shares, cash, by bank) reduces the debt; the one that
   clears it, the credit and interest to the day of repayment, completes the withdrawal
   (status `withdrawn`). `withdraw_loan` gives notice if none was given and repays at once.

Not repaid by the repay-by date: the agreement is still withdrawn (the notice cannot be
taken back) and the debt stays owed and is pursued: it ages in arrears from that date,
interest accrues at the agreement's rate to the day it is repaid, still with no fee, and
write-off applies as to any debt. Paid later, it completes the withdrawal all the same.

Every loan transaction row equals its journal entry: the notice's row holds what left
each of the loan's accounts and what went back to the member's shares; the repayment's row
is an ordinary repayment's.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Final

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ledger.entry import EntryRequest, Line
from ledger.models import Posting
from ledger.money import Money
from ledger.ownership import Scope
from ledger.posting import post_entry
from loans.accrual import period_containing, replay_state
from loans.codec import product_from_json
from loans.errors import LoansConflict
from loans.models import (
    LoanInstalmentRow,
    LoanRow,
    LoanTransactionRow,
    PaymentSource,
    TransactionKind,
)
from loans.reschedule import PlannedInstalment
from loans.services.accounts import chart
from loans.services.amounts import Split, new_transaction, transaction_amounts
from loans.services.instalments import insert_rows
from loans.services.origination import fee_split
from loans.services.products import check_actor
from loans.services.repayments import (
    RepaymentKeyConflict,
    RepaymentResult,
    RepaymentSource,
    check_key,
    earlier_transaction,
    pay_off,
    source_account,
)
from loans.services.state import (
    accrual_row,
    balances,
    catch_up,
    lock_loan,
    require_active,
    store_state,
    terms_of,
)

WITHDRAWAL_DAYS: Final = 14
REPAY_WITHIN_DAYS: Final = 30


class WithdrawalPeriodOver(LoansConflict):
    pass


class WithdrawalNoticeGiven(LoansConflict):
    """Notice of withdrawal was already given for this loan."""


@dataclass(frozen=True, slots=True)
class WithdrawalNotice:
    loan_id: int
    given_on: dt.date
    repay_by: dt.date
    fees_refunded: Money  # every fee charged, refunded (upfront) or reversed
    interest_given_back: Money  # interest accrued on the fees
    entry_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class WithdrawalResult:
    loan_id: int
    paid: Money  # by the member now, from the source
    credit: Money  # the credit repaid now
    interest: Money  # interest on the credit to the day, repaid now
    fees_refunded: Money  # every fee charged, refunded or reversed at the notice
    entry_id: uuid.UUID | None  # the repayment's
    replayed: bool = False


def give_withdrawal_notice(
    session: Session,
    *,
    loan_id: int,
    business_date: dt.date,
    actor: str,
    scope: Scope,
    window_days: int = WITHDRAWAL_DAYS,
) -> WithdrawalNotice:
    """Record notice of withdrawal on `business_date`; the credit and interest fall due
    `REPAY_WITHIN_DAYS` later.

    Raises LoanNotFound, LoanNotActive, WithdrawalPeriodOver, WithdrawalNoticeGiven, and
    ledger refusals (PeriodClosed).
    """
    check_actor(actor)
    with session.begin_nested():
        loan = lock_loan(session, loan_id, scope=scope)
        return _give_notice(
            session, loan, business_date=business_date, actor=actor, window_days=window_days
        )


def withdraw_loan(
    session: Session,
    *,
    loan_id: int,
    source: RepaymentSource,
    idempotency_key: str,
    business_date: dt.date,
    actor: str,
    scope: Scope,
    window_days: int = WITHDRAWAL_DAYS,
) -> WithdrawalResult:
    """Repay the credit and interest to `business_date`, completing the withdrawal; notice
    is given now if it was not before (then at most `window_days` after disbursement).

    Raises LoanNotFound, LoanNotActive, WithdrawalPeriodOver, RepaymentKeyConflict,
    NotAShareAccount, and ledger refusals (InsufficientFunds).
    """
    check_actor(actor)
    check_key(idempotency_key)
    with session.begin_nested():
        loan = lock_loan(session, loan_id, scope=scope)
        key, earlier = earlier_transaction(session, loan, "withdraw", idempotency_key)
        if earlier is not None:
            if earlier.source is not source.kind:
                raise RepaymentKeyConflict("the idempotency key was used for another request")
            return _replayed(session, earlier, loan)
        require_active(loan)
        books = chart(session)
        account_id = source_account(session, source, loan=loan, books=books)
        if loan.withdrawal_notice_on is None:
            _give_notice(
                session, loan, business_date=business_date, actor=actor, window_days=window_days
            )
        paid = pay_off(
            session,
            loan=loan,
            account_id=account_id,
            source=source.kind,
            key=key,
            business_date=business_date,
            actor=actor,
            books=books,
        )
    return _result(session, paid, loan)


def _give_notice(
    session: Session, loan: LoanRow, *, business_date: dt.date, actor: str, window_days: int
) -> WithdrawalNotice:
    require_active(loan)
    if loan.withdrawal_notice_on is not None:
        raise WithdrawalNoticeGiven(
            f"notice of withdrawal from loan {loan.id} was given on {loan.withdrawal_notice_on}"
        )
    if (business_date - loan.disbursed_on).days > window_days:
        raise WithdrawalPeriodOver(
            f"loan {loan.id} was disbursed on {loan.disbursed_on}: the right to withdraw "
            f"lasts {window_days} days"
        )
    books = chart(session)
    catch_up(
        session, loan, through=business_date, actor=actor, interest_income_id=books.interest_income
    )
    terms = terms_of(loan)
    currency = loan.currency
    fees = fee_split(product_from_json(loan.terms))
    in_principal = fees.deducted + fees.added
    history = _credit_history(loan, _principal_paid(session, loan.id), in_principal.minor_units)
    on_credit, state = replay_state(terms, principal_changes=history, through=business_date)
    owed = balances(session, loan)
    given_back = _interest_accrued(session, loan) - Money.from_minor(on_credit, currency)
    # Interest the member already paid on the fees counts towards the credit, and what
    # the member paid beyond the credit goes back to their shares with an upfront fee.
    interest_cleared = min(given_back, owed.interest)
    principal_cleared = min(in_principal + given_back - interest_cleared, owed.principal)
    to_member = fees.upfront + in_principal + given_back - interest_cleared - principal_cleared
    zero = Money.zero(currency)
    deltas: dict[int, Money] = defaultdict(lambda: zero)
    deltas[loan.principal_account_id] -= principal_cleared
    deltas[loan.interest_account_id] -= interest_cleared
    deltas[loan.fees_account_id] -= owed.fees
    deltas[loan.disbursement_account_id] -= to_member
    for account, amount in _fees_credited_at_disbursement(session, loan).items():
        deltas[account] += amount
    deltas[books.fee_income] += owed.fees
    deltas[books.interest_income] += given_back
    lines = tuple(Line(account, delta) for account, delta in sorted(deltas.items()) if delta)
    entry_id = None
    if lines:
        entry_id = post_entry(
            session,
            EntryRequest(
                idempotency_key=f"loan:{loan.id}:withdrawal-notice",
                business_date=business_date,
                lines=lines,
                description=f"Loan {loan.id} withdrawn: fees refunded, interest on them given back",
                posted_by=actor,
                kind="loan.withdrawal",
                reference=f"loan:{loan.id}",
                metadata={
                    "interest_on_credit": on_credit,
                    "interest_given_back": given_back.minor_units,
                },
            ),
        ).id
    store_state(accrual_row(session, loan.id, lock=True), state)
    repay_by = business_date + dt.timedelta(days=REPAY_WITHIN_DAYS)
    loan.withdrawal_notice_on = business_date
    loan.withdrawal_repay_by = repay_by
    refunded = fees.total + owed.fees
    if entry_id is not None:
        session.add(
            new_transaction(
                loan,
                kind=TransactionKind.WITHDRAWAL,
                business_date=business_date,
                # What went back to the member's shares (an upfront fee) and what left each
                # of the loan's accounts: exactly the entry's lines on them.
                amount=to_member,
                split=Split(owed.fees, interest_cleared, principal_cleared),
                source=PaymentSource.SHARES if to_member else None,
                source_account_id=loan.disbursement_account_id if to_member else None,
                journal_entry_id=entry_id,
                idempotency_key=f"loan:{loan.id}:withdrawal-notice",
                actor=actor,
                note=f"notice of withdrawal; repay by {repay_by}; fees refunded or reversed: "
                f"{refunded}",
            )
        )
    session.flush()
    _one_amount_due(session, loan, repay_by)
    return WithdrawalNotice(
        loan_id=loan.id,
        given_on=business_date,
        repay_by=repay_by,
        fees_refunded=refunded,
        interest_given_back=given_back,
        entry_id=entry_id,
    )


def _one_amount_due(session: Session, loan: LoanRow, repay_by: dt.date) -> None:
    """The instalments not yet paid give way to one amount, everything owed, on `repay_by`."""
    session.execute(
        delete(LoanInstalmentRow).where(
            LoanInstalmentRow.loan_id == loan.id, LoanInstalmentRow.paid_on.is_(None)
        )
    )
    last_paid = session.scalar(
        select(func.max(LoanInstalmentRow.number)).where(LoanInstalmentRow.loan_id == loan.id)
    )
    number = max(period_containing(terms_of(loan), repay_by).number, (last_paid or 0) + 1)
    owed = balances(session, loan)
    # Instalment rows hold minor units (their currency is the loan's).
    due = PlannedInstalment(number, repay_by, owed.principal.minor_units, owed.interest.minor_units)
    insert_rows(session, loan_id=loan.id, rows=[due])
    loan.last_instalment_no = number
    loan.maturity_date = repay_by
    session.flush()


def _principal_paid(session: Session, loan_id: int) -> dict[dt.date, int]:
    """Principal repaid on each business date."""
    rows = session.execute(
        select(LoanTransactionRow.business_date, func.sum(LoanTransactionRow.principal_minor))
        .where(
            LoanTransactionRow.loan_id == loan_id,
            LoanTransactionRow.kind.in_((TransactionKind.REPAYMENT, TransactionKind.COLLECTION)),
        )
        .group_by(LoanTransactionRow.business_date)
        .order_by(LoanTransactionRow.business_date)
    ).all()
    return {day: int(principal) for day, principal in rows}


def _credit_history(
    loan: LoanRow, paid: dict[dt.date, int], in_principal: int
) -> list[tuple[dt.date, int]]:
    """The credit owed at each date's close: principal less the fees financed in it."""
    owed = loan.principal_minor
    history = [(loan.disbursed_on, max(owed - in_principal, 0))]
    for day, principal in paid.items():
        owed -= principal
        if day == loan.disbursed_on:
            history[0] = (day, max(owed - in_principal, 0))
        else:
            history.append((day, max(owed - in_principal, 0)))
    return history


def _interest_accrued(session: Session, loan: LoanRow) -> Money:
    """Every accrual posted: the debits to the loan's interest receivable."""
    total = session.scalar(
        select(func.coalesce(func.sum(Posting.amount_minor), 0)).where(
            Posting.account_id == loan.interest_account_id, Posting.amount_minor > 0
        )
    )
    return Money.from_minor(int(total or 0), loan.currency)


def _fees_credited_at_disbursement(session: Session, loan: LoanRow) -> dict[int, Money]:
    """The accounts the disbursement credited with the fees, and how much: reversed in full."""
    if loan.disbursement_entry_id is None:
        return {}
    rows = session.execute(
        select(Posting.account_id, func.sum(Posting.amount_minor))
        .where(
            Posting.entry_id == loan.disbursement_entry_id,
            Posting.account_id.not_in((loan.principal_account_id, loan.disbursement_account_id)),
        )
        .group_by(Posting.account_id)
    ).all()
    return {
        int(account): -Money.from_minor(int(amount), loan.currency)
        for account, amount in rows
        if amount
    }


def _result(session: Session, paid: RepaymentResult, loan: LoanRow) -> WithdrawalResult:
    return WithdrawalResult(
        loan_id=loan.id,
        paid=paid.amount,
        credit=paid.principal,
        interest=paid.interest,
        fees_refunded=_refunded(session, loan),
        entry_id=paid.entry_id,
        replayed=paid.replayed,
    )


def _refunded(session: Session, loan: LoanRow) -> Money:
    fees = fee_split(product_from_json(loan.terms))
    notice = session.scalar(
        select(LoanTransactionRow).where(
            LoanTransactionRow.idempotency_key == f"loan:{loan.id}:withdrawal-notice"
        )
    )
    if notice is None:
        return fees.total
    return fees.total + transaction_amounts(notice, loan).split.fees


def _replayed(session: Session, earlier: LoanTransactionRow, loan: LoanRow) -> WithdrawalResult:
    first = transaction_amounts(earlier, loan)
    return WithdrawalResult(
        loan_id=loan.id,
        paid=first.amount,
        credit=first.split.principal,
        interest=first.split.interest,
        fees_refunded=_refunded(session, loan),
        entry_id=earlier.journal_entry_id,
        replayed=True,
    )


__all__ = [
    "REPAY_WITHIN_DAYS",
    "WITHDRAWAL_DAYS",
    "WithdrawalNotice",
    "WithdrawalNoticeGiven",
    "WithdrawalPeriodOver",
    "WithdrawalResult",
    "give_withdrawal_notice",
    "withdraw_loan",
]
