"""Loan applications as commands: the member applies, withdraws or accepts the offer (the
loan is made), a loan officer approves or declines a referral. Each runs in the caller's
transaction and is audited once (see `creditunion.commands`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from creditunion.commands import Audited, CommandContext, command
from creditunion.lending import origination
from creditunion.lending.accounts import share_account_ids
from creditunion.lending.commands import client_key, own_member_id
from creditunion.payments.config import payment_config
from creditunion.payments.disbursement import disburse_to_nominated_account
from creditunion.platform.settings import Settings
from ledger.money import Money
from loans.affordability import IncomeExpenditure
from loans.frequency import Frequency
from loans.services import applications, queries
from loans.services.applications import ApplicationView


def _audited(view: ApplicationView) -> Audited[ApplicationView]:
    summary: dict[str, Any] = {
        "member_id": view.member_id,
        "product_code": view.product_code,
        "amount": str(view.amount.amount),
        "currency": view.amount.currency,
        "status": view.status.value,
        "reasons": [reason.code for reason in view.reasons],
    }
    return Audited(view, target_id=view.id, summary=summary)


@command(action="loan_application.submit", target_type="loan_application")
def apply_for_loan(
    session: Session,
    context: CommandContext,
    *,
    product_code: str,
    amount: Money,
    term: int,
    frequency: Frequency,
    purpose: str,
    statement: IncomeExpenditure,
    refinances_existing: bool,
    settings: Settings,
) -> Audited[ApplicationView]:
    """The member applies; decided at once (offered, declined or referred)."""
    view = origination.apply_for_loan(
        session,
        member_id=own_member_id(context),
        product_code=product_code,
        amount=amount,
        term=term,
        frequency=frequency,
        purpose=purpose,
        statement=statement,
        refinances_existing=refinances_existing,
        settings=settings,
        business_date=context.business_date,
    )
    return _audited(view)


@command(action="loan_application.withdraw", target_type="loan_application")
def withdraw_application(
    session: Session, context: CommandContext, *, application_id: int
) -> Audited[ApplicationView]:
    """The member withdraws their application or turns its offer down."""
    view = applications.withdraw_application(
        session,
        application_id=application_id,
        member_id=own_member_id(context),
        business_date=context.business_date,
    )
    return _audited(view)


@command(action="loan_application.approve", target_type="loan_application")
def approve_referral(
    session: Session, context: CommandContext, *, application_id: int, note: str, settings: Settings
) -> Audited[ApplicationView]:
    view = origination.approve_referral(
        session,
        application_id=application_id,
        officer=context.actor_ref,
        note=note,
        settings=settings,
        business_date=context.business_date,
    )
    return _audited(view)


@command(action="loan_application.decline", target_type="loan_application")
def decline_referral(
    session: Session, context: CommandContext, *, application_id: int, note: str
) -> Audited[ApplicationView]:
    view = applications.decline_referral(
        session,
        application_id=application_id,
        officer=context.actor_ref,
        note=note,
        business_date=context.business_date,
    )
    return _audited(view)


@command(action="loan.disburse", target_type="loan", moves_money=True)
def accept_offer(
    session: Session,
    context: CommandContext,
    *,
    application_id: int,
    share_account_id: int,
    collection_mandate: bool,
    collection_account_id: int | None,
    settings: Settings,
    to_nominated_account: bool = False,
) -> Audited[int]:
    """The member accepts their offer: the loan is made and paid into their share account,
    and with `to_nominated_account` paid on from it to their nominated bank account.
    Returns the loan's id."""
    loan_id = origination.accept(
        session,
        application_id=application_id,
        member_id=own_member_id(context),
        share_account_id=share_account_id,
        collection_mandate=collection_mandate,
        collection_account_id=collection_account_id,
        actor=context.actor_ref,
        settings=settings,
        business_date=context.business_date,
    )
    payment_id = None
    if to_nominated_account:
        payment_id = disburse_to_nominated_account(
            session,
            loan_id=loan_id,
            share_account_id=share_account_id,
            scope=context.scope,
            config=payment_config(settings),
            actor=context.actor_ref,
            idempotency_key=context.ledger_key("to-nominated-account"),
            business_date=context.business_date,
        ).id
    loan = queries.get_loan(session, loan_id=loan_id, scope=context.scope)
    collector = loan.collection_account_id
    summary = {
        "application_id": application_id,
        "amount": loan.amount.amount,
        "currency": loan.amount.currency,
        "share_account_id": share_account_id,
        "collection_account_id": None
        if collector is None
        else share_account_ids(session, [collector]).get(collector),
        "idempotency_key": client_key(context),
        "payment_id": payment_id,
    }
    return Audited(loan_id, target_id=loan_id, summary=summary)
