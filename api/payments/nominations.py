"""A member's nominated bank account, as branch staff see and set it.

A first nomination made at the branch, where staff have checked the member's identity, is
usable at once; one replacing another waits for the cooling-off period, as in the app.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from api.commands import staff_command
from api.domain import ID_MAX
from api.payments.inputs import PaymentSettings
from api.payments.schemas import NominatedAccountOut, NominationIn
from api.problems import problem_responses
from api.security import require
from api.transactions import DbSession, api_router
from creditunion.auth.roles import Permission
from creditunion.commands import CommandContext
from creditunion.payments import commands
from creditunion.payments.nominations import current_nomination
from ledger.ownership import STAFF

router = api_router(prefix="/members", tags=["payments"])

MemberId = Annotated[int, Path(ge=1, le=ID_MAX, description="The member's id.", examples=[1])]
Nominating = Annotated[CommandContext, staff_command(Permission.PAYMENTS_CREATE)]


@router.put("/{member_id}/nominated-account", responses=problem_responses(404, 409, 422))
def nominate_account(
    session: DbSession,
    member_id: MemberId,
    body: NominationIn,
    context: Nominating,
    config: PaymentSettings,
) -> NominatedAccountOut:
    """Nominate the bank account a member's payouts go to (replacing any other)"""
    view = commands.nominate_account(
        session, context, member_id=member_id, details=body.details(config.scheme), config=config
    )
    return NominatedAccountOut.of(view)


@router.get(
    "/{member_id}/nominated-account",
    dependencies=[require(Permission.PAYMENTS_READ)],
    responses=problem_responses(404),
)
def nominated_account(session: DbSession, member_id: MemberId) -> NominatedAccountOut:
    """A member's nominated bank account (404 while they have none)"""
    return NominatedAccountOut.of(current_nomination(session, member_id=member_id, scope=STAFF))
