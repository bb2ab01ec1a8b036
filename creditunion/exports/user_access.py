"""Staff access as an export: who could act, in which role, and how that changed.

Part `users`: every staff login (every role but `member`) created before the end of `to`
(local midnight after it, in the credit union's time zone), by id: username, role, who
created it and when, who approved it and when (a manager's or admin's login needs a second
administrator), when it was deactivated, and its status at the end of `to`: `pending
approval`, `active` or `deactivated`. Approval and deactivation times come from the audit
log (`user.approve`, `user.deactivate`), so a later change does not alter a past date's
export. A role is fixed when the login is created: no command changes it, so the role at
any date is the role created.

Part `changes`: every audit record of a staff login in [from, to] (local days), in id
order: creations, approvals, deactivations, unlocks and password resets, with when, who
did it (id, username, role), the login it concerns, its username and role, and the record's
summary (PostgreSQL's text of the JSONB, canonical key order). Members' own app logins are
not staff access and are left out of both parts.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from typing import Any, Final, LiteralString

from sqlalchemy.orm import Session

from ledger.export.report import Column, ColumnKind, Part, Report, Row
from ledger.journal_stream import server_side_rows

TIMESTAMP, INTEGER = ColumnKind.TIMESTAMP, ColumnKind.INTEGER

USER_COLUMNS: Final = (
    Column("user_id", INTEGER),
    Column("username"),
    Column("role"),
    Column("status"),
    Column("created_at", TIMESTAMP),
    Column("created_by"),
    Column("approved_at", TIMESTAMP),
    Column("approved_by"),
    Column("deactivated_at", TIMESTAMP),
    Column("deactivated_by"),
)

CHANGE_COLUMNS: Final = (
    Column("audit_id", INTEGER),
    Column("occurred_at", TIMESTAMP),
    Column("action"),
    Column("actor_user_id", INTEGER),
    Column("actor_username"),
    Column("actor_role"),
    Column("user_id", INTEGER),
    Column("username"),
    Column("role"),
    Column("summary"),
)

# The first audit record of each kind for each login, before the cut-off.
_USERS: Final[LiteralString] = """
WITH events AS (
    SELECT DISTINCT ON (a.target_id, a.action) a.target_id, a.action, a.occurred_at,
           a.actor_username
    FROM audit_log a
    WHERE a.target_type = 'user' AND a.action IN ('user.approve', 'user.deactivate')
      AND a.occurred_at < %(cutoff)s
    ORDER BY a.target_id, a.action, a.occurred_at, a.id
)
SELECT u.id, u.username, u.role,
       CASE WHEN d.occurred_at IS NOT NULL THEN 'deactivated'
            WHEN (u.approval_pending OR u.approved_by_user_id IS NOT NULL)
                 AND ap.occurred_at IS NULL THEN 'pending approval'
            ELSE 'active' END,
       to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       creator.username,
       to_char(ap.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       ap.actor_username,
       to_char(d.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       d.actor_username
FROM users u
LEFT JOIN users creator ON creator.id = u.created_by_user_id
LEFT JOIN events ap ON ap.target_id = u.id::text AND ap.action = 'user.approve'
LEFT JOIN events d ON d.target_id = u.id::text AND d.action = 'user.deactivate'
WHERE u.role <> 'member' AND u.created_at < %(cutoff)s
ORDER BY u.id
"""

_CHANGES: Final[LiteralString] = """
SELECT a.id, to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       a.action, a.actor_user_id, a.actor_username, a.actor_role, u.id, u.username, u.role,
       a.summary::text
FROM audit_log a
JOIN users u ON u.id::text = a.target_id
WHERE a.occurred_at >= %(start)s AND a.occurred_at < %(cutoff)s
  AND a.target_type = 'user' AND a.action LIKE 'user.%%' AND u.role <> 'member'
ORDER BY a.id
"""


def _rows(session: Session, query: LiteralString, params: dict[str, Any]) -> Iterator[Row]:
    for raw in server_side_rows(session, query, params, binary=False):
        yield tuple(raw)


def user_access_report(
    session: Session, *, from_date: dt.date, to_date: dt.date, zone: zoneinfo.ZoneInfo
) -> Report:
    """Staff logins at the end of `to_date` and their changes in [from_date, to_date]."""
    if from_date > to_date:
        raise ValueError("the range's start date is after its end date")
    params: dict[str, Any] = {
        "start": dt.datetime.combine(from_date, dt.time(), tzinfo=zone),
        "cutoff": dt.datetime.combine(to_date + dt.timedelta(days=1), dt.time(), tzinfo=zone),
    }
    return Report(
        name="user-access",
        parameters={
            "from": from_date.isoformat(),
            "to": to_date.isoformat(),
            "time_zone": zone.key,
        },
        parts=(
            Part("users", USER_COLUMNS, lambda: _rows(session, _USERS, params)),
            Part("changes", CHANGE_COLUMNS, lambda: _rows(session, _CHANGES, params)),
        ),
        covers_from=from_date,
        covers_to=to_date,
    )
