"""An account's transactions with a running balance, paged: staff's and a member's view.

The share service pages by its own position (date, sequence, posting); the API wraps it
in the signed cursor every list uses, together with the account's id, so a cursor taken
from one account's list is refused on another's.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Query
from sqlalchemy.orm import Session

from api.domain import as_query_problem, business_date
from api.iso_dates import IsoDate
from api.pagination import PageRequest
from api.problems import InvalidField, RequestInvalid
from api.shares.schemas import TransactionsPage
from creditunion.field_problems import ValidationProblem
from creditunion.shares.service import get_share_account
from creditunion.shares.statements import member_transactions
from ledger.ownership import Scope

FromDate = Annotated[
    IsoDate | None,
    Query(description="First business date shown; the account's opening date by default."),
]
ToDate = Annotated[
    IsoDate | None, Query(description="Last business date shown; today's by default.")
]


def _statement_position(page: PageRequest, account_id: int) -> str | None:
    if page.after is None:
        return None
    match page.after:
        case [int() as of_account, str() as position] if of_account == account_id:
            return position
    raise RequestInvalid(
        InvalidField("query", "cursor", "is not a cursor this list gave out (or was changed)")
    )


def transactions_page(
    session: Session,
    *,
    account_id: int,
    scope: Scope,
    page: PageRequest,
    from_date: dt.date | None,
    to_date: dt.date | None,
) -> TransactionsPage:
    """A member's `scope` sees only their own account (another's is "not found")."""
    account = get_share_account(session, share_account_id=account_id, scope=scope)
    until = to_date or business_date(session)
    since = from_date or min(account.opened_on, until)
    try:
        found = member_transactions(
            session,
            share_account_id=account_id,
            scope=scope,
            from_date=since,
            to_date=until,
            after=_statement_position(page, account_id),
            limit=page.limit,
        )
    except ValidationProblem as exc:
        raise as_query_problem(exc) from None
    cursor = None
    if found.next_cursor is not None:
        cursor = page.codec.encode(page.scope, [account_id, found.next_cursor])
    return TransactionsPage.of(found, next_cursor=cursor)
