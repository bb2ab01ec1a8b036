"""Read models for staff and members: a loan, its schedule, payments, arrears, journal.

With `member_id`, each read returns only that member's loan (and LoanNotFound otherwise),
so a router can pass the caller's own member id and never leak another member's loan.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ledger.models import JournalEntry, Posting
from ledger.money import Money
from ledger.ownership import STAFF, Scope
from loans.daycount import DayCount
from loans.errors import LoansRefused
from loans.frequency import Frequency
from loans.models import (
    LoanInstalmentRow,
    LoanRow,
    LoanStatus,
    LoanTransactionRow,
    PaymentSource,
    TransactionKind,
)
from loans.rate import InterestRate, RateBasis
from loans.registry import disclosed_apr
from loans.services.amounts import instalment_amounts, transaction_amounts
from loans.services.repayments import SettlementFigure, settlement_of
from loans.services.state import accrual_row, balances, get_loan_row

PAGE_MAX: Final = 500
SCHEDULE_MAX: Final = 1_200


@dataclass(frozen=True, slots=True)
class NextPayment:
    number: int
    due_date: dt.date
    amount: Money  # for the last instalment: all the loan will owe on that date


@dataclass(frozen=True, slots=True)
class LoanView:
    id: int
    member_id: int
    application_id: int
    product_code: str
    rule_set: str
    status: LoanStatus
    amount: Money  # lent
    principal: Money  # scheduled at disbursement: amount + financed fees
    credit: Money  # credit provided (the APR's advance)
    fees_charged: Money
    apr: Decimal
    above_exempt_threshold: bool  # GB/NI: above 42.6% APR, a regulated agreement
    rate: InterestRate
    day_count: DayCount
    frequency: Frequency
    instalment: Money
    disbursed_on: dt.date
    maturity_date: dt.date
    principal_outstanding: Money
    interest_receivable: Money
    fees_receivable: Money
    accrued_through: dt.date
    days_past_due: int
    arrears_bucket: str
    arrears: Money
    settled_on: dt.date | None
    withdrawn_on: dt.date | None
    withdrawal_notice_on: dt.date | None  # notice of withdrawal given (CCA s.66A)
    withdrawal_repay_by: dt.date | None  # the credit and interest due by then
    written_off_on: dt.date | None
    written_off: Money
    recovered: Money
    disbursement_account_id: int
    collection_account_id: int | None
    next_payment: NextPayment | None

    @property
    def outstanding(self) -> Money:
        return self.principal_outstanding + self.interest_receivable + self.fees_receivable


@dataclass(frozen=True, slots=True)
class InstalmentView:
    number: int
    due_date: dt.date
    principal: Money
    interest: Money
    fees: Money  # late and failed-payment fees added to it
    paid: Money
    paid_on: dt.date | None
    late_fee_charged: bool

    @property
    def amount(self) -> Money:
        return self.principal + self.interest + self.fees


@dataclass(frozen=True, slots=True)
class TransactionView:
    id: int
    kind: TransactionKind
    business_date: dt.date
    amount: Money
    fees: Money
    interest: Money
    principal: Money
    source: PaymentSource | None
    account_id: int | None  # the ledger account the money came from or went to
    # A repayment's next instalment paid ahead and balance reduced (None: not kept).
    in_advance: Money | None
    balance_reduction: Money | None
    journal_entry_id: uuid.UUID | None
    actor: str
    note: str | None


@dataclass(frozen=True, slots=True)
class EntryLine:
    account_id: int
    role: str  # principal, interest, fees (the loan's own accounts) or other
    amount: Money  # positive debit, negative credit


@dataclass(frozen=True, slots=True)
class LoanEntry:
    id: uuid.UUID
    sequence_no: int
    business_date: dt.date
    kind: str
    description: str
    lines: tuple[EntryLine, ...]


@dataclass(frozen=True, slots=True)
class MemberLoan:
    loan: LoanView
    settlement: SettlementFigure  # what clears it today


def get_loan(session: Session, *, loan_id: int, scope: Scope) -> LoanView:
    row = get_loan_row(session, loan_id, scope=scope)
    return _view(session, row)


def loan_schedule(session: Session, *, loan_id: int, scope: Scope) -> list[InstalmentView]:
    row = get_loan_row(session, loan_id, scope=scope)
    rows = session.scalars(
        select(LoanInstalmentRow)
        .where(LoanInstalmentRow.loan_id == row.id)
        .order_by(LoanInstalmentRow.number)
        .limit(SCHEDULE_MAX)
    )
    return [_instalment_view(r, row) for r in rows]


def _instalment_view(instalment: LoanInstalmentRow, loan: LoanRow) -> InstalmentView:
    amounts = instalment_amounts(instalment, loan)
    return InstalmentView(
        number=instalment.number,
        due_date=instalment.due_date,
        principal=amounts.principal,
        interest=amounts.interest,
        fees=amounts.fees,
        paid=amounts.paid,
        paid_on=instalment.paid_on,
        late_fee_charged=instalment.late_fee_charged,
    )


def loan_transactions(
    session: Session,
    *,
    loan_id: int,
    scope: Scope,
    after_id: int = 0,
    limit: int = 100,
) -> list[TransactionView]:
    _check_page(limit)
    row = get_loan_row(session, loan_id, scope=scope)
    rows = session.scalars(
        select(LoanTransactionRow)
        .where(LoanTransactionRow.loan_id == row.id, LoanTransactionRow.id > after_id)
        .order_by(LoanTransactionRow.id)
        .limit(limit)
    )
    return [_transaction_view(t, row) for t in rows]


def _transaction_view(t: LoanTransactionRow, loan: LoanRow) -> TransactionView:
    amounts = transaction_amounts(t, loan)
    return TransactionView(
        id=t.id,
        kind=t.kind,
        business_date=t.business_date,
        amount=amounts.amount,
        fees=amounts.split.fees,
        interest=amounts.split.interest,
        principal=amounts.split.principal,
        source=t.source,
        account_id=t.source_account_id,
        in_advance=amounts.in_advance,
        balance_reduction=amounts.balance_reduction,
        journal_entry_id=t.journal_entry_id,
        actor=t.actor,
        note=t.note,
    )


def loan_ledger_entries(
    session: Session, *, loan_id: int, after_sequence: int = 0, limit: int = 100
) -> list[LoanEntry]:
    """The loan's journal entries in sequence order, accruals included.

    An entry of the loan's own (referenced `loan:{id}`) shows every line; an entry shared
    with other loans (a close of business posting many loans' accruals together) shows
    only this loan's lines. Staff read them, for any member's loan.
    """
    _check_page(limit)
    row = get_loan_row(session, loan_id, scope=STAFF)
    reference = f"loan:{row.id}"
    roles = {
        row.principal_account_id: "principal",
        row.interest_account_id: "interest",
        row.fees_account_id: "fees",
    }
    touching = select(Posting.entry_id).where(Posting.account_id.in_(list(roles)))
    entries = session.execute(
        select(
            JournalEntry.id,
            JournalEntry.sequence_no,
            JournalEntry.business_date,
            JournalEntry.kind,
            JournalEntry.description,
            JournalEntry.reference,
        )
        .where(
            or_(JournalEntry.reference == reference, JournalEntry.id.in_(touching)),
            JournalEntry.sequence_no > after_sequence,
        )
        .order_by(JournalEntry.sequence_no)
        .limit(limit)
    ).all()
    own = {entry.id for entry in entries if entry.reference == reference}
    lines: dict[uuid.UUID, list[EntryLine]] = {entry.id: [] for entry in entries}
    if entries:
        for entry_id, account_id, amount, currency in session.execute(
            select(Posting.entry_id, Posting.account_id, Posting.amount_minor, Posting.currency)
            .where(Posting.entry_id.in_(list(lines)))
            .order_by(Posting.id)
        ):
            role = roles.get(account_id, "other")
            if entry_id in own or role != "other":
                lines[entry_id].append(
                    EntryLine(account_id, role, Money.from_minor(amount, currency))
                )
    return [
        LoanEntry(e.id, e.sequence_no, e.business_date, e.kind, e.description, tuple(lines[e.id]))
        for e in entries
    ]


def member_loans(
    session: Session,
    *,
    member_id: int,
    business_date: dt.date,
    include_closed: bool = False,
    limit: int = 50,
) -> list[MemberLoan]:
    """The member's loans (active only unless asked), each with today's settlement figure."""
    _check_page(limit)
    query = select(LoanRow).where(LoanRow.member_id == member_id)
    if not include_closed:
        query = query.where(LoanRow.status == LoanStatus.ACTIVE)
    rows = session.scalars(query.order_by(LoanRow.id).limit(limit)).all()
    return [
        MemberLoan(
            _view(session, row),
            settlement_of(
                session, row, on=max(business_date, accrual_row(session, row.id).accrued_through)
            ),
        )
        for row in rows
    ]


def next_payment(session: Session, row: LoanRow) -> NextPayment | None:
    if row.status is not LoanStatus.ACTIVE:
        return None
    due = session.scalar(
        select(LoanInstalmentRow)
        .where(LoanInstalmentRow.loan_id == row.id, LoanInstalmentRow.paid_on.is_(None))
        .order_by(LoanInstalmentRow.number)
        .limit(1)
    )
    if due is None:
        return None
    if due.number == row.last_instalment_no:
        on = max(due.due_date, accrual_row(session, row.id).accrued_through)
        amount = settlement_of(session, row, on=on).total
    else:
        amount = instalment_amounts(due, row).unpaid
    return NextPayment(due.number, due.due_date, amount)


def _view(session: Session, row: LoanRow) -> LoanView:
    owed = balances(session, row)
    return LoanView(
        id=row.id,
        member_id=row.member_id,
        application_id=row.application_id,
        product_code=row.product_code,
        rule_set=row.rule_set,
        status=row.status,
        amount=row.amount,
        principal=row.principal,
        credit=row.credit,
        fees_charged=row.fees,
        apr=disclosed_apr(row.rule_set, row.apr),
        above_exempt_threshold=row.above_exempt_threshold,
        rate=InterestRate(row.rate, RateBasis(row.rate_basis)),
        day_count=DayCount(row.day_count),
        frequency=Frequency(row.frequency),
        instalment=row.instalment,
        disbursed_on=row.disbursed_on,
        maturity_date=row.maturity_date,
        principal_outstanding=owed.principal,
        interest_receivable=owed.interest,
        fees_receivable=owed.fees,
        accrued_through=accrual_row(session, row.id).accrued_through,
        days_past_due=row.days_past_due,
        arrears_bucket=row.arrears_bucket,
        arrears=row.arrears,
        settled_on=row.settled_on,
        withdrawn_on=row.withdrawn_on,
        withdrawal_notice_on=row.withdrawal_notice_on,
        withdrawal_repay_by=row.withdrawal_repay_by,
        written_off_on=row.written_off_on,
        written_off=row.written_off,
        recovered=row.recovered,
        disbursement_account_id=row.disbursement_account_id,
        collection_account_id=row.collection_account_id,
        next_payment=next_payment(session, row),
    )


def _check_page(limit: int) -> None:
    if not 1 <= limit <= PAGE_MAX:
        raise LoansRefused(f"a page holds 1 to {PAGE_MAX} items")
