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

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Annotated, Any, Protocol

from fastapi import Depends
from sqlalchemy.orm import Session

from api.idempotency import IdempotencyContext, idempotency
from api.security import require
from api.transactions import get_session
from creditunion.auth.actor import Actor
from creditunion.auth.roles import Permission
from creditunion.business_date.service import business_date_or_first, current_business_date
from creditunion.commands import CommandContext, IdempotencyKey, member_context, staff_context
from creditunion.members.service import MemberNotFound
from ledger.deadline import Deadline, current_deadline


class ContextMaker(Protocol):
    def __call__(
        self,
        actor: Actor,
        *,
        business_date: dt.date,
        deadline: Deadline,
        idempotency: IdempotencyKey | None = None,
    ) -> CommandContext: ...


def _deadline() -> Deadline:
    deadline = current_deadline()
    assert deadline is not None, "api.transactions sets every request's deadline"
    return deadline


def _no_key() -> None:
    return None


def _member_context(
    actor: Actor,
    *,
    business_date: dt.date,
    deadline: Deadline,
    idempotency: IdempotencyKey | None = None,
) -> CommandContext:
    # A member login that lost its member has no records at all: 404, as for a stranger's.
    if actor.member_id is None:
        raise MemberNotFound("of this login")
    return member_context(
        actor, business_date=business_date, deadline=deadline, idempotency=idempotency
    )


def _command(permission: Permission, make: ContextMaker, key: Callable[..., object]) -> Any:
    def dependency(
        actor: Annotated[Actor, require(permission)],
        session: Annotated[Session, Depends(get_session)],
        idem: Annotated[IdempotencyContext | None, Depends(key)],
    ) -> CommandContext:
        held = None if idem is None else IdempotencyKey("http", str(idem.user_id), idem.key)
        return make(
            actor,
            business_date=current_business_date(session),
            deadline=_deadline(),
            idempotency=held,
        )

    return Depends(dependency)


def own_login_context(session: Session, actor: Actor, *, zone: zoneinfo.ZoneInfo) -> CommandContext:
    """The context of a login acting on its own sign-in (signing in, refreshing, signing
    out, changing its password): a member's own scope, else the staff scope. The caller
    has checked the credentials that make `actor` the one acting. A login may sign in before
    `creditunion init` set the business date (the first admin does); its records are then
    dated the day init would start at."""
    make = _member_context if actor.is_member else staff_context
    business_date = business_date_or_first(session, zone=zone)
    return make(actor, business_date=business_date, deadline=_deadline())


def staff_command(permission: Permission, *, money: bool = False) -> Any:
    """`Depends(...)` giving a staff (or operator) `CommandContext` after checking `permission`."""
    return _command(permission, staff_context, idempotency if money else _no_key)


def member_command(permission: Permission, *, money: bool = False) -> Any:
    """`Depends(...)` giving a member's own-scope `CommandContext` after checking `permission`."""
    return _command(permission, _member_context, idempotency if money else _no_key)
