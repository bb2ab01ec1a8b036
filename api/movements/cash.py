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

from api.commands import staff_command
from api.context import request_context
from api.movements.schemas import DepositIn, MovementOut, WithdrawalIn, WithdrawalOut
from api.problems import problem_responses
from api.transactions import DbSession, api_router
from creditunion.auth.roles import Permission
from creditunion.commands import CommandContext
from creditunion.shares import commands as shares
from creditunion.shares.movement_rules import DailyCashLimits

router = api_router(prefix="/cash", tags=["cash"])

Teller = Annotated[CommandContext, staff_command(Permission.CASH_TRANSACT, money=True)]
PENDING_RESPONSE: dict[int | str, dict[str, Any]] = {
    202: {
        "model": WithdrawalOut,
        "description": "Above the approval limit: awaiting a second staff user's approval.",
    }
}


@router.post("/deposits", status_code=201, responses=problem_responses(404, 409))
def deposit(session: DbSession, body: DepositIn, context: Teller) -> MovementOut:
    """Cash paid in at a till"""
    movement = shares.deposit_cash(
        session,
        context,
        share_account_id=body.account_id,
        amount=body.amount.to_money(),
        reference=body.reference,
    )
    return MovementOut.of(movement)


@router.post(
    "/withdrawals", status_code=201, responses={**PENDING_RESPONSE, **problem_responses(404, 409)}
)
def withdraw(
    request: Request, response: Response, session: DbSession, body: WithdrawalIn, context: Teller
) -> WithdrawalOut:
    """Cash paid out at a till (above the limit: pending approval, 202)"""
    settings = request_context(request).settings
    result = shares.withdraw_cash(
        session,
        context,
        share_account_id=body.account_id,
        amount=body.amount.to_money(),
        approval_limit=settings.withdrawal_approval_limit_money,
        daily_limits=DailyCashLimits(
            per_account=settings.withdrawal_daily_limit_account_money,
            per_member=settings.withdrawal_daily_limit_member_money,
        ),
        final=body.final,
        reference=body.reference,
    )
    if result.approval is not None:
        response.status_code = 202
    return WithdrawalOut.of(result)
