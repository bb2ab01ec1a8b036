"""Payments out, as branch staff make, find and cancel them.

A teller pays out of a member's share account to that member's nominated account; above
the payment limit it waits for a manager's approval (`/v1/approvals`, kind `payment`).
A payment not yet in a file may be cancelled: its money goes back to the share account.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query

from api.commands import staff_command
from api.domain import ID_MAX
from api.pagination import Page, PageRequest, paginate
from api.payments.inputs import PaymentSettings
from api.payments.schemas import CancelIn, PaymentOut, PayoutIn
from api.problems import problem_responses
from api.security import require
from api.transactions import DbSession, api_router
from creditunion.auth.roles import Permission
from creditunion.commands import CommandContext
from creditunion.payments import commands, queries
from creditunion.payments.models import PaymentStatus
from creditunion.payments.outbound import PayoutRequest
from ledger.ownership import STAFF

router = api_router(prefix="/payments", tags=["payments"])

PaymentId = Annotated[int, Path(ge=1, le=ID_MAX, description="The payment's id.", examples=[1])]
Paying = Annotated[CommandContext, staff_command(Permission.PAYMENTS_CREATE, money=True)]


@router.post("", status_code=201, responses=problem_responses(404, 409, 422))
def pay_out(
    session: DbSession, body: PayoutIn, context: Paying, config: PaymentSettings
) -> PaymentOut:
    """Pay money out of a member's share account to their nominated account

    The money leaves the share account at once. Above the payment limit the payment waits
    for a manager's approval (`status` `awaiting_approval`, `approval_id`).
    """
    request = PayoutRequest(body.from_account_id, body.amount.to_money(), body.reference)
    return PaymentOut.of(commands.pay_out(session, context, request=request, config=config))


@router.get("", dependencies=[require(Permission.PAYMENTS_READ)])
def list_payments(
    session: DbSession,
    page: Annotated[PageRequest, Depends(paginate("payments"))],
    status: Annotated[PaymentStatus | None, Query()] = None,
) -> Page[PaymentOut]:
    """Payments out, oldest first (of one status if given)"""
    rows = queries.list_payments(
        session, scope=STAFF, status=status, after_id=page.after_int() or 0, limit=page.fetch
    )
    return page.build(rows, position=lambda v: [v.id], convert=PaymentOut.of)


@router.get(
    "/{payment_id}",
    dependencies=[require(Permission.PAYMENTS_READ)],
    responses=problem_responses(404),
)
def get_payment(session: DbSession, payment_id: PaymentId) -> PaymentOut:
    """One payment out"""
    return PaymentOut.of(queries.get_payment(session, payment_id=payment_id, scope=STAFF))


@router.post("/{payment_id}/cancel", responses=problem_responses(404, 409, 422))
def cancel_payment(
    session: DbSession, payment_id: PaymentId, body: CancelIn, context: Paying
) -> PaymentOut:
    """Cancel a payment not yet sent: its money goes back to the share account"""
    view = commands.cancel_payment(session, context, payment_id=payment_id, reason=body.reason)
    return PaymentOut.of(view)
