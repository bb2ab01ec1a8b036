"""A loan's row: locking it, its accrual terms and state, its balances, catching accrual up.

Invariant the accrual relies on: the principal has not moved since the close of
`accrued_through`. Every command that moves principal first accrues interest up to its
business date (`catch_up`), and the close of business accrues a day before it collects.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.entry import EntryRequest, Line
from ledger.models import LedgerAccount
from ledger.money import Money
from ledger.ownership import Scope
from ledger.posting import post_entry
from ledger.transaction import require_transaction
from loans.accrual import (
    AccrualPeriod,
    AccrualState,
    AccrualTerms,
    accrue_through,
    closed,
    closing_minor,
)
from loans.allocation import Owed
from loans.daycount import DayCount
from loans.errors import LoansConflict, LoansNotFound
from loans.frequency import Frequency
from loans.models import LoanAccrualRow, LoanRow, LoanStatus
from loans.rate import InterestRate, RateBasis
from loans.services.amounts import Split


class LoanNotFound(LoansNotFound):
    pass


class LoanNotActive(LoansConflict):
    def __init__(self, loan_id: int, status: LoanStatus) -> None:
        super().__init__(f"loan {loan_id} is {status.value}")
        self.loan_id = loan_id
        self.status = status


@dataclass(frozen=True, slots=True)
class CatchUp:
    posted: Money
    entry_id: uuid.UUID | None


def lock_loan(session: Session, loan_id: int, *, scope: Scope) -> LoanRow:
    """The loan's row and its accrual state, locked to commit (loan first, as everywhere).

    In a member's scope, only if it is that member's loan.
    """
    require_transaction(session)
    row = session.get(LoanRow, loan_id, with_for_update=True, populate_existing=True)
    if row is None or not _in_scope(row, scope):
        raise LoanNotFound(f"no loan {loan_id}")
    accrual_row(session, loan_id, lock=True)
    return row


def accrual_row(session: Session, loan_id: int, *, lock: bool = False) -> LoanAccrualRow:
    row = session.get(LoanAccrualRow, loan_id, with_for_update=lock, populate_existing=True)
    assert row is not None, "every loan has its accrual state"
    return row


def get_loan_row(session: Session, loan_id: int, *, scope: Scope) -> LoanRow:
    row = session.get(LoanRow, loan_id, populate_existing=True)
    if row is None or not _in_scope(row, scope):
        raise LoanNotFound(f"no loan {loan_id}")
    return row


def _in_scope(row: LoanRow, scope: Scope) -> bool:
    return scope.member_id is None or row.member_id == scope.member_id


def require_active(row: LoanRow) -> None:
    if row.status is not LoanStatus.ACTIVE:
        raise LoanNotActive(row.id, row.status)


def terms_of(row: LoanRow) -> AccrualTerms:
    return AccrualTerms(
        rate=InterestRate(row.rate, RateBasis(row.rate_basis)),
        day_count=DayCount(row.day_count),
        frequency=Frequency(row.frequency),
        disbursed_on=row.disbursed_on,
        interest_rounding=row.interest_rounding,
    )


def state_of(row: LoanAccrualRow) -> AccrualState:
    return AccrualState(
        period=AccrualPeriod(
            row.period_no,
            row.period_start,
            row.period_end,
            row.period_whole_months,
            row.period_extra_days,
        ),
        accrued_through=row.accrued_through,
        units=Decimal(row.period_units),
        posted_minor=row.period_posted_minor,
    )


def store_state(row: LoanAccrualRow, state: AccrualState) -> None:
    row.period_no = state.period.number
    row.period_start = state.period.start
    row.period_end = state.period.end
    row.period_whole_months = state.period.whole_months
    row.period_extra_days = state.period.extra_days
    row.accrued_through = state.accrued_through
    row.period_units = state.units
    row.period_posted_minor = state.posted_minor


def balances(session: Session, row: LoanRow) -> Split:
    """What the loan owes now, from its three ledger accounts (debit-normal assets)."""
    ids = (row.principal_account_id, row.interest_account_id, row.fees_account_id)
    found = dict(
        session.execute(
            select(LedgerAccount.id, LedgerAccount.balance_minor)
            .where(LedgerAccount.id.in_(ids))
            .execution_options(populate_existing=True)
        ).all()
    )
    # Owed refuses a negative balance: a loan's accounts never hold a credit.
    owed = Owed(
        fees=int(found[row.fees_account_id]),
        interest=int(found[row.interest_account_id]),
        principal=int(found[row.principal_account_id]),
    )
    return Split.of(owed, row.currency)


def closing_interest(session: Session, row: LoanRow) -> Money:
    """The part period's interest, rounded in full, that clearing the loan today charges."""
    accrual = accrual_row(session, row.id)
    return Money.from_minor(closing_minor(terms_of(row), state_of(accrual)), row.currency)


def catch_up(
    session: Session,
    row: LoanRow,
    *,
    through: dt.date,
    actor: str,
    interest_income_id: int,
    closing: bool = False,
) -> CatchUp:
    """Accrue interest up to `through` and post it; with `closing`, round the part period too.

    The principal owed is the account's balance, unchanged since `accrued_through`.
    """
    accrual = accrual_row(session, row.id, lock=True)
    if through < accrual.accrued_through:
        raise LoansConflict(
            f"loan {row.id} is accrued through {accrual.accrued_through}, after {through}"
        )
    terms = terms_of(row)
    principal = balances(session, row).principal
    state, posted = accrue_through(
        terms, state_of(accrual), principal_minor=principal.minor_units, through=through
    )
    days = Money.from_minor(posted, row.currency)
    extra = Money.zero(row.currency)
    if closing:
        extra = Money.from_minor(closing_minor(terms, state), row.currency)
        state = closed(state, terms)
    store_state(accrual, state)
    entry_id = None
    if days:
        entry_id = _post_accrual(
            session,
            row,
            days,
            f"loan:{row.id}:accrual:{through}",
            through,
            actor,
            interest_income_id,
        )
    if extra:
        entry_id = _post_accrual(
            session,
            row,
            extra,
            f"loan:{row.id}:accrual-close:{through}",
            through,
            actor,
            interest_income_id,
        )
    session.flush()
    return CatchUp(days + extra, entry_id)


def _post_accrual(
    session: Session,
    row: LoanRow,
    amount: Money,
    key: str,
    business_date: dt.date,
    actor: str,
    interest_income_id: int,
) -> uuid.UUID:
    posted = post_entry(
        session,
        EntryRequest(
            idempotency_key=key,
            business_date=business_date,
            lines=(
                Line.debit(row.interest_account_id, amount),
                Line.credit(interest_income_id, amount),
            ),
            description=f"Loan {row.id} interest accrued to {business_date}",
            posted_by=actor,
            kind="loan.accrual",
            reference=f"loan:{row.id}",
        ),
    )
    return posted.id
