"""Cash at a till: deposits and withdrawals against a member's share account.

A withdrawal above the configured limit (`CREDITUNION_WITHDRAWAL_APPROVAL_LIMIT`), or one
that would take the cash paid out in the business date from the account or from all the
member's accounts above `CREDITUNION_WITHDRAWAL_DAILY_LIMIT_ACCOUNT` / `_MEMBER`, posts
nothing: it is created pending, reserving its amount, and answered 202 with the approval
that a different staff user with `approvals:decide` must give
(`POST /v1/approvals/{id}/approve`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Request, Response

from api import domain_problems  # noqa: F401  (registers the movements' problem types)
from api.context import request_context
from api.domain import actor_label, business_date
from api.idempotency import IdempotencyDep
from api.problems import problem_responses
from api.schemas.movements import DepositIn, MovementOut, WithdrawalIn, WithdrawalOut
from api.security import require
from api.transactions import DbSession, api_router
from creditunion import audit
from creditunion.auth.actor import Actor
from creditunion.auth.roles import Permission
from creditunion.shares import movements
from creditunion.shares.movement_rules import DailyCashLimits

router = api_router(prefix="/cash", tags=["cash"])

Teller = Annotated[Actor, require(Permission.CASH_TRANSACT)]
PENDING_RESPONSE: dict[int | str, dict[str, Any]] = {
    202: {
        "model": WithdrawalOut,
        "description": "Above the approval limit: awaiting a second staff user's approval.",
    }
}


@router.post(
    "/deposits",
    status_code=201,
    response_model=MovementOut,
    responses=problem_responses(404, 409),
    summary="Cash paid in at a till",
)
def deposit(
    session: DbSession, body: DepositIn, idem: IdempotencyDep, actor: Teller
) -> MovementOut:
    today = business_date(session)
    amount = body.amount.to_money()
    movement = movements.deposit_cash(
        session,
        share_account_id=body.account_id,
        amount=amount,
        actor=actor_label(actor),
        idempotency_key=idem.ledger_key(),
        business_date=today,
        reference=body.reference,
    )
    audit.record(
        session,
        actor=actor,
        action="cash.deposit",
        target_type="share_account",
        target_id=body.account_id,
        summary={
            "amount": str(amount.amount),
            "currency": amount.currency,
            "entry_id": str(movement.entry_id),
        },
        business_date=today,
    )
    return MovementOut.of(movement)


@router.post(
    "/withdrawals",
    status_code=201,
    response_model=WithdrawalOut,
    responses={**PENDING_RESPONSE, **problem_responses(404, 409)},
    summary="Cash paid out at a till (above the limit: pending approval, 202)",
)
def withdraw(
    request: Request,
    response: Response,
    session: DbSession,
    body: WithdrawalIn,
    idem: IdempotencyDep,
    actor: Teller,
) -> WithdrawalOut:
    today = business_date(session)
    amount = body.amount.to_money()
    settings = request_context(request).settings
    result = movements.withdraw_cash(
        session,
        share_account_id=body.account_id,
        amount=amount,
        actor=actor_label(actor),
        idempotency_key=idem.ledger_key(),
        business_date=today,
        approval_limit=settings.withdrawal_approval_limit_money,
        daily_limits=DailyCashLimits(
            per_account=settings.withdrawal_daily_limit_account_money,
            per_member=settings.withdrawal_daily_limit_member_money,
        ),
        final=body.final,
        reference=body.reference,
    )
    summary: dict[str, Any] = {
        "amount": str(amount.amount),
        "currency": amount.currency,
        "final": body.final,
        "status": result.status,
    }
    if result.movement is not None:
        summary["entry_id"] = str(result.movement.entry_id)
    if result.approval is not None:
        summary["approval_id"] = result.approval.id
        response.status_code = 202
    audit.record(
        session,
        actor=actor,
        action="cash.withdrawal",
        target_type="share_account",
        target_id=body.account_id,
        summary=summary,
        business_date=today,
    )
    return WithdrawalOut.of(result)
