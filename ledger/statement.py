"""Account statements: opening balance, lines with a running balance, closing balance."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Final

from sqlalchemy import text
from sqlalchemy.orm import Session

from ledger.accounts import AccountView, get_account
from ledger.money import Money

PAGE_LINES_MAX: Final = 1_000


@dataclass(frozen=True, slots=True)
class StatementLine:
    posting_id: int
    entry_id: uuid.UUID
    sequence_no: int
    business_date: dt.date
    posted_at: dt.datetime
    kind: str
    description: str
    reference: str | None
    amount: Money  # positive raises the balance on the account's normal side
    running_balance: Money

    @property
    def cursor(self) -> tuple[dt.date, int, int]:
        return (self.business_date, self.sequence_no, self.posting_id)


@dataclass(frozen=True, slots=True)
class Statement:
    account: AccountView
    from_date: dt.date
    to_date: dt.date
    opening_balance: Money
    closing_balance: Money
    lines: tuple[StatementLine, ...]
    has_more: bool


_LINES = text("""
WITH in_range AS (
    SELECT p.id, p.entry_id, e.sequence_no, p.business_date, e.posted_at, e.kind,
           e.description, e.reference, p.amount_minor,
           sum(p.amount_minor) OVER (ORDER BY p.business_date, e.sequence_no, p.id) AS running
    FROM postings p JOIN journal_entries e ON e.id = p.entry_id
    WHERE p.account_id = :account AND p.business_date BETWEEN :from_date AND :to_date
)
SELECT * FROM in_range
WHERE (business_date, sequence_no, id) > (:after_date, :after_seq, :after_id)
ORDER BY business_date, sequence_no, id
LIMIT :limit
""")

_SUMS = text("""
SELECT coalesce(sum(amount_minor) FILTER (WHERE business_date < :from_date), 0),
       coalesce(sum(amount_minor) FILTER (WHERE business_date <= :to_date), 0)
FROM postings WHERE account_id = :account AND business_date <= :to_date
""")


def account_statement(
    session: Session,
    *,
    account_id: int,
    from_date: dt.date,
    to_date: dt.date,
    after: tuple[dt.date, int, int] | None = None,
    limit: int = PAGE_LINES_MAX,
) -> Statement:
    """One page of the statement; `after` is the last line's `cursor` of the previous page."""
    if from_date > to_date:
        raise ValueError("the statement's start date is after its end date")
    if not 1 <= limit <= PAGE_LINES_MAX:
        raise ValueError(f"a statement page holds 1 to {PAGE_LINES_MAX} lines")
    account = get_account(session, account_id)
    sign = 1 if account.type.debit_normal else -1
    window = {"account": account_id, "from_date": from_date, "to_date": to_date}
    before_minor, through_minor = session.execute(_SUMS, window).one()
    start = after or (dt.date.min, 0, 0)
    page = {"after_date": start[0], "after_seq": start[1], "after_id": start[2], "limit": limit + 1}
    rows = session.execute(_LINES, window | page).all()
    opening_minor = sign * int(before_minor)
    lines = tuple(
        StatementLine(
            posting_id=row.id,
            entry_id=row.entry_id,
            sequence_no=row.sequence_no,
            business_date=row.business_date,
            posted_at=row.posted_at,
            kind=row.kind,
            description=row.description,
            reference=row.reference,
            amount=Money.from_minor(sign * row.amount_minor, account.currency),
            running_balance=Money.from_minor(
                opening_minor + sign * int(row.running), account.currency
            ),
        )
        for row in rows[:limit]
    )
    return Statement(
        account=account,
        from_date=from_date,
        to_date=to_date,
        opening_balance=Money.from_minor(opening_minor, account.currency),
        closing_balance=Money.from_minor(sign * int(through_minor), account.currency),
        lines=lines,
        has_more=len(rows) > limit,
    )
