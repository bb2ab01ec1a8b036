"""Closing business dates: once a date is closed, nothing is posted on or before it.

Every posting holds a shared advisory lock until its transaction ends, and a close takes
the same lock exclusively, so a close waits for postings in flight and no posting can
slip into a date after it was closed (and after a seal was computed over it). The
database refuses a journal entry on a closed date too (a trigger), whoever inserts it.

At the other end, a transaction that has declared its business date (`limit_postings_to`,
which reading the credit union's business date does) may post nothing dated after it.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from sqlalchemy import text
from sqlalchemy.orm import Session

from ledger.checks import PostingRefused
from ledger.errors import Conflict
from ledger.transaction import require_transaction

# Arbitrary but fixed: the 64-bit key of the ledger's day-close advisory lock.
DAY_CLOSE_LOCK_KEY: Final = 0x4C45_4447_4552_0001

# A transaction-local setting: the latest date the transaction may post on.
POSTING_HORIZON_SETTING: Final = "ledger.posting_horizon"
HORIZON_SQL: Final = f"nullif(current_setting('{POSTING_HORIZON_SETTING}', true), '')::date"


class PeriodClosed(PostingRefused):
    def __init__(self, business_date: dt.date, closed_through: dt.date | None) -> None:
        super().__init__(
            f"business date {business_date} is closed (closed through {closed_through})"
        )
        self.business_date = business_date
        self.closed_through = closed_through


class FutureDated(PostingRefused):
    """An entry dated after the business date its transaction runs under."""

    def __init__(self, business_date: dt.date, horizon: dt.date) -> None:
        super().__init__(f"business date {business_date} is after the business date {horizon}")
        self.business_date = business_date
        self.horizon = horizon


class DateAlreadyClosed(Conflict, ValueError):
    pass


def limit_postings_to(session: Session, business_date: dt.date) -> None:
    """Refuse, until the caller's transaction ends, any entry dated after `business_date`
    (`FutureDated` from the posting functions; the database's trigger for a raw insert)."""
    session.execute(
        text("SELECT set_config(:name, :d, true)"),
        {"name": POSTING_HORIZON_SETTING, "d": business_date.isoformat()},
    )


def closed_through(session: Session) -> dt.date | None:
    value = session.execute(text("SELECT max(business_date) FROM ledger_day_closes")).scalar()
    assert value is None or isinstance(value, dt.date)
    return value


def close_business_date(session: Session, *, business_date: dt.date, closed_by: str) -> None:
    """Close `business_date` and every date before it. Refuses a date already closed."""
    require_transaction(session)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": DAY_CLOSE_LOCK_KEY})
    current = closed_through(session)
    if current is not None and business_date <= current:
        raise DateAlreadyClosed(f"{business_date} is already closed (closed through {current})")
    session.execute(
        text("INSERT INTO ledger_day_closes (business_date, closed_by) VALUES (:d, :by)"),
        {"d": business_date, "by": closed_by},
    )
