"""The sub-ledger to general-ledger reconciliation as an export, as at a business date.

One part, `lines`: the control accounts (loans to members, interest and fees receivable,
members' shares, the allowance for loan losses), then every loan's principal, interest
and fees account, then every share account (and any account under members' shares that no
share account owns), each with its book figure, its ledger balance and the difference
(ledger less book), amounts on the account's normal side. What each line compares is in
`creditunion.reconciliation`; it is read from the journal, so a past date gives the same
lines whenever it is exported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Final

from sqlalchemy.orm import Session

from creditunion.reconciliation import reconciliation_lines
from ledger.export.report import Column, ColumnKind, Part, Report, Row

AMOUNT: Final = ColumnKind.AMOUNT

COLUMNS: Final = (
    Column("section"),
    Column("currency"),
    Column("account_code"),
    Column("component"),
    Column("member_id", ColumnKind.INTEGER),
    Column("loan_id", ColumnKind.INTEGER),
    Column("share_account"),
    Column("status"),
    Column("book", AMOUNT),
    Column("ledger", AMOUNT),
    Column("difference", AMOUNT),
)


def _rows(session: Session, as_of: dt.date) -> Iterator[Row]:
    for line in reconciliation_lines(session, as_of=as_of):
        yield (
            line.section,
            line.currency,
            line.account_code,
            line.component,
            line.member_id,
            line.loan_id,
            line.share_account,
            line.status,
            line.book.amount,
            line.ledger.amount,
            line.difference.amount,
        )


def reconciliation_report(session: Session, *, as_of: dt.date) -> Report:
    """Every reconciliation line as at the end of `as_of`; rows stream when written."""
    return Report(
        name="reconciliation",
        parameters={"as_of": as_of.isoformat()},
        parts=(Part("lines", COLUMNS, lambda: _rows(session, as_of), "currency"),),
        covers_from=None,
        covers_to=as_of,
    )
