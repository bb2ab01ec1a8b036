"""Money received for members that matched no one: the staff work queue of credits in
suspense, each assigned to the share account it was meant for or sent back to the payer."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query

from api.commands import staff_command
from api.domain import ID_MAX
from api.pagination import Page, PageRequest, paginate
from api.payments.schemas import AssignIn, IncomingCreditOut, NoteIn, PaymentOut
from api.problems import problem_responses
from api.security import require
from api.transactions import DbSession, api_router
from creditunion.auth.roles import Permission
from creditunion.commands import CommandContext
from creditunion.payments import commands
from creditunion.payments.incoming import list_credits
from creditunion.payments.models import CreditStatus

router = api_router(prefix="/incoming-credits", tags=["payments"])

CreditId = Annotated[
    int, Path(ge=1, le=ID_MAX, description="The incoming credit's id.", examples=[1])
]
# Both post (suspense to a member, or suspense to a payment back), so they take a key.
Resolving = Annotated[CommandContext, staff_command(Permission.PAYMENTS_MANAGE, money=True)]


@router.get("", dependencies=[require(Permission.PAYMENTS_READ)])
def list_incoming_credits(
    session: DbSession,
    page: Annotated[PageRequest, Depends(paginate("incoming-credits"))],
    status: Annotated[
        CreditStatus | None, Query(description="`unmatched`: the credits in suspense.")
    ] = None,
) -> Page[IncomingCreditOut]:
    """Credits received for members, oldest first (of one status if given)"""
    rows = list_credits(session, status=status, after_id=page.after_int() or 0, limit=page.fetch)
    return page.build(rows, position=lambda v: [v.id], convert=IncomingCreditOut.of)


@router.post("/{credit_id}/assign", responses=problem_responses(404, 409, 422))
def assign_credit(
    session: DbSession, credit_id: CreditId, body: AssignIn, context: Resolving
) -> IncomingCreditOut:
    """Post a credit in suspense to the share account it was meant for"""
    view = commands.assign_credit(
        session, context, credit_id=credit_id, share_account_id=body.account_id, note=body.note
    )
    return IncomingCreditOut.of(view)


@router.post("/{credit_id}/return", status_code=201, responses=problem_responses(404, 409, 422))
def return_credit(
    session: DbSession, credit_id: CreditId, body: NoteIn, context: Resolving
) -> PaymentOut:
    """Send a credit in suspense back to the payer: a payment out, in the next file"""
    view = commands.return_credit(session, context, credit_id=credit_id, note=body.note)
    return PaymentOut.of(view)
