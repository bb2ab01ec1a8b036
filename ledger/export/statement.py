"""Account statements through `ledger.statement`: a summary part and the statement lines.

The lines come a page at a time from `account_statement`, so a long statement streams in
flat memory; filters (a kind, an amount range on the line's size) only choose which lines
are shown, and every shown line keeps its true running balance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from sqlalchemy.orm import Session

from ledger.accounts import get_account_by_code
from ledger.export.report import Column, ColumnKind, Part, Report, Row
from ledger.statement import PAGE_LINES_MAX, StatementLine, account_statement

TEXT, INTEGER, AMOUNT, DATE, TIMESTAMP = (
    ColumnKind.TEXT,
    ColumnKind.INTEGER,
    ColumnKind.AMOUNT,
    ColumnKind.DATE,
    ColumnKind.TIMESTAMP,
)
PAGES_MAX: Final = 1_000_000  # a billion lines: far beyond any one account's history

SUMMARY_COLUMNS: Final = (
    Column("account_code"),
    Column("account_name"),
    Column("account_type"),
    Column("currency"),
    Column("from_date", DATE),
    Column("to_date", DATE),
    Column("opening_balance", AMOUNT),
    Column("closing_balance", AMOUNT),
)
LINE_COLUMNS: Final = (
    Column("business_date", DATE),
    Column("sequence_no", INTEGER),
    Column("entry_id"),
    Column("posting_id", INTEGER),
    Column("posted_at", TIMESTAMP),
    Column("kind"),
    Column("description"),
    Column("reference"),
    Column("currency"),
    Column("amount", AMOUNT),
    Column("running_balance", AMOUNT),
)


@dataclass(frozen=True, slots=True)
class StatementFilter:
    account_code: str
    from_date: dt.date
    to_date: dt.date
    kind: str | None = None
    min_amount: Decimal | None = None  # on the line's size, whatever its sign
    max_amount: Decimal | None = None

    def parameters(self) -> dict[str, str]:
        given = {
            "account": self.account_code,
            "from": self.from_date.isoformat(),
            "to": self.to_date.isoformat(),
            "kind": self.kind,
            "min_amount": None if self.min_amount is None else str(self.min_amount),
            "max_amount": None if self.max_amount is None else str(self.max_amount),
        }
        return {key: value for key, value in given.items() if value is not None}

    def shows(self, line: StatementLine) -> bool:
        size = abs(line.amount.amount)
        return (
            (self.kind is None or line.kind == self.kind)
            and (self.min_amount is None or size >= self.min_amount)
            and (self.max_amount is None or size <= self.max_amount)
        )


def _lines(session: Session, account_id: int, f: StatementFilter) -> Iterator[Row]:
    after: tuple[dt.date, int, int] | None = None
    for _ in range(PAGES_MAX):
        page = account_statement(
            session,
            account_id=account_id,
            from_date=f.from_date,
            to_date=f.to_date,
            after=after,
            limit=PAGE_LINES_MAX,
        )
        for line in page.lines:
            if f.shows(line):
                yield (
                    line.business_date,
                    line.sequence_no,
                    str(line.entry_id),
                    line.posting_id,
                    line.posted_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    line.kind,
                    line.description,
                    line.reference,
                    line.amount.currency,
                    line.amount.amount,
                    line.running_balance.amount,
                )
        if not page.has_more or not page.lines:
            return
        after = page.lines[-1].cursor
    raise RuntimeError(f"the statement has more than {PAGES_MAX} pages")


def statement_report(session: Session, *, statement_filter: StatementFilter) -> Report:
    f = statement_filter
    account = get_account_by_code(session, f.account_code)
    first = account_statement(
        session, account_id=account.id, from_date=f.from_date, to_date=f.to_date, limit=1
    )

    def summary() -> Iterator[Row]:
        yield (
            account.code,
            account.name,
            account.type.value,
            account.currency,
            f.from_date,
            f.to_date,
            first.opening_balance.amount,
            first.closing_balance.amount,
        )

    return Report(
        name="statement",
        parameters=f.parameters(),
        parts=(
            Part("lines", LINE_COLUMNS, lambda: _lines(session, account.id, f), "currency"),
            Part("summary", SUMMARY_COLUMNS, summary, "currency"),
        ),
        covers_from=f.from_date,
        covers_to=f.to_date,
    )
