"""A loan's servicing as commands: repayments, settlement, withdrawal and its notice, the
collection mandate, write-off requests and recoveries. Each runs in the caller's
transaction and is audited once, as `loan.*` on the loan (see `creditunion.commands`).

The loans services keep a client's idempotency key in at most 100 characters
(`loan_key`); the ledger's own form of it is `context.ledger_key()`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.orm import Session

from creditunion.approvals.views import ApprovalView
from creditunion.approvals.write_offs import request_write_off as ask_for_write_off
from creditunion.commands import (
    Audited,
    CommandContext,
    MissingIdempotencyKey,
    ScopeMismatch,
    command,
)
from creditunion.lending import origination, servicing
from ledger.money import Money
from loans.models import PaymentSource
from loans.services.repayments import KEY_LENGTH_MAX as LOAN_KEY_LENGTH_MAX
from loans.services.repayments import RepaymentResult
from loans.services.withdrawal import WithdrawalNotice, WithdrawalResult
from loans.services.writeoff import RecoveryResult


def client_key(context: CommandContext) -> str:
    """The key the client gave, as it appears in the audit record."""
    if context.idempotency is None:
        raise MissingIdempotencyKey()
    return context.idempotency.key


def loan_key(context: CommandContext) -> str:
    """The client's key as the loans services keep it, at most 100 characters: the ledger
    form `{namespace}:{owner}:{key}` when it fits, else `{namespace}:{owner}:sha256:{hex}`
    of the key. The same form every earlier version kept, so a retry still matches."""
    plain = context.ledger_key()
    if len(plain) <= LOAN_KEY_LENGTH_MAX:
        return plain
    held = context.idempotency
    assert held is not None, "ledger_key() refuses a context without a key"
    return f"{held.namespace}:{held.owner}:sha256:{hashlib.sha256(held.key.encode()).hexdigest()}"


def own_member_id(context: CommandContext) -> int:
    """The acting member, for what only a member does for themselves."""
    member_id = context.scope.member_id
    if member_id is None:
        raise ScopeMismatch("only a member does this, for their own loan")
    return member_id


def _repaid(result: RepaymentResult) -> dict[str, Any]:
    return {
        "amount": result.amount.amount,
        "currency": result.amount.currency,
        "settled": result.settled,
        "entry_id": result.entry_id,
    }


@command(action="loan.repay", target_type="loan", moves_money=True)
def repay_from_shares(
    session: Session,
    context: CommandContext,
    *,
    loan_id: int,
    share_account_id: int,
    amount: Money,
    reduce_balance: bool,
) -> Audited[RepaymentResult]:
    """The member repays from one of their share accounts."""
    result = servicing.repay_from_shares(
        session,
        loan_id=loan_id,
        member_id=own_member_id(context),
        share_account_id=share_account_id,
        amount=amount,
        idempotency_key=loan_key(context),
        actor=context.actor_ref,
        business_date=context.business_date,
        reduce_balance=reduce_balance,
    )
    summary = {
        "source": PaymentSource.SHARES.value,
        "share_account_id": share_account_id,
        "reduce_balance": reduce_balance,
    } | _repaid(result)
    return Audited(result, target_id=loan_id, summary=summary)


@command(action="loan.repay", target_type="loan", moves_money=True)
def staff_repayment(
    session: Session,
    context: CommandContext,
    *,
    loan_id: int,
    amount: Money,
    source: PaymentSource,
    reduce_balance: bool,
) -> Audited[RepaymentResult]:
    """Cash at the till, or a payment received by bank, recorded by staff."""
    result = servicing.staff_repayment(
        session,
        loan_id=loan_id,
        amount=amount,
        source=source,
        idempotency_key=loan_key(context),
        actor=context.actor_ref,
        business_date=context.business_date,
        reduce_balance=reduce_balance,
    )
    summary = {"source": source.value, "reduce_balance": reduce_balance} | _repaid(result)
    return Audited(result, target_id=loan_id, summary=summary)


@command(action="loan.settle", target_type="loan", moves_money=True)
def settle_from_shares(
    session: Session, context: CommandContext, *, loan_id: int, share_account_id: int
) -> Audited[RepaymentResult]:
    result = servicing.settle_from_shares(
        session,
        loan_id=loan_id,
        member_id=own_member_id(context),
        share_account_id=share_account_id,
        idempotency_key=loan_key(context),
        actor=context.actor_ref,
        business_date=context.business_date,
    )
    summary = {
        "share_account_id": share_account_id,
        "amount": result.amount.amount,
        "currency": result.amount.currency,
        "entry_id": result.entry_id,
    }
    return Audited(result, target_id=loan_id, summary=summary)


@command(action="loan.withdrawal_notice", target_type="loan", moves_money=True)
def give_withdrawal_notice(
    session: Session, context: CommandContext, *, loan_id: int
) -> Audited[WithdrawalNotice]:
    """The member's notice (their own loan), or staff's record of it (any loan); its fee
    refunds post to the ledger."""
    notice = servicing.give_notice(
        session,
        loan_id=loan_id,
        actor=context.actor_ref,
        business_date=context.business_date,
        scope=context.scope,
    )
    summary = {
        "repay_by": notice.repay_by,
        "fees_refunded": notice.fees_refunded.amount,
        "currency": notice.fees_refunded.currency,
        "entry_id": notice.entry_id,
        "idempotency_key": client_key(context),
    }
    return Audited(notice, target_id=loan_id, summary=summary)


@command(action="loan.withdraw", target_type="loan", moves_money=True)
def withdraw_from_shares(
    session: Session, context: CommandContext, *, loan_id: int, share_account_id: int
) -> Audited[WithdrawalResult]:
    result = servicing.withdraw_from_shares(
        session,
        loan_id=loan_id,
        member_id=own_member_id(context),
        share_account_id=share_account_id,
        idempotency_key=loan_key(context),
        actor=context.actor_ref,
        business_date=context.business_date,
    )
    summary = {
        "share_account_id": share_account_id,
        "paid": result.paid.amount,
        "currency": result.paid.currency,
        "fees_refunded": result.fees_refunded.amount,
        "entry_id": result.entry_id,
    }
    return Audited(result, target_id=loan_id, summary=summary)


@command(action="loan.mandate", target_type="loan")
def set_mandate(
    session: Session, context: CommandContext, *, loan_id: int, share_account_id: int | None
) -> Audited[None]:
    """The member's mandate to collect instalments from one of their accounts (None: stop)."""
    origination.set_mandate(
        session,
        loan_id=loan_id,
        member_id=own_member_id(context),
        share_account_id=share_account_id,
        actor=context.actor_ref,
    )
    return Audited(None, target_id=loan_id, summary={"share_account_id": share_account_id})


# Nothing posts until a second manager approves, but the approval is keyed by the request.
@command(action="loan.write_off_request", target_type="loan", moves_money=True)
def request_write_off(
    session: Session,
    context: CommandContext,
    *,
    loan_id: int,
    reason: str,
    min_days_past_due: int,
) -> Audited[ApprovalView]:
    pending = ask_for_write_off(
        session,
        loan_id=loan_id,
        actor=context.actor_ref,
        idempotency_key=context.ledger_key(),
        business_date=context.business_date,
        reason=reason,
        min_days_past_due=min_days_past_due,
    )
    summary = {
        "approval_id": pending.id,
        "reason": reason[:200],
        "idempotency_key": client_key(context),
    }
    return Audited(pending, target_id=loan_id, summary=summary)


@command(action="loan.recovery", target_type="loan", moves_money=True)
def recover(
    session: Session,
    context: CommandContext,
    *,
    loan_id: int,
    amount: Money,
    source: PaymentSource,
) -> Audited[RecoveryResult]:
    """Money recovered on a written-off loan, in cash or by bank."""
    result = servicing.recover(
        session,
        loan_id=loan_id,
        amount=amount,
        source=source,
        idempotency_key=loan_key(context),
        actor=context.actor_ref,
        business_date=context.business_date,
    )
    summary = {
        "source": source.value,
        "amount": result.amount.amount,
        "currency": result.amount.currency,
        "entry_id": result.entry_id,
    }
    return Audited(result, target_id=loan_id, summary=summary)
