"""Cut-off testing as an export: the entries booked on another day than they were posted.

Every journal entry carries two times: its business date (the day it is booked on) and
`posted_at` (the wall clock when it was written). An auditor testing the cut-off of a
period [from, to] wants every entry where the two disagree around it. One part, `entries`,
one row per entry and currency, in (business date, sequence) order, each with one finding:

- `posted after the cut-off`: dated in the period, posted at or after the cut-off (local
  midnight after `to` in the credit union's time zone): recorded once the period was over;
- `back-dated`: dated in the period, posted on a later local day than its business date;
- `forward-dated`: posted on an earlier local day than its business date: dated in the
  period, or dated after `to` but posted before the cut-off (booked out of the period);

with who posted it and when (UTC, and the local date), the days between the two (positive
when posted late), its kind, description, reference, the entry's size (the sum of its
debits) in each currency, and when the business date was closed (the first close on or
after it) with `after_close` = yes if the entry was posted after that: the database
refuses it, so a yes means the guard was bypassed.

Nothing here depends on when the export runs: the same period gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from typing import Any, Final, LiteralString

from sqlalchemy.orm import Session

from ledger.export.report import Column, ColumnKind, Part, Report, Row, minor_to_decimal
from ledger.journal_stream import server_side_rows

COLUMNS: Final = (
    Column("finding"),
    Column("entry_id"),
    Column("sequence_no", ColumnKind.INTEGER),
    Column("business_date", ColumnKind.DATE),
    Column("posted_at", ColumnKind.TIMESTAMP),
    Column("posted_local_date", ColumnKind.DATE),
    Column("days_late", ColumnKind.INTEGER),
    Column("posted_by"),
    Column("kind"),
    Column("description"),
    Column("reference"),
    Column("currency"),
    Column("amount", ColumnKind.AMOUNT),
    Column("day_closed_at", ColumnKind.TIMESTAMP),
    Column("after_close"),
)

# The first range reads ix_journal_entries_date_sequence; the second the entries dated
# after the period, of which only those posted before its cut-off are kept.
_ENTRIES: Final[LiteralString] = """
WITH chosen AS (
    SELECT e.*, (e.posted_at AT TIME ZONE %(zone)s)::date AS posted_local
    FROM journal_entries e
    WHERE e.business_date BETWEEN %(from_date)s AND %(to_date)s
      AND (e.posted_at AT TIME ZONE %(zone)s)::date <> e.business_date
    UNION ALL
    SELECT e.*, (e.posted_at AT TIME ZONE %(zone)s)::date
    FROM journal_entries e
    WHERE e.business_date > %(to_date)s AND e.posted_at < %(cutoff)s
)
SELECT CASE WHEN c.business_date <= %(to_date)s AND c.posted_at >= %(cutoff)s
                THEN 'posted after the cut-off'
            WHEN c.posted_local > c.business_date THEN 'back-dated'
            ELSE 'forward-dated' END,
       c.id::text, c.sequence_no, c.business_date,
       to_char(c.posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       c.posted_local, c.posted_local - c.business_date, c.posted_by, c.kind,
       c.description, c.reference, p.currency, p.debit_minor,
       to_char(dc.closed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       CASE WHEN dc.closed_at < c.posted_at THEN 'yes' ELSE 'no' END
FROM chosen c
CROSS JOIN LATERAL (
    SELECT currency, sum(amount_minor) FILTER (WHERE amount_minor > 0) AS debit_minor
    FROM postings WHERE entry_id = c.id GROUP BY currency
) p
LEFT JOIN LATERAL (
    SELECT closed_at FROM ledger_day_closes
    WHERE business_date >= c.business_date ORDER BY business_date LIMIT 1
) dc ON true
ORDER BY c.business_date, c.sequence_no, p.currency
"""


def _rows(session: Session, params: dict[str, Any]) -> Iterator[Row]:
    for raw in server_side_rows(session, _ENTRIES, params):
        *head, currency, debit_minor, closed_at, after_close = raw
        yield (
            *head,
            currency,
            minor_to_decimal(int(debit_minor), currency),
            closed_at,
            after_close,
        )


def cut_off_report(
    session: Session, *, from_date: dt.date, to_date: dt.date, zone: zoneinfo.ZoneInfo
) -> Report:
    """The cut-off findings of [from_date, to_date] (local days in `zone`)."""
    if from_date > to_date:
        raise ValueError("the range's start date is after its end date")
    params: dict[str, Any] = {
        "from_date": from_date,
        "to_date": to_date,
        "zone": zone.key,
        "cutoff": dt.datetime.combine(to_date + dt.timedelta(days=1), dt.time(), tzinfo=zone),
    }
    return Report(
        name="cut-off",
        parameters={
            "from": from_date.isoformat(),
            "to": to_date.isoformat(),
            "time_zone": zone.key,
        },
        parts=(Part("entries", COLUMNS, lambda: _rows(session, params), "currency"),),
        covers_from=from_date,
        covers_to=to_date,
    )
