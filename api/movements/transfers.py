"""Transfers between members' share accounts, made by staff."""

from __future__ import annotations

from typing import Annotated

from api.commands import staff_command
from api.movements.schemas import MovementOut, TransferIn
from api.problems import problem_responses
from api.transactions import DbSession, api_router
from creditunion.auth.roles import Permission
from creditunion.commands import CommandContext
from creditunion.shares import commands as shares

router = api_router(prefix="/transfers", tags=["transfers"])

Transferring = Annotated[CommandContext, staff_command(Permission.TRANSFERS_CREATE, money=True)]


@router.post("", status_code=201, responses=problem_responses(404, 409))
def transfer(session: DbSession, body: TransferIn, context: Transferring) -> MovementOut:
    """Move money from one member's share account to another's

    The recipient is named by account number, or by membership number (their oldest
    open instant-access account receives, else their oldest open account).
    """
    movement = shares.transfer_to_member(
        session,
        context,
        from_share_account_id=body.from_account_id,
        amount=body.amount.to_money(),
        to_membership_number=body.to_membership_number,
        to_account_number=body.to_account_number,
        reference=body.reference,
    )
    return MovementOut.of(movement)
