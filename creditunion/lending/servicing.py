"""Repayments, settlement and withdrawal from the member's shares; the till; recoveries.

A member pays from one of their own share accounts, checked and locked as a share
withdrawal is (`creditunion.lending.accounts`); the loan must be theirs (another member's
is not found, before anything about the account is looked at). Staff take cash at the
till or record a payment that came in by bank; a manager writes a loan off once it is
past the configured number of days and records what is recovered afterwards.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from creditunion.lending import accounts
from ledger.money import Money
from ledger.ownership import STAFF, MemberScope, Scope
from loans.models import PaymentSource
from loans.services.repayments import (
    RepaymentResult,
    RepaymentSource,
    repay,
    settle,
    settlement_figure,
)
from loans.services.state import get_loan_row
from loans.services.withdrawal import (
    WithdrawalNotice,
    WithdrawalResult,
    give_withdrawal_notice,
    withdraw_loan,
)
from loans.services.writeoff import RecoveryResult, record_recovery


def repay_from_shares(
    session: Session,
    *,
    loan_id: int,
    member_id: int,
    share_account_id: int,
    amount: Money,
    idempotency_key: str,
    actor: str,
    business_date: dt.date,
    reduce_balance: bool = False,
) -> RepaymentResult:
    scope = MemberScope(member_id)
    get_loan_row(session, loan_id, scope=scope)
    locked = accounts.account_to_pay_from(
        session,
        member_id=member_id,
        share_account_id=share_account_id,
        amount=amount,
        business_date=business_date,
    )
    return repay(
        session,
        loan_id=loan_id,
        amount=amount,
        source=RepaymentSource.shares(locked.account.ledger_account_id),
        idempotency_key=idempotency_key,
        business_date=business_date,
        actor=actor,
        scope=scope,
        reduce_balance=reduce_balance,
    )


def settle_from_shares(
    session: Session,
    *,
    loan_id: int,
    member_id: int,
    share_account_id: int,
    idempotency_key: str,
    actor: str,
    business_date: dt.date,
) -> RepaymentResult:
    """Pay today's settlement figure: interest to today only, no early-repayment charge."""
    scope = MemberScope(member_id)
    figure = settlement_figure(session, loan_id=loan_id, on=business_date, scope=scope)
    locked = accounts.account_to_pay_from(
        session,
        member_id=member_id,
        share_account_id=share_account_id,
        amount=figure.total,
        business_date=business_date,
    )
    return settle(
        session,
        loan_id=loan_id,
        source=RepaymentSource.shares(locked.account.ledger_account_id),
        idempotency_key=idempotency_key,
        business_date=business_date,
        actor=actor,
        scope=scope,
    )


def withdraw_from_shares(
    session: Session,
    *,
    loan_id: int,
    member_id: int,
    share_account_id: int,
    idempotency_key: str,
    actor: str,
    business_date: dt.date,
) -> WithdrawalResult:
    """The right to withdraw: notice (if not given before) and the repayment at once, from
    the member's shares.

    What it costs (credit outstanding and interest on it to the day) is worked out by the
    loans service as it posts; it must fit what the account had available, or the whole
    request is rolled back.
    """
    scope = MemberScope(member_id)
    loan = get_loan_row(session, loan_id, scope=scope)
    locked = accounts.account_to_pay_from(
        session,
        member_id=member_id,
        share_account_id=share_account_id,
        amount=Money.zero(loan.currency),
        business_date=business_date,
    )
    before = accounts.available(locked)
    result = withdraw_loan(
        session,
        loan_id=loan_id,
        source=RepaymentSource.shares(locked.account.ledger_account_id),
        idempotency_key=idempotency_key,
        business_date=business_date,
        actor=actor,
        scope=scope,
    )
    if not result.replayed:
        accounts.require_took_at_most(locked, taken=result.paid, available_before=before)
    return result


def give_notice(
    session: Session,
    *,
    loan_id: int,
    actor: str,
    business_date: dt.date,
    scope: Scope,
) -> WithdrawalNotice:
    """Notice of withdrawal, given by the member (in their scope: only their own loan) or
    recorded by staff (notice may be given orally): the credit and the interest on it are
    then due within 30 days, every fee refunded or reversed now."""
    return give_withdrawal_notice(
        session, loan_id=loan_id, business_date=business_date, actor=actor, scope=scope
    )


def _received(source: PaymentSource) -> RepaymentSource:
    """Money staff record as received: cash at the till or a payment by bank."""
    if source is PaymentSource.SHARES:
        raise ValueError("staff record cash or external payments; shares are the member's")
    return RepaymentSource.cash() if source is PaymentSource.CASH else RepaymentSource.external()


def staff_repayment(
    session: Session,
    *,
    loan_id: int,
    amount: Money,
    source: PaymentSource,
    idempotency_key: str,
    actor: str,
    business_date: dt.date,
    reduce_balance: bool = False,
) -> RepaymentResult:
    """Cash at the till (Dr cash in tills) or a payment received by bank (Dr bank clearing)."""
    return repay(
        session,
        loan_id=loan_id,
        amount=amount,
        source=_received(source),
        idempotency_key=idempotency_key,
        business_date=business_date,
        actor=actor,
        scope=STAFF,
        reduce_balance=reduce_balance,
    )


def recover(
    session: Session,
    *,
    loan_id: int,
    amount: Money,
    source: PaymentSource,
    idempotency_key: str,
    actor: str,
    business_date: dt.date,
) -> RecoveryResult:
    return record_recovery(
        session,
        loan_id=loan_id,
        amount=amount,
        source=_received(source),
        idempotency_key=idempotency_key,
        business_date=business_date,
        actor=actor,
    )
