"""A member's own loans, from the app: quote, apply, accept, repay, settle, withdraw.

Everything is the signed-in member's own: another member's application, offer or loan is
"not found" (404) exactly like an id that does not exist, and so is a share account of
another member's named to pay into or from. An application is decided at once: offered,
declined with every reason, or referred to a loan officer.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from api.commands import member_command
from api.context import request_context
from api.domain import ID_MAX
from api.loans.application_schemas import (
    AcceptIn,
    ApplicationIn,
    ApplicationOut,
    LoanRequestIn,
    QuoteOut,
)
from api.loans.schemas import (
    FromSharesIn,
    InstalmentOut,
    LoanDetailOut,
    LoanTransactionOut,
    MandateIn,
    RepaymentOut,
    SettlementOut,
    SharesRepaymentIn,
    WithdrawalNoticeOut,
    WithdrawalOut,
)
from api.loans.views import loan_detail_out, transaction_out, withdrawal_notice_out
from api.pagination import Page, PageRequest, paginate
from api.problems import problem_responses
from api.transactions import DbSession, api_router
from creditunion.auth.roles import Permission
from creditunion.commands import CommandContext
from creditunion.lending import application_commands, origination, reads
from creditunion.lending import commands as lending
from loans.models import ApplicationStatus, LoanStatus
from loans.services import applications, queries
from loans.services.repayments import settlement_figure

router = api_router(prefix="/me", tags=["my loans"])

ApplicationId = Annotated[
    int, Path(ge=1, le=ID_MAX, description="One of your applications.", examples=[1])
]
LoanId = Annotated[int, Path(ge=1, le=ID_MAX, description="One of your loans.", examples=[1])]
# Reads take the member's context too, for its scope and business date; they run no command.
Reader = Annotated[CommandContext, member_command(Permission.SELF_READ)]
Borrower = Annotated[CommandContext, member_command(Permission.LOANS_APPLY_SELF)]
Paying = Annotated[CommandContext, member_command(Permission.LOANS_APPLY_SELF, money=True)]


# ------------------------------------------------------------------ quotes and applications


@router.post("/loan-quotes", responses=problem_responses(404, 422))
def my_quote(
    request: Request, session: DbSession, body: LoanRequestIn, context: Borrower
) -> QuoteOut:
    """What a loan would cost me: APR, instalment, totals, schedule, disclosure

    A refusal is a 422 `loan-quote-refused` whose `codes` name every rule broken.
    """
    quote = origination.quote_for_member(
        session,
        member_id=lending.own_member_id(context),
        product_code=body.product_code,
        amount=body.amount.to_money(),
        term=body.term,
        frequency=body.frequency,
        settings=request_context(request).settings,
        business_date=context.business_date,
    )
    return QuoteOut.of(body.product_code, quote)


@router.post("/loan-applications", status_code=201, responses=problem_responses(404, 422))
def apply(
    request: Request, session: DbSession, body: ApplicationIn, context: Borrower
) -> ApplicationOut:
    """Apply for a loan: decided at once (offered, declined with reasons, or referred)"""
    view = application_commands.apply_for_loan(
        session,
        context,
        product_code=body.product_code,
        amount=body.amount.to_money(),
        term=body.term,
        frequency=body.frequency,
        purpose=body.purpose,
        statement=body.statement.statement(),
        refinances_existing=body.refinances_existing,
        settings=request_context(request).settings,
    )
    return ApplicationOut.of(view)


@router.get("/loan-applications")
def my_applications(
    session: DbSession,
    context: Reader,
    page: Annotated[PageRequest, Depends(paginate("my-loan-applications"))],
    status: Annotated[ApplicationStatus | None, Query()] = None,
) -> Page[ApplicationOut]:
    """My applications, oldest first"""
    rows = applications.list_applications(
        session,
        scope=context.scope,
        status=status,
        after_id=page.after_int() or 0,
        limit=page.fetch,
    )
    return page.build(rows, position=lambda v: [v.id], convert=ApplicationOut.of)


@router.get("/loan-applications/{application_id}", responses=problem_responses(404))
def my_application(
    session: DbSession, application_id: ApplicationId, context: Reader
) -> ApplicationOut:
    """One of my applications, with its decision and offer"""
    view = applications.get_application(session, application_id=application_id, scope=context.scope)
    return ApplicationOut.of(view)


@router.post("/loan-applications/{application_id}/withdraw", responses=problem_responses(404, 409))
def withdraw_application(
    session: DbSession, application_id: ApplicationId, context: Borrower
) -> ApplicationOut:
    """Withdraw my application, or turn down its offer"""
    view = application_commands.withdraw_application(
        session, context, application_id=application_id
    )
    return ApplicationOut.of(view)


@router.post(
    "/loan-applications/{application_id}/accept",
    status_code=201,
    responses=problem_responses(404, 409, 422),
)
def accept_offer(
    request: Request,
    session: DbSession,
    application_id: ApplicationId,
    body: AcceptIn,
    context: Paying,
) -> LoanDetailOut:
    """Accept my offer: the loan is paid into my share account now

    Priced again for today and checked again against every rule; one journal entry pays
    the loan (less any deducted fee) into the account and takes any fee to fee income.
    A loan that would cost more today than the offer (APR, instalment or total payable) is
    not made: 409 `loan-offer-repriced` with the offered and today's figures. With
    `to_nominated_account`, the loan is paid on to my nominated bank account in the same
    step (a payment I can follow under `/me/payments`); without a nominated account
    nothing is made (404).
    """
    loan_id = application_commands.accept_offer(
        session,
        context,
        application_id=application_id,
        share_account_id=body.share_account_id,
        collection_mandate=body.collection_mandate,
        collection_account_id=body.collection_account_id,
        settings=request_context(request).settings,
        to_nominated_account=body.to_nominated_account,
    )
    return _loan(session, context, loan_id)


# ------------------------------------------------------------------------------ loans


@router.get("/loans")
def my_loans(
    session: DbSession,
    context: Reader,
    page: Annotated[PageRequest, Depends(paginate("my-loans"))],
    status: Annotated[LoanStatus | None, Query()] = None,
) -> Page[LoanDetailOut]:
    """My loans, oldest first"""
    ids = reads.loan_ids(
        session,
        scope=context.scope,
        status=status,
        after_id=page.after_int() or 0,
        limit=page.fetch,
    )
    return page.build(
        ids,
        position=lambda loan_id: [loan_id],
        convert=lambda loan_id: _loan(session, context, loan_id),
    )


@router.get("/loans/{loan_id}", responses=problem_responses(404))
def my_loan(session: DbSession, loan_id: LoanId, context: Reader) -> LoanDetailOut:
    """My loan: what I owe, my next payment, what clears it today"""
    return _loan(session, context, loan_id)


@router.get("/loans/{loan_id}/schedule", responses=problem_responses(404))
def my_schedule(session: DbSession, loan_id: LoanId, context: Reader) -> list[InstalmentOut]:
    """My loan's instalments, paid and to come"""
    rows = queries.loan_schedule(session, loan_id=loan_id, scope=context.scope)
    return [InstalmentOut.of(row) for row in rows]


@router.get("/loans/{loan_id}/transactions", responses=problem_responses(404))
def my_transactions(
    session: DbSession,
    loan_id: LoanId,
    context: Reader,
    page: Annotated[PageRequest, Depends(paginate("my-loan-transactions"))],
) -> Page[LoanTransactionOut]:
    """Money that moved on my loan, oldest first"""
    rows = queries.loan_transactions(
        session,
        loan_id=loan_id,
        scope=context.scope,
        after_id=page.after_int() or 0,
        limit=page.fetch,
    )
    return page.build(
        rows, position=lambda t: [loan_id, t.id], convert=transaction_out(session, rows)
    )


@router.get("/loans/{loan_id}/settlement", responses=problem_responses(404))
def my_settlement(session: DbSession, loan_id: LoanId, context: Reader) -> SettlementOut:
    """What clears my loan today: interest to today only, no early-repayment charge"""
    view = queries.get_loan(session, loan_id=loan_id, scope=context.scope)
    on = max(context.business_date, view.accrued_through)
    figure = settlement_figure(session, loan_id=loan_id, on=on, scope=context.scope)
    return SettlementOut.of(figure)


@router.post(
    "/loans/{loan_id}/repayments", status_code=201, responses=problem_responses(404, 409, 422)
)
def repay(
    session: DbSession,
    loan_id: LoanId,
    body: SharesRepaymentIn,
    context: Paying,
) -> RepaymentOut:
    """Repay from one of my share accounts (fees, then interest, then principal)

    What is left after the instalments due pays the next instalment in advance (the
    collection on its date takes only the rest), or with `reduce_balance` reduces the
    balance; beyond the next instalment it shortens the term. The whole settlement figure
    settles the loan; more than that is refused (`payment-exceeds-balance`).
    """
    result = lending.repay_from_shares(
        session,
        context,
        loan_id=loan_id,
        share_account_id=body.from_account_id,
        amount=body.amount.to_money(),
        reduce_balance=body.reduce_balance,
    )
    return RepaymentOut.of(result, _loan(session, context, loan_id))


@router.post("/loans/{loan_id}/settle", status_code=201, responses=problem_responses(404, 409, 422))
def settle(
    session: DbSession, loan_id: LoanId, body: FromSharesIn, context: Paying
) -> RepaymentOut:
    """Settle my loan early from one of my share accounts"""
    result = lending.settle_from_shares(
        session, context, loan_id=loan_id, share_account_id=body.from_account_id
    )
    return RepaymentOut.of(result, _loan(session, context, loan_id))


@router.post(
    "/loans/{loan_id}/withdrawal-notice", status_code=201, responses=problem_responses(404, 409)
)
def give_withdrawal_notice(
    session: DbSession, loan_id: LoanId, context: Paying
) -> WithdrawalNoticeOut:
    """Give notice that I withdraw from my loan agreement (within 14 days)

    Every fee is refunded or reversed now; I then repay the credit and the interest on it
    to the day I repay, within 30 days (`repay_by`), with `/withdraw` or any repayment.
    After the 14th day: 409 `loan-withdrawal-period-over`; a second notice: 409
    `loan-withdrawal-notice-given`.
    """
    return withdrawal_notice_out(session, context, loan_id)


@router.post(
    "/loans/{loan_id}/withdraw", status_code=201, responses=problem_responses(404, 409, 422)
)
def withdraw(
    session: DbSession, loan_id: LoanId, body: FromSharesIn, context: Paying
) -> WithdrawalOut:
    """Repay the credit and interest to today: the withdrawal is complete

    I repay the credit and the interest on it to today, nothing else: every fee is
    refunded. Gives notice first if I had not (then after the 14th day: 409
    `loan-withdrawal-period-over`); after notice it may be used until the debt is repaid.
    """
    result = lending.withdraw_from_shares(
        session, context, loan_id=loan_id, share_account_id=body.from_account_id
    )
    return WithdrawalOut.of(result, _loan(session, context, loan_id))


@router.put("/loans/{loan_id}/collection-mandate", responses=problem_responses(404, 409))
def set_mandate(
    session: DbSession, loan_id: LoanId, body: MandateIn, context: Borrower
) -> LoanDetailOut:
    """Collect my instalments from one of my share accounts, or stop collecting"""
    lending.set_mandate(session, context, loan_id=loan_id, share_account_id=body.share_account_id)
    return _loan(session, context, loan_id)


def _loan(session: DbSession, context: CommandContext, loan_id: int) -> LoanDetailOut:
    """The member's loan as it stands now, with what clears it today."""
    return loan_detail_out(session, loan_id, scope=context.scope, today=context.business_date)
