"""Journal listing: whole entries (every line of each) chosen by filters, in sequence order.

Filters combine with AND: a date range (required); an account (entries with a line on
it); a kind; who posted; and an amount range on the entry's size (the sum of its debits,
in minor units of its currency). Columns are those of the general-ledger postings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final, LiteralString

from sqlalchemy.orm import Session

from ledger.export.gl import POSTING_COLUMNS, POSTING_LINES, posting_rows
from ledger.export.report import Part, Report
from ledger.money import minor_unit_exponent

BIGINT_MAX: Final = 2**63 - 1

_FILTERED: Final[LiteralString] = (
    POSTING_LINES
    + """
WHERE e.business_date BETWEEN %(from_date)s AND %(to_date)s
  AND (%(kind)s::text IS NULL OR e.kind = %(kind)s::text)
  AND (%(posted_by)s::text IS NULL OR e.posted_by = %(posted_by)s::text)
  AND (%(account)s::text IS NULL OR EXISTS (
        SELECT 1 FROM postings x JOIN ledger_accounts xa ON xa.id = x.account_id
        WHERE x.entry_id = e.id AND xa.code = %(account)s::text))
  AND (%(min_minor)s::bigint IS NULL AND %(max_minor)s::bigint IS NULL OR (
        SELECT sum(y.amount_minor) FROM postings y WHERE y.entry_id = e.id AND y.amount_minor > 0
      ) BETWEEN coalesce(%(min_minor)s::bigint, 0)
            AND coalesce(%(max_minor)s::bigint, 9223372036854775807))
ORDER BY e.business_date, e.sequence_no, p.id
"""
)


@dataclass(frozen=True, slots=True)
class JournalFilter:
    from_date: dt.date
    to_date: dt.date
    account_code: str | None = None
    kind: str | None = None
    posted_by: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    # The currency the amount range is in (its minor unit turns it into an integer).
    currency: str = "GBP"

    def parameters(self) -> dict[str, str]:
        given = {
            "from": self.from_date.isoformat(),
            "to": self.to_date.isoformat(),
            "account": self.account_code,
            "kind": self.kind,
            "posted_by": self.posted_by,
            "min_amount": None if self.min_amount is None else str(self.min_amount),
            "max_amount": None if self.max_amount is None else str(self.max_amount),
            "currency": self.currency if self.min_amount or self.max_amount else None,
        }
        return {key: value for key, value in given.items() if value is not None}


def _minor(amount: Decimal | None, currency: str) -> int | None:
    if amount is None:
        return None
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise TypeError("amount filters are finite Decimals")
    if amount.adjusted() > 18:  # beyond any BIGINT of minor units; scaling it could overflow
        raise ValueError(f"{amount} is not an amount the ledger can hold")
    scaled = amount.scaleb(minor_unit_exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more decimals than {currency} allows")
    if not 0 <= scaled <= BIGINT_MAX:
        raise ValueError(f"{amount} is not an amount the ledger can hold")
    return int(scaled)


def journal_listing(session: Session, *, journal_filter: JournalFilter) -> Report:
    f = journal_filter
    if f.from_date > f.to_date:
        raise ValueError("the range's start date is after its end date")
    params: dict[str, Any] = {
        "from_date": f.from_date,
        "to_date": f.to_date,
        "kind": f.kind,
        "posted_by": f.posted_by,
        "account": f.account_code,
        "min_minor": _minor(f.min_amount, f.currency),
        "max_minor": _minor(f.max_amount, f.currency),
    }
    return Report(
        name="journal",
        parameters=f.parameters(),
        parts=(
            Part(
                "journal",
                POSTING_COLUMNS,
                lambda: posting_rows(session, _FILTERED, params),
                currency_column="currency",
            ),
        ),
        covers_from=f.from_date,
        covers_to=f.to_date,
    )
