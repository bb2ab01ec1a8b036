"""Cash at a till and transfers, as commands: each runs in the caller's transaction and is
audited once from its result (see `creditunion.commands`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from creditunion.commands import Audited, CommandContext, ScopeMismatch, command
from creditunion.shares import member_transfers, movements
from creditunion.shares.movement_rules import DailyCashLimits
from creditunion.shares.movements import WithdrawalResult
from creditunion.shares.views import Movement
from ledger.money import Money
from ledger.ownership import MemberScope


def _amount(amount: Money) -> dict[str, str]:
    return {"amount": str(amount.amount), "currency": amount.currency}


@command(action="cash.deposit", target_type="share_account", moves_money=True)
def deposit_cash(
    session: Session,
    context: CommandContext,
    *,
    share_account_id: int,
    amount: Money,
    reference: str | None,
) -> Audited[Movement]:
    movement = movements.deposit_cash(
        session,
        share_account_id=share_account_id,
        amount=amount,
        actor=context.actor_ref,
        idempotency_key=context.ledger_key(),
        business_date=context.business_date,
        reference=reference,
    )
    summary = _amount(amount) | {"entry_id": str(movement.entry_id)}
    return Audited(movement, target_id=share_account_id, summary=summary)


@command(action="cash.withdrawal", target_type="share_account", moves_money=True)
def withdraw_cash(
    session: Session,
    context: CommandContext,
    *,
    share_account_id: int,
    amount: Money,
    approval_limit: Money,
    daily_limits: DailyCashLimits,
    final: bool,
    reference: str | None,
) -> Audited[WithdrawalResult]:
    result = movements.withdraw_cash(
        session,
        share_account_id=share_account_id,
        amount=amount,
        actor=context.actor_ref,
        idempotency_key=context.ledger_key(),
        business_date=context.business_date,
        approval_limit=approval_limit,
        daily_limits=daily_limits,
        final=final,
        reference=reference,
    )
    summary: dict[str, Any] = _amount(amount) | {"final": final, "status": result.status}
    if result.movement is not None:
        summary["entry_id"] = str(result.movement.entry_id)
    if result.approval is not None:
        summary["approval_id"] = result.approval.id
    return Audited(result, target_id=share_account_id, summary=summary)


@command(action="transfer.create", target_type="share_account", moves_money=True)
def transfer_to_member(
    session: Session,
    context: CommandContext,
    *,
    from_share_account_id: int,
    amount: Money,
    to_membership_number: str | None,
    to_account_number: str | None,
    reference: str | None,
) -> Audited[Movement]:
    """Staff move money from a member's account to another member's (named by account or
    membership number)."""
    movement = movements.transfer_to_member(
        session,
        from_share_account_id=from_share_account_id,
        amount=amount,
        actor=context.actor_ref,
        idempotency_key=context.ledger_key(),
        business_date=context.business_date,
        scope=context.scope,
        to_membership_number=to_membership_number,
        to_account_number=to_account_number,
        reference=reference,
    )
    summary = _amount(amount) | {
        "to_account_number": to_account_number,
        "to_membership_number": to_membership_number,
        "entry_id": str(movement.entry_id),
    }
    return Audited(movement, target_id=from_share_account_id, summary=summary)


@command(action="transfer.create", target_type="share_account", moves_money=True)
def transfer_from_own_account(
    session: Session,
    context: CommandContext,
    *,
    from_share_account_id: int,
    amount: Money,
    to_share_account_id: int | None,
    to_membership_number: str | None,
    reference: str | None,
) -> Audited[Movement]:
    """A member moves money to another of their accounts, or pays another member."""
    if not isinstance(context.scope, MemberScope):
        raise ScopeMismatch("a member moves money from their own accounts, in their own scope")
    movement = member_transfers.transfer_from_own_account(
        session,
        scope=context.scope,
        from_share_account_id=from_share_account_id,
        amount=amount,
        actor=context.actor_ref,
        idempotency_key=context.ledger_key(),
        business_date=context.business_date,
        to_share_account_id=to_share_account_id,
        to_membership_number=to_membership_number,
        reference=reference,
    )
    summary = _amount(amount) | {
        "to_account_id": to_share_account_id,
        "to_membership_number": to_membership_number,
        "entry_id": str(movement.entry_id),
    }
    return Audited(movement, target_id=from_share_account_id, summary=summary)
