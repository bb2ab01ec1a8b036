"""A member's own loans, from the app: quote, apply, accept, repay, settle, withdraw.

Everything is the signed-in member's own: another member's application, offer or loan is
"not found" (404) exactly like an id that does not exist, and so is a share account of
another member's named to pay into or from. An application is decided at once: offered,
declined with every reason, or referred to a loan officer.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from api import loan_problems  # noqa: F401  (registers the loans' problem types)
from api.domain import ID_MAX, actor_label, business_date
from api.idempotency import IdempotencyDep
from api.loan_views import (
    audit_loan,
    loan_detail_out,
    loan_key,
    own_member_id,
    settings_of,
    transaction_out,
    withdrawal_notice_out,
)
from api.pagination import Page, PageRequest, paginate
from api.problems import problem_responses
from api.routers.loans_applications import audit_application
from api.schemas.loan_applications import (
    AcceptIn,
    ApplicationIn,
    ApplicationOut,
    LoanRequestIn,
    QuoteOut,
)
from api.schemas.loans import (
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
from api.security import require
from api.transactions import DbSession, api_router
from creditunion.auth.actor import Actor
from creditunion.auth.roles import Permission
from creditunion.lending import origination, reads, servicing
from loans.models import ApplicationStatus, LoanStatus
from loans.services import applications, queries
from loans.services.repayments import settlement_figure

router = api_router(prefix="/me", tags=["my loans"])

ApplicationId = Annotated[
    int, Path(ge=1, le=ID_MAX, description="One of your applications.", examples=[1])
]
LoanId = Annotated[int, Path(ge=1, le=ID_MAX, description="One of your loans.", examples=[1])]
Reader = Annotated[Actor, require(Permission.SELF_READ)]
Borrower = Annotated[Actor, require(Permission.LOANS_APPLY_SELF)]


# ------------------------------------------------------------------ quotes and applications


@router.post(
    "/loan-quotes",
    response_model=QuoteOut,
    responses=problem_responses(404, 422),
    summary="What a loan would cost me: APR, instalment, totals, schedule, disclosure",
)
def my_quote(
    request: Request, session: DbSession, body: LoanRequestIn, actor: Borrower
) -> QuoteOut:
    """A refusal is a 422 `loan-quote-refused` whose `codes` name every rule broken."""
    quote = origination.quote_for_member(
        session,
        member_id=own_member_id(actor),
        product_code=body.product_code,
        amount=body.amount.to_money(),
        term=body.term,
        frequency=body.frequency,
        settings=settings_of(request),
        business_date=business_date(session),
    )
    return QuoteOut.of(body.product_code, quote)


@router.post(
    "/loan-applications",
    status_code=201,
    response_model=ApplicationOut,
    responses=problem_responses(404, 422),
    summary="Apply for a loan: decided at once (offered, declined with reasons, or referred)",
)
def apply(
    request: Request, session: DbSession, body: ApplicationIn, actor: Borrower
) -> ApplicationOut:
    today = business_date(session)
    view = origination.apply_for_loan(
        session,
        member_id=own_member_id(actor),
        product_code=body.product_code,
        amount=body.amount.to_money(),
        term=body.term,
        frequency=body.frequency,
        purpose=body.purpose,
        statement=body.statement.statement(),
        refinances_existing=body.refinances_existing,
        settings=settings_of(request),
        business_date=today,
    )
    audit_application(session, actor, "loan_application.submit", view, today=today)
    return ApplicationOut.of(view)


@router.get(
    "/loan-applications",
    response_model=Page[ApplicationOut],
    summary="My applications, oldest first",
)
def my_applications(
    session: DbSession,
    actor: Reader,
    page: Annotated[PageRequest, Depends(paginate("my-loan-applications"))],
    status: Annotated[ApplicationStatus | None, Query()] = None,
) -> Page[ApplicationOut]:
    rows = applications.list_applications(
        session,
        status=status,
        member_id=own_member_id(actor),
        after_id=page.after_int() or 0,
        limit=page.fetch,
    )
    return page.build(rows, position=lambda v: [v.id], convert=ApplicationOut.of)


@router.get(
    "/loan-applications/{application_id}",
    response_model=ApplicationOut,
    responses=problem_responses(404),
    summary="One of my applications, with its decision and offer",
)
def my_application(
    session: DbSession, application_id: ApplicationId, actor: Reader
) -> ApplicationOut:
    view = applications.get_application(
        session, application_id=application_id, member_id=own_member_id(actor)
    )
    return ApplicationOut.of(view)


@router.post(
    "/loan-applications/{application_id}/withdraw",
    response_model=ApplicationOut,
    responses=problem_responses(404, 409),
    summary="Withdraw my application, or turn down its offer",
)
def withdraw_application(
    session: DbSession, application_id: ApplicationId, actor: Borrower
) -> ApplicationOut:
    today = business_date(session)
    view = applications.withdraw_application(
        session,
        application_id=application_id,
        member_id=own_member_id(actor),
        business_date=today,
    )
    audit_application(session, actor, "loan_application.withdraw", view, today=today)
    return ApplicationOut.of(view)


@router.post(
    "/loan-applications/{application_id}/accept",
    status_code=201,
    response_model=LoanDetailOut,
    responses=problem_responses(404, 409, 422),
    summary="Accept my offer: the loan is paid into my share account now",
)
def accept_offer(
    request: Request,
    session: DbSession,
    application_id: ApplicationId,
    body: AcceptIn,
    idem: IdempotencyDep,
    actor: Borrower,
) -> LoanDetailOut:
    """Priced again for today and checked again against every rule; one journal entry pays
    the loan (less any deducted fee) into the account and takes any fee to fee income.
    A loan that would cost more today than the offer (APR, instalment or total payable) is
    not made: 409 `loan-offer-repriced` with the offered and today's figures."""
    member_id = own_member_id(actor)
    today = business_date(session)
    loan_id = origination.accept(
        session,
        application_id=application_id,
        member_id=member_id,
        share_account_id=body.share_account_id,
        collection_mandate=body.collection_mandate,
        collection_account_id=body.collection_account_id,
        actor=actor_label(actor),
        settings=settings_of(request),
        business_date=today,
    )
    loan = loan_detail_out(session, loan_id, member_id=member_id, today=today)
    audit_loan(
        session,
        actor,
        "loan.disburse",
        loan_id,
        {
            "application_id": application_id,
            "amount": loan.amount.amount,
            "currency": loan.amount.currency,
            "share_account_id": body.share_account_id,
            "collection_account_id": loan.collection_account_id,
            "idempotency_key": idem.key,
        },
    )
    return loan


# ------------------------------------------------------------------------------ loans


@router.get("/loans", response_model=Page[LoanDetailOut], summary="My loans, oldest first")
def my_loans(
    session: DbSession,
    actor: Reader,
    page: Annotated[PageRequest, Depends(paginate("my-loans"))],
    status: Annotated[LoanStatus | None, Query()] = None,
) -> Page[LoanDetailOut]:
    member_id = own_member_id(actor)
    today = business_date(session)
    ids = reads.loan_ids(
        session,
        member_id=member_id,
        status=status,
        after_id=page.after_int() or 0,
        limit=page.fetch,
    )
    return page.build(
        ids,
        position=lambda loan_id: [loan_id],
        convert=lambda loan_id: loan_detail_out(session, loan_id, member_id=member_id, today=today),
    )


@router.get(
    "/loans/{loan_id}",
    response_model=LoanDetailOut,
    responses=problem_responses(404),
    summary="My loan: what I owe, my next payment, what clears it today",
)
def my_loan(session: DbSession, loan_id: LoanId, actor: Reader) -> LoanDetailOut:
    return loan_detail_out(
        session, loan_id, member_id=own_member_id(actor), today=business_date(session)
    )


@router.get(
    "/loans/{loan_id}/schedule",
    response_model=list[InstalmentOut],
    responses=problem_responses(404),
    summary="My loan's instalments, paid and to come",
)
def my_schedule(session: DbSession, loan_id: LoanId, actor: Reader) -> list[InstalmentOut]:
    rows = queries.loan_schedule(session, loan_id=loan_id, member_id=own_member_id(actor))
    return [InstalmentOut.of(row) for row in rows]


@router.get(
    "/loans/{loan_id}/transactions",
    response_model=Page[LoanTransactionOut],
    responses=problem_responses(404),
    summary="Money that moved on my loan, oldest first",
)
def my_transactions(
    session: DbSession,
    loan_id: LoanId,
    actor: Reader,
    page: Annotated[PageRequest, Depends(paginate("my-loan-transactions"))],
) -> Page[LoanTransactionOut]:
    rows = queries.loan_transactions(
        session,
        loan_id=loan_id,
        member_id=own_member_id(actor),
        after_id=page.after_int() or 0,
        limit=page.fetch,
    )
    return page.build(
        rows, position=lambda t: [loan_id, t.id], convert=transaction_out(session, rows)
    )


@router.get(
    "/loans/{loan_id}/settlement",
    response_model=SettlementOut,
    responses=problem_responses(404),
    summary="What clears my loan today: interest to today only, no early-repayment charge",
)
def my_settlement(session: DbSession, loan_id: LoanId, actor: Reader) -> SettlementOut:
    member_id = own_member_id(actor)
    view = queries.get_loan(session, loan_id=loan_id, member_id=member_id)
    on = max(business_date(session), view.accrued_through)
    return SettlementOut.of(settlement_figure(session, loan_id=loan_id, on=on, member_id=member_id))


@router.post(
    "/loans/{loan_id}/repayments",
    status_code=201,
    response_model=RepaymentOut,
    responses=problem_responses(404, 409, 422),
    summary="Repay from one of my share accounts (fees, then interest, then principal)",
)
def repay(
    session: DbSession,
    loan_id: LoanId,
    body: SharesRepaymentIn,
    idem: IdempotencyDep,
    actor: Borrower,
) -> RepaymentOut:
    """What is left after the instalments due pays the next instalment in advance (the
    collection on its date takes only the rest), or with `reduce_balance` reduces the
    balance; beyond the next instalment it shortens the term. The whole settlement figure
    settles the loan; more than that is refused (`payment-exceeds-balance`)."""
    member_id = own_member_id(actor)
    today = business_date(session)
    result = servicing.repay_from_shares(
        session,
        loan_id=loan_id,
        member_id=member_id,
        share_account_id=body.from_account_id,
        amount=body.amount.to_money(),
        idempotency_key=loan_key(idem),
        actor=actor_label(actor),
        business_date=today,
        reduce_balance=body.reduce_balance,
    )
    audit_loan(
        session,
        actor,
        "loan.repay",
        loan_id,
        {
            "source": "shares",
            "share_account_id": body.from_account_id,
            "amount": result.amount.amount,
            "currency": result.amount.currency,
            "reduce_balance": body.reduce_balance,
            "settled": result.settled,
            "entry_id": result.entry_id,
        },
    )
    loan = loan_detail_out(session, loan_id, member_id=member_id, today=today)
    return RepaymentOut.of(result, loan)


@router.post(
    "/loans/{loan_id}/settle",
    status_code=201,
    response_model=RepaymentOut,
    responses=problem_responses(404, 409, 422),
    summary="Settle my loan early from one of my share accounts",
)
def settle(
    session: DbSession,
    loan_id: LoanId,
    body: FromSharesIn,
    idem: IdempotencyDep,
    actor: Borrower,
) -> RepaymentOut:
    member_id = own_member_id(actor)
    today = business_date(session)
    result = servicing.settle_from_shares(
        session,
        loan_id=loan_id,
        member_id=member_id,
        share_account_id=body.from_account_id,
        idempotency_key=loan_key(idem),
        actor=actor_label(actor),
        business_date=today,
    )
    audit_loan(
        session,
        actor,
        "loan.settle",
        loan_id,
        {
            "share_account_id": body.from_account_id,
            "amount": result.amount.amount,
            "currency": result.amount.currency,
            "entry_id": result.entry_id,
        },
    )
    loan = loan_detail_out(session, loan_id, member_id=member_id, today=today)
    return RepaymentOut.of(result, loan)


@router.post(
    "/loans/{loan_id}/withdrawal-notice",
    status_code=201,
    response_model=WithdrawalNoticeOut,
    responses=problem_responses(404, 409),
    summary="Give notice that I withdraw from my loan agreement (within 14 days)",
)
def give_withdrawal_notice(
    session: DbSession, loan_id: LoanId, idem: IdempotencyDep, actor: Borrower
) -> WithdrawalNoticeOut:
    """Every fee is refunded or reversed now; I then repay the credit and the interest on it
    to the day I repay, within 30 days (`repay_by`), with `/withdraw` or any repayment.
    After the 14th day: 409 `loan-withdrawal-period-over`; a second notice: 409
    `loan-withdrawal-notice-given`."""
    return withdrawal_notice_out(
        session, actor, loan_id, idempotency_key=idem.key, member_id=own_member_id(actor)
    )


@router.post(
    "/loans/{loan_id}/withdraw",
    status_code=201,
    response_model=WithdrawalOut,
    responses=problem_responses(404, 409, 422),
    summary="Repay the credit and interest to today: the withdrawal is complete",
)
def withdraw(
    session: DbSession,
    loan_id: LoanId,
    body: FromSharesIn,
    idem: IdempotencyDep,
    actor: Borrower,
) -> WithdrawalOut:
    """I repay the credit and the interest on it to today, nothing else: every fee is
    refunded. Gives notice first if I had not (then after the 14th day: 409
    `loan-withdrawal-period-over`); after notice it may be used until the debt is repaid."""
    member_id = own_member_id(actor)
    today = business_date(session)
    result = servicing.withdraw_from_shares(
        session,
        loan_id=loan_id,
        member_id=member_id,
        share_account_id=body.from_account_id,
        idempotency_key=loan_key(idem),
        actor=actor_label(actor),
        business_date=today,
    )
    audit_loan(
        session,
        actor,
        "loan.withdraw",
        loan_id,
        {
            "share_account_id": body.from_account_id,
            "paid": result.paid.amount,
            "currency": result.paid.currency,
            "fees_refunded": result.fees_refunded.amount,
            "entry_id": result.entry_id,
        },
    )
    loan = loan_detail_out(session, loan_id, member_id=member_id, today=today)
    return WithdrawalOut.of(result, loan)


@router.put(
    "/loans/{loan_id}/collection-mandate",
    response_model=LoanDetailOut,
    responses=problem_responses(404, 409),
    summary="Collect my instalments from one of my share accounts, or stop collecting",
)
def set_mandate(
    session: DbSession, loan_id: LoanId, body: MandateIn, actor: Borrower
) -> LoanDetailOut:
    member_id = own_member_id(actor)
    origination.set_mandate(
        session,
        loan_id=loan_id,
        member_id=member_id,
        share_account_id=body.share_account_id,
        actor=actor_label(actor),
    )
    audit_loan(session, actor, "loan.mandate", loan_id, {"share_account_id": body.share_account_id})
    return loan_detail_out(session, loan_id, member_id=member_id, today=business_date(session))
