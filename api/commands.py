"""The command context of a request: who acts, in whose scope, on which business date, by
when, and with which idempotency key. Endpoints declare it as one parameter, beside their
permission:

    def deposit(session: DbSession, body: DepositIn, context: Teller) -> MovementOut:
        return MovementOut.of(shares.deposit_cash(session, context, ...))

with `Teller = Annotated[CommandContext, staff_command(Permission.CASH_TRANSACT, money=True)]`.
`money=True` also claims the request's `Idempotency-Key` (required) for the signed-in user.

No `from __future__ import annotations` here: FastAPI reads the dependencies' annotations at
run time, and they name the closure's `permission`, which a string annotation cannot reach.
"""

from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy.orm import Session

from api.idempotency import IdempotencyContext, idempotency
from api.security import require
from api.transactions import get_session
from creditunion.auth.actor import Actor
from creditunion.auth.roles import Permission
from creditunion.business_date.service import current_business_date
from creditunion.commands import CommandContext, IdempotencyKey, member_context, staff_context
from creditunion.members.service import MemberNotFound
from ledger.deadline import Deadline, current_deadline


def _deadline() -> Deadline:
    deadline = current_deadline()
    assert deadline is not None, "api.transactions sets every request's deadline"
    return deadline


def _key(idem: IdempotencyContext) -> IdempotencyKey:
    return IdempotencyKey(namespace="http", owner=str(idem.user_id), key=idem.key)


def _own_member(actor: Actor) -> Actor:
    # A member login that lost its member has no records at all: 404, as for a stranger's.
    if actor.member_id is None:
        raise MemberNotFound("of this login")
    return actor


def staff_command(permission: Permission, *, money: bool = False) -> Any:
    """`Depends(...)` giving a staff (or operator) `CommandContext` after checking `permission`."""
    if money:

        def with_key(
            actor: Annotated[Actor, require(permission)],
            session: Annotated[Session, Depends(get_session)],
            idem: Annotated[IdempotencyContext, Depends(idempotency)],
        ) -> CommandContext:
            return staff_context(
                actor,
                business_date=current_business_date(session),
                deadline=_deadline(),
                idempotency=_key(idem),
            )

        return Depends(with_key)

    def without_key(
        actor: Annotated[Actor, require(permission)],
        session: Annotated[Session, Depends(get_session)],
    ) -> CommandContext:
        return staff_context(
            actor, business_date=current_business_date(session), deadline=_deadline()
        )

    return Depends(without_key)


def member_command(permission: Permission, *, money: bool = False) -> Any:
    """`Depends(...)` giving a member's own-scope `CommandContext` after checking `permission`."""
    if money:

        def with_key(
            actor: Annotated[Actor, require(permission)],
            session: Annotated[Session, Depends(get_session)],
            idem: Annotated[IdempotencyContext, Depends(idempotency)],
        ) -> CommandContext:
            return member_context(
                _own_member(actor),
                business_date=current_business_date(session),
                deadline=_deadline(),
                idempotency=_key(idem),
            )

        return Depends(with_key)

    def without_key(
        actor: Annotated[Actor, require(permission)],
        session: Annotated[Session, Depends(get_session)],
    ) -> CommandContext:
        return member_context(
            _own_member(actor), business_date=current_business_date(session), deadline=_deadline()
        )

    return Depends(without_key)
