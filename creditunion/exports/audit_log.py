"""The audit trail as an export: every audit record of a date range, in id order.

One part, `records`: one row per audit record whose time falls on a date of the range in
the credit union's time zone (from local midnight at the start of `from` to local
midnight after `to`), optionally narrowed to one acting user, one role, actions with a
prefix, or one target. Values are as stored; `occurred_at` is UTC (ISO 8601 with
microseconds) and `summary` is PostgreSQL's own text of the JSONB, whose key order is
canonical, so the same export twice is the same bytes.

It is a `ledger.export.report.Report`, so the ledger's writers, its manifest, the CLI and
the API serve it unchanged. Rows stream from a server-side cursor.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final, LiteralString

from sqlalchemy.orm import Session

from ledger.export.report import Column, ColumnKind, Part, Report, Row
from ledger.journal_stream import server_side_rows

ONE_DAY: Final = dt.timedelta(days=1)

COLUMNS: Final = (
    Column("id", ColumnKind.INTEGER),
    Column("occurred_at", ColumnKind.TIMESTAMP),
    Column("business_date", ColumnKind.DATE),
    Column("actor_user_id", ColumnKind.INTEGER),
    Column("actor_username"),
    Column("actor_role"),
    Column("action"),
    Column("target_type"),
    Column("target_id"),
    Column("request_id"),
    Column("summary"),
)

# The time filter uses ix_audit_log_occurred_at; the rest narrow what it finds. A NULL
# parameter means "any". LIKE's default escape character is the backslash.
_RECORDS: Final[LiteralString] = """
SELECT id, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       business_date, actor_user_id, actor_username, actor_role, action, target_type,
       target_id, request_id, summary::text
FROM audit_log
WHERE occurred_at >= %(start)s AND occurred_at < %(end)s
  AND (%(actor_user_id)s::bigint IS NULL OR actor_user_id = %(actor_user_id)s::bigint)
  AND (%(actor_role)s::text IS NULL OR actor_role = %(actor_role)s::text)
  AND (%(action_like)s::text IS NULL OR action LIKE %(action_like)s::text)
  AND (%(target_type)s::text IS NULL OR target_type = %(target_type)s::text)
  AND (%(target_id)s::text IS NULL OR target_id = %(target_id)s::text)
ORDER BY id
"""


@dataclass(frozen=True, slots=True)
class AuditLogFilter:
    from_date: dt.date
    to_date: dt.date
    actor_user_id: int | None = None
    actor_role: str | None = None
    action_prefix: str | None = None  # e.g. "auth." or "export."
    target_type: str | None = None
    target_id: str | None = None

    def parameters(self, zone: zoneinfo.ZoneInfo) -> dict[str, str]:
        given = {
            "from": self.from_date.isoformat(),
            "to": self.to_date.isoformat(),
            # The dates mean local days: the zone is part of what was asked.
            "time_zone": zone.key,
            "actor_user_id": None if self.actor_user_id is None else str(self.actor_user_id),
            "actor_role": self.actor_role,
            "action_prefix": self.action_prefix,
            "target_type": self.target_type,
            "target_id": self.target_id,
        }
        return {key: value for key, value in given.items() if value is not None}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _rows(session: Session, params: dict[str, Any]) -> Iterator[Row]:
    for raw in server_side_rows(session, _RECORDS, params, binary=False):
        yield tuple(raw)


def audit_log_report(
    session: Session, *, audit_filter: AuditLogFilter, zone: zoneinfo.ZoneInfo
) -> Report:
    """The audit records of [from_date, to_date] (local days in `zone`); read when written."""
    f = audit_filter
    if f.from_date > f.to_date:
        raise ValueError("the range's start date is after its end date")
    params: dict[str, Any] = {
        "start": dt.datetime.combine(f.from_date, dt.time(), tzinfo=zone),
        "end": dt.datetime.combine(f.to_date + ONE_DAY, dt.time(), tzinfo=zone),
        "actor_user_id": f.actor_user_id,
        "actor_role": f.actor_role,
        "action_like": None if f.action_prefix is None else _escape_like(f.action_prefix) + "%",
        "target_type": f.target_type,
        "target_id": f.target_id,
    }
    return Report(
        name="audit-log",
        parameters=f.parameters(zone),
        parts=(Part("records", COLUMNS, lambda: _rows(session, params)),),
        covers_from=f.from_date,
        covers_to=f.to_date,
    )
