"""Transfers between members' share accounts, made by staff."""

from __future__ import annotations

from typing import Annotated

from api import domain_problems  # noqa: F401  (registers the movements' problem types)
from api.domain import actor_label, business_date
from api.idempotency import IdempotencyDep
from api.problems import problem_responses
from api.schemas.movements import MovementOut, TransferIn
from api.security import require
from api.transactions import DbSession, api_router
from creditunion import audit
from creditunion.auth.actor import Actor
from creditunion.auth.roles import Permission
from creditunion.shares import movements

router = api_router(prefix="/transfers", tags=["transfers"])


@router.post(
    "",
    status_code=201,
    response_model=MovementOut,
    responses=problem_responses(404, 409),
    summary="Move money from one member's share account to another's",
)
def transfer(
    session: DbSession,
    body: TransferIn,
    idem: IdempotencyDep,
    actor: Annotated[Actor, require(Permission.TRANSFERS_CREATE)],
) -> MovementOut:
    """The recipient is named by account number, or by membership number (their oldest
    open instant-access account receives, else their oldest open account)."""
    today = business_date(session)
    amount = body.amount.to_money()
    movement = movements.transfer_to_member(
        session,
        from_share_account_id=body.from_account_id,
        amount=amount,
        actor=actor_label(actor),
        idempotency_key=idem.ledger_key(),
        business_date=today,
        member_id=None,
        to_membership_number=body.to_membership_number,
        to_account_number=body.to_account_number,
        reference=body.reference,
    )
    audit.record(
        session,
        actor=actor,
        action="transfer.create",
        target_type="share_account",
        target_id=body.from_account_id,
        summary={
            "amount": str(amount.amount),
            "currency": amount.currency,
            "to_account_number": body.to_account_number,
            "to_membership_number": body.to_membership_number,
            "entry_id": str(movement.entry_id),
        },
        business_date=today,
    )
    return MovementOut.of(movement)
