"""A member's own records and money, from the mobile app: `/v1/me/...`.

Every account id is checked against the signed-in member: another member's account is
"not found" (404), exactly like an id that does not exist, so existence does not leak.
Paying another member is by membership number; the answer never shows the recipient's
account or anything about its balance.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from api.commands import member_command
from api.domain import ID_MAX
from api.members.schemas import MemberOut
from api.movements.schemas import MovementOut, MyTransferIn
from api.pagination import PageRequest, paginate
from api.problems import problem_responses
from api.security import require
from api.shares.schemas import ShareAccountOut, TransactionsPage
from api.statements import FromDate, ToDate, transactions_page
from api.transactions import DbSession, api_router
from creditunion.auth.actor import Actor
from creditunion.auth.roles import Permission
from creditunion.commands import CommandContext
from creditunion.members.service import MemberNotFound, get_member
from creditunion.shares import commands as shares
from creditunion.shares.service import get_share_account, list_member_share_accounts
from ledger.ownership import MemberScope

router = api_router(prefix="/me", tags=["me"])

AccountId = Annotated[
    int, Path(ge=1, le=ID_MAX, description="One of your share accounts.", examples=[1])
]
Member = Annotated[Actor, require(Permission.SELF_READ)]
Paying = Annotated[CommandContext, member_command(Permission.SELF_TRANSFER, money=True)]


def own_member_id(actor: Actor) -> int:
    """The signed-in member's id; a login without one has no records (404)."""
    if actor.member_id is None:
        raise MemberNotFound("of this login")
    return actor.member_id


def own_scope(actor: Actor) -> MemberScope:
    return MemberScope(own_member_id(actor))


@router.get("", responses=problem_responses(404))
def my_profile(session: DbSession, actor: Member) -> MemberOut:
    """My profile"""
    return MemberOut.of(get_member(session, member_id=own_member_id(actor)))


@router.get("/accounts")
def my_accounts(session: DbSession, actor: Member) -> list[ShareAccountOut]:
    """My share accounts, with ledger and available balances"""
    views = list_member_share_accounts(session, member_id=own_member_id(actor))
    return [ShareAccountOut.of(view) for view in views]


@router.get("/accounts/{account_id}", responses=problem_responses(404))
def my_account(session: DbSession, account_id: AccountId, actor: Member) -> ShareAccountOut:
    """One of my share accounts"""
    return ShareAccountOut.of(
        get_share_account(session, share_account_id=account_id, scope=own_scope(actor))
    )


@router.get("/accounts/{account_id}/transactions", responses=problem_responses(404))
def my_transactions(
    session: DbSession,
    account_id: AccountId,
    actor: Member,
    page: Annotated[PageRequest, Depends(paginate("my-transactions"))],
    from_date: FromDate = None,
    to_date: ToDate = None,
) -> TransactionsPage:
    """My transactions on one account, with a running balance, oldest first"""
    return transactions_page(
        session,
        account_id=account_id,
        scope=own_scope(actor),
        page=page,
        from_date=from_date,
        to_date=to_date,
    )


@router.post("/transfers", status_code=201, responses=problem_responses(404, 409))
def my_transfer(session: DbSession, body: MyTransferIn, context: Paying) -> MovementOut:
    """Move money to another of my accounts, or to another member"""
    movement = shares.transfer_from_own_account(
        session,
        context,
        from_share_account_id=body.from_account_id,
        amount=body.amount.to_money(),
        to_share_account_id=body.to_account_id,
        to_membership_number=body.to_membership_number,
        reference=body.reference,
    )
    return MovementOut.of(movement)
