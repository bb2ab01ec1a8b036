"""A share account's transactions with a running balance, a page at a time ("my transactions")."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from creditunion.field_problems import Problems
from creditunion.shares.service import get_share_account
from ledger.money import Money
from ledger.ownership import Scope
from ledger.statement import PAGE_LINES_MAX, account_statement

PAGE_LIMIT_MAX: Final = min(200, PAGE_LINES_MAX)
_CURSOR: Final = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2})\.([0-9]{1,19})\.([0-9]{1,19})")


@dataclass(frozen=True, slots=True)
class TransactionLine:
    entry_id: uuid.UUID
    business_date: dt.date
    posted_at: dt.datetime
    kind: str
    description: str
    reference: str | None
    amount: Money  # positive paid in, negative paid out
    running_balance: Money


@dataclass(frozen=True, slots=True)
class TransactionPage:
    account_number: str
    from_date: dt.date
    to_date: dt.date
    opening_balance: Money  # at the start of from_date
    closing_balance: Money  # at the end of to_date
    lines: tuple[TransactionLine, ...]
    next_cursor: str | None  # pass as `after` for the next page; None on the last


def encode_cursor(position: tuple[dt.date, int, int]) -> str:
    return f"{position[0].isoformat()}.{position[1]}.{position[2]}"


def decode_cursor(cursor: str) -> tuple[dt.date, int, int] | None:
    match = _CURSOR.fullmatch(cursor) if isinstance(cursor, str) else None
    if match is None:
        return None
    try:
        return dt.date.fromisoformat(match[1]), int(match[2]), int(match[3])
    except ValueError:
        return None


def member_transactions(
    session: Session,
    *,
    share_account_id: int,
    scope: Scope,
    from_date: dt.date,
    to_date: dt.date,
    after: str | None = None,
    limit: int = 50,
) -> TransactionPage:
    """Postings on the account dated from `from_date` to `to_date`, oldest first.

    A member's `scope` sees only their own accounts (another member's is "not found").
    Raises `ShareAccountNotFound` or `ValidationProblem` (dates, cursor,
    limit).
    """
    problems = Problems()
    if from_date > to_date:
        problems.add("from_date", "must not be after to_date")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= PAGE_LIMIT_MAX:
        problems.add("limit", f"must be between 1 and {PAGE_LIMIT_MAX}")
    position = None
    if after is not None:
        position = decode_cursor(after)
        if position is None:
            problems.add("after", "is not a cursor this list returned")
    problems.raise_if_any()
    account = get_share_account(session, share_account_id=share_account_id, scope=scope)
    statement = account_statement(
        session,
        account_id=account.ledger_account_id,
        from_date=from_date,
        to_date=to_date,
        after=position,
        limit=limit,
    )
    lines = tuple(
        TransactionLine(
            entry_id=line.entry_id,
            business_date=line.business_date,
            posted_at=line.posted_at,
            kind=line.kind,
            description=line.description,
            reference=line.reference,
            amount=line.amount,
            running_balance=line.running_balance,
        )
        for line in statement.lines
    )
    last = statement.lines[-1].cursor if statement.lines else None
    return TransactionPage(
        account_number=account.account_number,
        from_date=from_date,
        to_date=to_date,
        opening_balance=statement.opening_balance,
        closing_balance=statement.closing_balance,
        lines=lines,
        next_cursor=encode_cursor(last) if statement.has_more and last else None,
    )
