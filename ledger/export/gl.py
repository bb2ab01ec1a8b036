"""General-ledger detail for a date range: every posting, then each account's balances.

Part `postings`: one row per posting in (business date, sequence, posting id) order, with the
entry it reverses and the entry that reversed it. Part `balances`: per account, the opening
balance (postings before the range), the range's debits and credits, and the closing
balance, so opening + debits - credits = closing on every line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, Final, LiteralString

from sqlalchemy.orm import Session

from ledger.export.report import (
    Column,
    ColumnKind,
    Part,
    Report,
    Row,
    debit_credit,
    minor_to_decimal,
    split_balance,
)
from ledger.journal_stream import server_side_rows

TEXT, INTEGER, AMOUNT, DATE, TIMESTAMP = (
    ColumnKind.TEXT,
    ColumnKind.INTEGER,
    ColumnKind.AMOUNT,
    ColumnKind.DATE,
    ColumnKind.TIMESTAMP,
)

POSTING_COLUMNS: Final = (
    Column("entry_id"),
    Column("sequence_no", INTEGER),
    Column("business_date", DATE),
    Column("posted_at", TIMESTAMP),
    Column("posting_id", INTEGER),
    Column("account_code"),
    Column("account_name"),
    Column("account_type"),
    Column("debit", AMOUNT),
    Column("credit", AMOUNT),
    Column("currency"),
    Column("description"),
    Column("reference"),
    Column("kind"),
    Column("reverses_entry_id"),
    Column("reversed_by_entry_id"),
    Column("posted_by"),
)

BALANCE_COLUMNS: Final = (
    Column("account_code"),
    Column("account_name"),
    Column("account_type"),
    Column("currency"),
    Column("opening_debit", AMOUNT),
    Column("opening_credit", AMOUNT),
    Column("period_debit", AMOUNT),
    Column("period_credit", AMOUNT),
    Column("closing_debit", AMOUNT),
    Column("closing_credit", AMOUNT),
    Column("postings", INTEGER),
)

# Everything but the amount and the date is text by the time it leaves PostgreSQL, so the
# client parses nothing it would only print again.
POSTING_LINES: Final[LiteralString] = """
SELECT e.id::text, e.sequence_no, e.business_date,
       to_char(e.posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       p.id, a.code, a.name, a.type, p.amount_minor, p.currency, e.description, e.reference,
       e.kind, e.reverses_entry_id::text, r.id::text, e.posted_by
FROM journal_entries e
JOIN postings p ON p.entry_id = e.id
JOIN ledger_accounts a ON a.id = p.account_id
LEFT JOIN journal_entries r ON r.reverses_entry_id = e.id
"""

_GL_LINES: Final[LiteralString] = (
    POSTING_LINES
    + "WHERE e.business_date BETWEEN %(from_date)s AND %(to_date)s "
    + "ORDER BY e.business_date, e.sequence_no, p.id"
)

_BALANCES: Final[LiteralString] = """
SELECT a.code, a.name, a.type, a.currency,
       coalesce(sum(p.amount_minor) FILTER (WHERE p.business_date < %(from_date)s), 0),
       coalesce(sum(p.amount_minor) FILTER (
           WHERE p.business_date >= %(from_date)s AND p.amount_minor > 0), 0),
       coalesce(-sum(p.amount_minor) FILTER (
           WHERE p.business_date >= %(from_date)s AND p.amount_minor < 0), 0),
       count(*) FILTER (WHERE p.business_date >= %(from_date)s)
FROM postings p JOIN ledger_accounts a ON a.id = p.account_id
WHERE p.business_date <= %(to_date)s
GROUP BY a.id
ORDER BY a.code
"""


def posting_row(raw: tuple[Any, ...]) -> Row:
    (entry_id, sequence_no, business_date, posted_at, posting_id, code, name, type_) = raw[:8]
    amount_minor, currency, description, reference, kind, reverses, reversed_by, by = raw[8:]
    debit, credit = debit_credit(amount_minor, currency)
    return (
        entry_id,
        sequence_no,
        business_date,
        posted_at,
        posting_id,
        code,
        name,
        type_,
        debit,
        credit,
        currency,
        description,
        reference,
        kind,
        reverses,
        reversed_by,
        by,
    )


def posting_rows(session: Session, query: LiteralString, params: dict[str, Any]) -> Iterator[Row]:
    for raw in server_side_rows(session, query, params, binary=False):
        yield posting_row(raw)


def _balance_rows(session: Session, params: dict[str, Any]) -> Iterator[Row]:
    for raw in server_side_rows(session, _BALANCES, params, binary=False):
        code, name, type_, currency, opening, debits, credits, count = raw
        opening_minor, debit_minor, credit_minor = int(opening), int(debits), int(credits)
        closing_minor = opening_minor + debit_minor - credit_minor
        if opening_minor == 0 and count == 0:
            continue
        yield (
            code,
            name,
            type_,
            currency,
            *split_balance(opening_minor, currency),
            minor_to_decimal(debit_minor, currency),
            minor_to_decimal(credit_minor, currency),
            *split_balance(closing_minor, currency),
            count,
        )


def general_ledger(session: Session, *, from_date: dt.date, to_date: dt.date) -> Report:
    """The general-ledger detail of [from_date, to_date]; rows are read when written."""
    if from_date > to_date:
        raise ValueError("the range's start date is after its end date")
    params = {"from_date": from_date, "to_date": to_date}
    return Report(
        name="gl",
        parameters={"from": from_date.isoformat(), "to": to_date.isoformat()},
        parts=(
            Part(
                "postings",
                POSTING_COLUMNS,
                lambda: posting_rows(session, _GL_LINES, params),
                currency_column="currency",
            ),
            Part(
                "balances",
                BALANCE_COLUMNS,
                lambda: _balance_rows(session, params),
                currency_column="currency",
            ),
        ),
        covers_from=from_date,
        covers_to=to_date,
    )
