"""The right to withdraw within 14 days of disbursement (the UK's CCA s.66A model).

The member repays the credit provided and the interest accrued on it to the day, and
nothing else: every fee is refunded or reversed (an upfront fee goes back to the shares
it was paid from), and interest accrued on a financed or deducted fee is given back.
What the member already paid counts towards it. One journal entry brings the loan's three
accounts to zero:

    Dr fee income            every fee charged (fees receivable included)
    Dr loan interest income  interest accrued beyond the interest on the credit
    Cr member's shares       upfront fees refunded
    Dr payment source        credit outstanding + interest on it to the day - paid
    Cr principal, interest receivable, fees receivable   their balances
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.entry import EntryRequest, Line
from ledger.models import Posting
from ledger.money import Money
from ledger.posting import post_entry
from loans.accrual import replay
from loans.codec import product_from_json
from loans.errors import LoansConflict
from loans.models import LoanRow, LoanStatus, LoanTransactionRow, TransactionKind
from loans.services.accounts import chart
from loans.services.instalments import close_rows
from loans.services.origination import fee_split
from loans.services.products import check_actor
from loans.services.repayments import (
    InvalidRepayment,
    RepaymentKeyConflict,
    RepaymentSource,
    source_account,
)
from loans.services.state import balances, catch_up, lock_loan, require_active, terms_of

WITHDRAWAL_DAYS: Final = 14


class WithdrawalPeriodOver(LoansConflict):
    pass


@dataclass(frozen=True, slots=True)
class WithdrawalResult:
    loan_id: int
    paid: Money  # by the member now, from the source (negative: paid back to them)
    credit: Money  # the credit still outstanding, repaid now
    interest: Money  # interest on the credit to the day, less interest already paid
    fees_refunded: Money  # every fee charged, refunded or reversed
    entry_id: uuid.UUID | None
    replayed: bool = False


def withdraw_loan(
    session: Session,
    *,
    loan_id: int,
    source: RepaymentSource,
    idempotency_key: str,
    business_date: dt.date,
    actor: str,
    member_id: int | None = None,
    window_days: int = WITHDRAWAL_DAYS,
) -> WithdrawalResult:
    """Withdraw from the agreement on `business_date` (at most `window_days` after disbursement).

    Raises LoanNotFound, LoanNotActive, WithdrawalPeriodOver, RepaymentKeyConflict,
    NotAShareAccount, and ledger refusals (InsufficientFunds).
    """
    check_actor(actor)
    if not idempotency_key.strip() or len(idempotency_key) > 100:
        raise InvalidRepayment("an idempotency key is 1 to 100 characters")
    with session.begin_nested():
        loan = lock_loan(session, loan_id, member_id=member_id)
        key = f"loan:{loan.id}:withdraw:{idempotency_key}"
        earlier = session.scalar(
            select(LoanTransactionRow).where(LoanTransactionRow.idempotency_key == key)
        )
        if earlier is not None:
            if earlier.source is not source.kind:
                raise RepaymentKeyConflict("the idempotency key was used for another request")
            return _replayed(earlier, loan)
        require_active(loan)
        if (business_date - loan.disbursed_on).days > window_days:
            raise WithdrawalPeriodOver(
                f"loan {loan.id} was disbursed on {loan.disbursed_on}: the right to withdraw "
                f"lasts {window_days} days"
            )
        books = chart(session)
        account_id = source_account(session, source, loan=loan, books=books)
        catch_up(
            session,
            loan,
            through=business_date,
            actor=actor,
            interest_income_id=books.interest_income,
            closing=True,
        )
        fees = fee_split(product_from_json(loan.terms))
        in_principal = (fees.deducted + fees.added).minor_units
        paid = _paid_so_far(session, loan.id)
        history = _credit_history(loan, paid, in_principal)
        interest_on_credit = replay(
            terms_of(loan), principal_changes=history, through=business_date, closing=True
        )
        accrued = _interest_accrued(session, loan.interest_account_id)
        owed = balances(session, loan)
        interest_paid = sum(part[1] for part in paid.values())
        given_back = accrued - interest_on_credit
        refund = fees.total.minor_units + owed.fees
        deltas: dict[int, int] = defaultdict(int)
        deltas[loan.principal_account_id] -= owed.principal
        deltas[loan.interest_account_id] -= owed.interest
        deltas[loan.fees_account_id] -= owed.fees
        deltas[books.fee_income] += refund
        deltas[books.interest_income] += given_back
        deltas[loan.disbursement_account_id] -= fees.upfront.minor_units
        from_member = owed.principal + owed.interest - in_principal - given_back
        deltas[account_id] += from_member
        currency = loan.currency
        lines = tuple(
            Line(account, Money.from_minor(delta, currency))
            for account, delta in sorted(deltas.items())
            if delta
        )
        entry_id = None
        if lines:
            entry_id = post_entry(
                session,
                EntryRequest(
                    idempotency_key=f"loan:{loan.id}:withdraw",
                    business_date=business_date,
                    lines=lines,
                    description=f"Loan {loan.id} withdrawn: credit and interest to date repaid",
                    posted_by=actor,
                    kind="loan.withdrawal",
                    reference=f"loan:{loan.id}",
                    metadata={"interest_on_credit": interest_on_credit, "fees_refunded": refund},
                ),
            ).id
        loan.status = LoanStatus.WITHDRAWN
        loan.withdrawn_on = business_date
        close_rows(session, loan_ids=[loan.id], business_date=business_date)
        session.add(
            LoanTransactionRow(
                loan_id=loan.id,
                kind=TransactionKind.WITHDRAWAL,
                business_date=business_date,
                amount_minor=max(from_member, 0),
                fees_minor=refund,  # for a withdrawal: the fees refunded or reversed
                interest_minor=max(interest_on_credit - interest_paid, 0),
                principal_minor=max(owed.principal - in_principal, 0),
                source=source.kind,
                source_account_id=account_id,
                journal_entry_id=entry_id,
                idempotency_key=key,
                actor=actor,
                note=f"fees refunded: {Money.from_minor(refund, currency)}",
            )
        )
        session.flush()
    return WithdrawalResult(
        loan_id=loan.id,
        paid=Money.from_minor(from_member, currency),
        credit=Money.from_minor(owed.principal - in_principal, currency),
        interest=Money.from_minor(interest_on_credit - interest_paid, currency),
        fees_refunded=Money.from_minor(refund, currency),
        entry_id=entry_id,
    )


def _paid_so_far(session: Session, loan_id: int) -> dict[dt.date, tuple[int, int]]:
    """(principal, interest) repaid on each business date."""
    rows = session.execute(
        select(
            LoanTransactionRow.business_date,
            func.sum(LoanTransactionRow.principal_minor),
            func.sum(LoanTransactionRow.interest_minor),
        )
        .where(
            LoanTransactionRow.loan_id == loan_id,
            LoanTransactionRow.kind.in_((TransactionKind.REPAYMENT, TransactionKind.COLLECTION)),
        )
        .group_by(LoanTransactionRow.business_date)
        .order_by(LoanTransactionRow.business_date)
    ).all()
    return {day: (int(principal), int(interest)) for day, principal, interest in rows}


def _credit_history(
    loan: LoanRow, paid: dict[dt.date, tuple[int, int]], in_principal: int
) -> list[tuple[dt.date, int]]:
    """The credit owed at each date's close: principal less the fees financed in it."""
    owed = loan.principal_minor
    history = [(loan.disbursed_on, max(owed - in_principal, 0))]
    for day, (principal, _) in paid.items():
        owed -= principal
        if day == loan.disbursed_on:
            history[0] = (day, max(owed - in_principal, 0))
        else:
            history.append((day, max(owed - in_principal, 0)))
    return history


def _interest_accrued(session: Session, interest_account_id: int) -> int:
    """Every accrual posted: the debits to the loan's interest receivable."""
    total = session.scalar(
        select(func.coalesce(func.sum(Posting.amount_minor), 0)).where(
            Posting.account_id == interest_account_id, Posting.amount_minor > 0
        )
    )
    return int(total or 0)


def _replayed(earlier: LoanTransactionRow, loan: LoanRow) -> WithdrawalResult:
    currency = loan.currency
    return WithdrawalResult(
        loan_id=loan.id,
        paid=Money.from_minor(earlier.amount_minor, currency),
        credit=Money.from_minor(earlier.principal_minor, currency),
        interest=Money.from_minor(earlier.interest_minor, currency),
        fees_refunded=Money.from_minor(earlier.fees_minor, currency),
        entry_id=earlier.journal_entry_id,
        replayed=True,
    )
