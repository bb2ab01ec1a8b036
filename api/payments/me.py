"""A member's payments out, from the app: `/v1/me/nominated-account` and `/v1/me/payments`.

A member pays only to the one external account they nominated, from their own share
accounts. A nomination made (or changed) in the app is usable after the cooling-off
period: a payout made meanwhile is accepted and held until then. Another member's payment
or share account is "not found", exactly like an id that does not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query

from api.commands import member_command
from api.domain import ID_MAX
from api.pagination import Page, PageRequest, paginate
from api.payments.inputs import PaymentSettings
from api.payments.schemas import NominatedAccountOut, NominationIn, PaymentOut, PayoutIn
from api.problems import problem_responses
from api.transactions import DbSession, api_router
from creditunion.auth.roles import Permission
from creditunion.commands import CommandContext
from creditunion.payments import commands, queries
from creditunion.payments.models import PaymentStatus
from creditunion.payments.nominations import current_nomination
from creditunion.payments.outbound import PayoutRequest

router = api_router(prefix="/me", tags=["my payments"])

PaymentId = Annotated[int, Path(ge=1, le=ID_MAX, description="One of your payments.", examples=[1])]
# Reads take the member's context too, for its scope; they run no command.
Reader = Annotated[CommandContext, member_command(Permission.SELF_READ)]
Nominating = Annotated[CommandContext, member_command(Permission.SELF_PAYMENTS)]
Paying = Annotated[CommandContext, member_command(Permission.SELF_PAYMENTS, money=True)]


def own_member_id(context: CommandContext) -> int:
    member_id = context.scope.member_id
    assert member_id is not None, "member_command gives the member's own scope"
    return member_id


@router.put("/nominated-account", responses=problem_responses(404, 409, 422))
def nominate_my_account(
    session: DbSession, body: NominationIn, context: Nominating, config: PaymentSettings
) -> NominatedAccountOut:
    """Nominate the bank account my payouts go to (replacing any other)

    Usable after the cooling-off period (`usable_on`); payouts made before then are held
    until that day. The same account again changes nothing.
    """
    view = commands.nominate_account(
        session,
        context,
        member_id=own_member_id(context),
        details=body.details(config.scheme),
        config=config,
    )
    return NominatedAccountOut.of(view)


@router.get("/nominated-account", responses=problem_responses(404))
def my_nominated_account(session: DbSession, context: Reader) -> NominatedAccountOut:
    """My nominated bank account (404 while I have none)"""
    view = current_nomination(session, member_id=own_member_id(context), scope=context.scope)
    return NominatedAccountOut.of(view)


@router.post("/payments", status_code=201, responses=problem_responses(404, 409, 422))
def pay_me_out(
    session: DbSession, body: PayoutIn, context: Paying, config: PaymentSettings
) -> PaymentOut:
    """Pay money out of one of my share accounts to my nominated account

    The money leaves the share account at once. Above the payment limit the payment waits
    for staff approval (`status` `awaiting_approval`); a refusal or cancellation posts it
    back.
    """
    request = PayoutRequest(body.from_account_id, body.amount.to_money(), body.reference)
    return PaymentOut.of(commands.pay_out(session, context, request=request, config=config))


@router.get("/payments")
def my_payments(
    session: DbSession,
    context: Reader,
    page: Annotated[PageRequest, Depends(paginate("my-payments"))],
    status: Annotated[PaymentStatus | None, Query()] = None,
) -> Page[PaymentOut]:
    """My payments out, oldest first"""
    rows = queries.list_payments(
        session,
        scope=context.scope,
        status=status,
        after_id=page.after_int() or 0,
        limit=page.fetch,
    )
    return page.build(rows, position=lambda v: [v.id], convert=PaymentOut.of)


@router.get("/payments/{payment_id}", responses=problem_responses(404))
def my_payment(session: DbSession, payment_id: PaymentId, context: Reader) -> PaymentOut:
    """One of my payments out"""
    return PaymentOut.of(queries.get_payment(session, payment_id=payment_id, scope=context.scope))
