"""Share accounts, as staff see them: open, read, statements, repayment mandate, close."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from api.commands import staff_command
from api.domain import ID_MAX
from api.pagination import PageRequest, paginate
from api.problems import problem_responses
from api.security import require
from api.shares.schemas import (
    RepaymentMandateIn,
    ShareAccountOpenIn,
    ShareAccountOut,
    TransactionsPage,
)
from api.statements import FromDate, ToDate, transactions_page
from api.transactions import DbSession, api_router
from creditunion.auth.roles import Permission
from creditunion.commands import CommandContext
from creditunion.shares import account_commands
from creditunion.shares import service as shares
from ledger.ownership import STAFF

router = api_router(prefix="/share-accounts", tags=["share accounts"])

AccountId = Annotated[
    int, Path(ge=1, le=ID_MAX, description="The share account's id.", examples=[1])
]
Manager = Annotated[CommandContext, staff_command(Permission.ACCOUNTS_MANAGE)]


@router.post("", status_code=201, responses=problem_responses(404, 409))
def open_account(session: DbSession, body: ShareAccountOpenIn, context: Manager) -> ShareAccountOut:
    """Open a share account for a pending or active member"""
    account = account_commands.open_share_account(
        session,
        context,
        member_id=body.member_id,
        product_code=body.product_code,
        repayment_mandate=body.repayment_mandate,
    )
    return ShareAccountOut.of(account)


@router.get(
    "/by-number/{account_number}",
    dependencies=[require(Permission.ACCOUNTS_READ)],
    responses=problem_responses(404),
)
def get_account_by_number(
    session: DbSession,
    account_number: Annotated[
        str, Path(min_length=8, max_length=20, pattern=r"^[0-9][0-9 -]*[0-9]$")
    ],
) -> ShareAccountOut:
    """One share account by its account number"""
    return ShareAccountOut.of(
        shares.get_share_account_by_number(session, account_number=account_number, scope=STAFF)
    )


@router.get(
    "/{account_id}",
    dependencies=[require(Permission.ACCOUNTS_READ)],
    responses=problem_responses(404),
)
def get_account(session: DbSession, account_id: AccountId) -> ShareAccountOut:
    """One share account with its ledger and available balances"""
    return ShareAccountOut.of(
        shares.get_share_account(session, share_account_id=account_id, scope=STAFF)
    )


@router.get(
    "/{account_id}/transactions",
    dependencies=[require(Permission.ACCOUNTS_READ)],
    responses=problem_responses(404),
)
def list_transactions(
    session: DbSession,
    account_id: AccountId,
    page: Annotated[PageRequest, Depends(paginate("share-account-transactions"))],
    from_date: FromDate = None,
    to_date: ToDate = None,
) -> TransactionsPage:
    """An account's statement: transactions with a running balance, oldest first"""
    return transactions_page(
        session,
        account_id=account_id,
        scope=STAFF,
        page=page,
        from_date=from_date,
        to_date=to_date,
    )


@router.put("/{account_id}/repayment-mandate", responses=problem_responses(404, 409))
def set_repayment_mandate(
    session: DbSession, account_id: AccountId, body: RepaymentMandateIn, context: Manager
) -> ShareAccountOut:
    """Record that the member gave (or withdrew) the loan repayment mandate"""
    account = account_commands.set_repayment_mandate(
        session, context, share_account_id=account_id, given=body.given
    )
    return ShareAccountOut.of(account)


@router.post("/{account_id}/close", responses=problem_responses(404, 409))
def close_account(session: DbSession, account_id: AccountId, context: Manager) -> ShareAccountOut:
    """Close an empty account (empty it first with a final withdrawal)"""
    account = account_commands.close_share_account(session, context, share_account_id=account_id)
    return ShareAccountOut.of(account)
