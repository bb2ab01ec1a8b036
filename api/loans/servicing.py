"""Loans as staff see and service them: reads, payments at the till, write-offs.

Loan officers, managers, tellers and auditors read any loan: its balances and arrears,
schedule, payments and journal entries. A teller takes a cash repayment at the till; a
loan officer or manager records a payment received by bank. A manager asks for a loan past
`CREDITUNION_LOAN_WRITE_OFF_AFTER_DAYS` days to be written off and another manager approves
it (`POST /v1/approvals/{id}/approve`); a manager records what is recovered after.
Every POST here moves money and needs an `Idempotency-Key`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from api.approvals.schemas import ApprovalOut
from api.commands import staff_command
from api.context import request_context
from api.domain import ID_MAX, business_date
from api.loans.schemas import (
    InstalmentOut,
    LoanDetailOut,
    LoanEntryOut,
    LoanTransactionOut,
    RecoveryIn,
    RecoveryOut,
    RepaymentOut,
    SettlementOut,
    StaffRepaymentIn,
    WithdrawalNoticeOut,
    WriteOffCandidateOut,
    WriteOffIn,
)
from api.loans.views import loan_detail_out, transaction_out, withdrawal_notice_out
from api.pagination import Page, PageRequest, paginate
from api.problems import problem_responses
from api.security import require
from api.transactions import DbSession, api_router
from creditunion.auth.roles import Permission
from creditunion.commands import CommandContext
from creditunion.lending import commands as lending
from creditunion.lending import reads
from creditunion.members.service import get_member
from ledger.ownership import STAFF, MemberScope
from loans.models import LoanStatus, PaymentSource
from loans.services import queries
from loans.services.arrears import write_off_candidates
from loans.services.repayments import settlement_figure

router = api_router(tags=["loans"])

LoanId = Annotated[int, Path(ge=1, le=ID_MAX, description="The loan's id.", examples=[1])]
MemberId = Annotated[int, Path(ge=1, le=ID_MAX, description="The member's id.", examples=[1])]
Reading = [require(Permission.LOANS_READ)]
Teller = Annotated[CommandContext, staff_command(Permission.CASH_TRANSACT, money=True)]
Officer = Annotated[CommandContext, staff_command(Permission.LOANS_MANAGE, money=True)]
WritesOff = Annotated[CommandContext, staff_command(Permission.LOANS_WRITE_OFF, money=True)]


def _loans_page(
    session: DbSession,
    page: PageRequest,
    *,
    member_id: int | None,
    status: LoanStatus | None,
    above_exempt_threshold: bool | None = None,
) -> Page[LoanDetailOut]:
    today = business_date(session)
    ids = reads.loan_ids(
        session,
        # One member's loans are those a scope of theirs holds.
        scope=STAFF if member_id is None else MemberScope(member_id),
        status=status,
        above_exempt_threshold=above_exempt_threshold,
        after_id=page.after_int() or 0,
        limit=page.fetch,
    )
    return page.build(
        ids,
        position=lambda loan_id: [loan_id],
        convert=lambda loan_id: loan_detail_out(session, loan_id, scope=STAFF, today=today),
    )


@router.get("/loans", dependencies=Reading)
def list_loans(
    session: DbSession,
    page: Annotated[PageRequest, Depends(paginate("loans"))],
    member_id: Annotated[int | None, Query(ge=1, le=ID_MAX)] = None,
    status: Annotated[LoanStatus | None, Query()] = None,
    above_exempt_threshold: Annotated[
        bool | None,
        Query(description="GB/NI: only loans made above (true) or within (false) 42.6% APR."),
    ] = None,
) -> Page[LoanDetailOut]:
    """Loans in id order, by member and status"""
    return _loans_page(
        session,
        page,
        member_id=member_id,
        status=status,
        above_exempt_threshold=above_exempt_threshold,
    )


@router.get("/members/{member_id}/loans", dependencies=Reading, responses=problem_responses(404))
def member_loans(
    session: DbSession,
    member_id: MemberId,
    page: Annotated[PageRequest, Depends(paginate("member-loans"))],
    status: Annotated[LoanStatus | None, Query()] = None,
) -> Page[LoanDetailOut]:
    """A member's loans, oldest first"""
    get_member(session, member_id=member_id)
    return _loans_page(session, page, member_id=member_id, status=status)


# Declared before /loans/{loan_id}, which it would otherwise be read as.
@router.get("/loans/write-off-candidates", dependencies=Reading)
def list_write_off_candidates(
    request: Request,
    session: DbSession,
    page: Annotated[PageRequest, Depends(paginate("write-off-candidates"))],
) -> Page[WriteOffCandidateOut]:
    """Active loans at least the write-off threshold past due, as last aged"""
    rows = write_off_candidates(
        session,
        min_days_past_due=request_context(request).settings.loan_write_off_after_days,
        after_id=page.after_int() or 0,
        limit=page.fetch,
    )
    return page.build(rows, position=lambda c: [c.loan_id], convert=WriteOffCandidateOut.of)


@router.get("/loans/{loan_id}", dependencies=Reading, responses=problem_responses(404))
def get_loan(session: DbSession, loan_id: LoanId) -> LoanDetailOut:
    """A loan: balances, arrears, next payment, settlement figure today"""
    return loan_detail_out(session, loan_id, scope=STAFF, today=business_date(session))


@router.get("/loans/{loan_id}/schedule", dependencies=Reading, responses=problem_responses(404))
def loan_schedule(session: DbSession, loan_id: LoanId) -> list[InstalmentOut]:
    """A loan's instalments, paid and to come"""
    rows = queries.loan_schedule(session, loan_id=loan_id, scope=STAFF)
    return [InstalmentOut.of(row) for row in rows]


@router.get("/loans/{loan_id}/transactions", dependencies=Reading, responses=problem_responses(404))
def loan_transactions(
    session: DbSession,
    loan_id: LoanId,
    page: Annotated[PageRequest, Depends(paginate("loan-transactions"))],
) -> Page[LoanTransactionOut]:
    """Money that moved on a loan (disbursement, payments, fees, write-off), in order"""
    rows = queries.loan_transactions(
        session, loan_id=loan_id, scope=STAFF, after_id=page.after_int() or 0, limit=page.fetch
    )
    return page.build(rows, position=lambda t: [t.id], convert=transaction_out(session, rows))


@router.get(
    "/loans/{loan_id}/ledger-entries", dependencies=Reading, responses=problem_responses(404)
)
def loan_ledger_entries(
    session: DbSession,
    loan_id: LoanId,
    page: Annotated[PageRequest, Depends(paginate("loan-ledger-entries"))],
) -> Page[LoanEntryOut]:
    """The loan's journal entries in sequence order, interest accruals included"""
    rows = queries.loan_ledger_entries(
        session, loan_id=loan_id, after_sequence=page.after_int() or 0, limit=page.fetch
    )
    return page.build(rows, position=lambda e: [e.sequence_no], convert=LoanEntryOut.of)


@router.get("/loans/{loan_id}/settlement", dependencies=Reading, responses=problem_responses(404))
def loan_settlement(session: DbSession, loan_id: LoanId) -> SettlementOut:
    """What clears the loan today"""
    view = queries.get_loan(session, loan_id=loan_id, scope=STAFF)
    on = max(business_date(session), view.accrued_through)
    return SettlementOut.of(settlement_figure(session, loan_id=loan_id, on=on, scope=STAFF))


def _staff_repayment(
    session: DbSession,
    context: CommandContext,
    *,
    loan_id: int,
    body: StaffRepaymentIn,
    source: PaymentSource,
) -> RepaymentOut:
    result = lending.staff_repayment(
        session,
        context,
        loan_id=loan_id,
        amount=body.amount.to_money(),
        source=source,
        reduce_balance=body.reduce_balance,
    )
    loan = loan_detail_out(session, loan_id, scope=STAFF, today=context.business_date)
    return RepaymentOut.of(result, loan)


@router.post(
    "/loans/{loan_id}/repayments/cash", status_code=201, responses=problem_responses(404, 409, 422)
)
def cash_repayment(
    session: DbSession, loan_id: LoanId, body: StaffRepaymentIn, context: Teller
) -> RepaymentOut:
    """A repayment in cash at the till"""
    return _staff_repayment(session, context, loan_id=loan_id, body=body, source=PaymentSource.CASH)


@router.post(
    "/loans/{loan_id}/repayments/external",
    status_code=201,
    responses=problem_responses(404, 409, 422),
)
def external_repayment(
    session: DbSession, loan_id: LoanId, body: StaffRepaymentIn, context: Officer
) -> RepaymentOut:
    """Record a repayment received by bank (standing order, faster payment)"""
    return _staff_repayment(
        session, context, loan_id=loan_id, body=body, source=PaymentSource.EXTERNAL
    )


@router.post(
    "/loans/{loan_id}/withdrawal-notice", status_code=201, responses=problem_responses(404, 409)
)
def record_withdrawal_notice(
    session: DbSession, loan_id: LoanId, context: Officer
) -> WithdrawalNoticeOut:
    """Record the member's notice of withdrawal (given by phone or at the branch)

    As the member's own notice: fees refunded or reversed now, the credit and interest
    due within 30 days; the member then repays from shares, in cash or by bank.
    """
    return withdrawal_notice_out(session, context, loan_id)


@router.post(
    "/loans/{loan_id}/write-off", status_code=202, responses=problem_responses(404, 409, 422)
)
def write_off(
    request: Request,
    session: DbSession,
    loan_id: LoanId,
    body: WriteOffIn,
    context: WritesOff,
) -> ApprovalOut:
    """Ask for a loan to be written off; a manager other than you approves it

    The loan must be past the write-off threshold. When approved
    (`POST /v1/approvals/{id}/approve`), the write-off clears the loan's accounts against
    the allowance for loan losses as far as it holds a provision, and impairment expense
    for the rest; accrual stops.
    """
    pending = lending.request_write_off(
        session,
        context,
        loan_id=loan_id,
        reason=body.reason,
        min_days_past_due=request_context(request).settings.loan_write_off_after_days,
    )
    return ApprovalOut.of(pending)


@router.post(
    "/loans/{loan_id}/recoveries", status_code=201, responses=problem_responses(404, 409, 422)
)
def record_recovery(
    session: DbSession, loan_id: LoanId, body: RecoveryIn, context: WritesOff
) -> RecoveryOut:
    """Money recovered on a written-off loan (never more than was written off)"""
    result = lending.recover(
        session,
        context,
        loan_id=loan_id,
        amount=body.amount.to_money(),
        source=body.payment_source,
    )
    return RecoveryOut.of(result)
