"""The chart of accounts as it stood at the end of a business date, as an export.

One part, `accounts`, in code order: every account of the chart (members' own share and
loan accounts, which roll up into their control account, are left out: they are the
sub-ledgers, listed by `member-balances` and `loan-book`), with its code, name, type,
currency, normal side, parent's code, role (`header`: groups and holds nothing;
`control`: a header whose children are members' accounts; `account`: takes postings),
status at the date, and when it was opened and closed (UTC).

An account's opening and closing are stamped with the wall clock, not a business date, so
"as it stood at the end of `as_of`" means: opened before local midnight after `as_of` in
the credit union's time zone, or already holding a posting dated on or before `as_of`, itself or through an account
under it (history loaded with earlier business dates); closed if closed before that midnight, and
its closing time is shown only then. A later opening or closing does not change the export
of a past date, so it gives the same bytes whenever it is taken.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from typing import Any, Final, LiteralString

from sqlalchemy.orm import Session

from ledger.export.report import Column, ColumnKind, Part, Report, Row
from ledger.journal_stream import server_side_rows

COLUMNS: Final = (
    Column("account_code"),
    Column("account_name"),
    Column("account_type"),
    Column("currency"),
    Column("normal_side"),
    Column("parent_code"),
    Column("role"),
    Column("status"),
    Column("opened_at", ColumnKind.TIMESTAMP),
    Column("closed_at", ColumnKind.TIMESTAMP),
)

# A sub-ledger account is one whose parent is a control header (a header inside the chart).
# `used`: the accounts with a posting dated by `as_of`, and their ancestors.
_ACCOUNTS: Final[LiteralString] = """
WITH RECURSIVE used AS (
    SELECT DISTINCT account_id AS id FROM postings WHERE business_date <= %(as_of)s
    UNION
    SELECT a.parent_id FROM ledger_accounts a JOIN used u ON a.id = u.id
    WHERE a.parent_id IS NOT NULL
)
SELECT a.code, a.name, a.type, a.currency,
       CASE WHEN a.type IN ('asset', 'expense') THEN 'debit' ELSE 'credit' END,
       parent.code,
       CASE WHEN a.header AND a.parent_id IS NOT NULL THEN 'control'
            WHEN a.header THEN 'header' ELSE 'account' END,
       CASE WHEN a.closed_at < %(cutoff)s THEN 'closed' ELSE 'open' END,
       to_char(a.opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       CASE WHEN a.closed_at < %(cutoff)s
            THEN to_char(a.closed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END
FROM ledger_accounts a
LEFT JOIN ledger_accounts parent ON parent.id = a.parent_id
WHERE NOT coalesce(parent.header AND parent.parent_id IS NOT NULL, false)
  AND (a.opened_at < %(cutoff)s OR a.id IN (SELECT id FROM used))
ORDER BY a.code
"""


def _rows(session: Session, params: dict[str, Any]) -> Iterator[Row]:
    for raw in server_side_rows(session, _ACCOUNTS, params, binary=False):
        yield tuple(raw)


def chart_of_accounts_report(
    session: Session, *, as_of: dt.date, zone: zoneinfo.ZoneInfo
) -> Report:
    """The chart as it stood at the end of `as_of` (a local day in `zone`)."""
    params: dict[str, Any] = {
        "as_of": as_of,
        "cutoff": dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=zone),
    }
    return Report(
        name="chart-of-accounts",
        parameters={"as_of": as_of.isoformat(), "time_zone": zone.key},
        parts=(Part("accounts", COLUMNS, lambda: _rows(session, params)),),
        covers_from=None,
        covers_to=as_of,
    )
