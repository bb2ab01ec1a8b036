"""Reading, initialising and advancing the business date.

The date is stored apart from the wall clock. `creditunion init` sets it once; after that
only close of business moves it, one day at a time, with a compare-and-set on the date it
leaves, so a COB run twice for the same date cannot move it twice.

Close of business for date D first moves the date to D + 1 (the cut-off: the branch and
the app carry on, posting on D + 1), then works on a D that nothing else can post to any
more, and finally closes D in the ledger. For the cut-off to be exact, every reader takes
a share lock on the calendar row until its transaction ends: the move waits for requests
that read D to finish, and requests that start after it read D + 1.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy import String, cast, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from creditunion.business_date.clock import today_in_zone
from creditunion.business_date.models import CALENDAR_ROW_ID, BusinessCalendar
from creditunion.errors import Conflict, Unavailable
from ledger.periods import POSTING_HORIZON_SETTING, closed_through
from ledger.transaction import require_transaction


class BusinessDateNotInitialised(Unavailable):
    def __init__(self) -> None:
        super().__init__("the business date is not set: run `creditunion init`")


class BusinessDateMoved(Conflict):
    """COB asked to advance from a date that is not the current business date."""

    def __init__(self, from_date: dt.date, current: dt.date) -> None:
        super().__init__(f"cannot advance from {from_date}: the business date is {current}")
        self.from_date = from_date
        self.current = current


class BusinessDateStillOpen(Conflict):
    """The day before the one being left is not closed yet: finish its COB first."""

    def __init__(self, from_date: dt.date, closed: dt.date | None) -> None:
        super().__init__(
            f"cannot advance from {from_date}: the ledger is closed only through {closed}, "
            "so the close of business of an earlier day is unfinished"
        )
        self.from_date = from_date
        self.closed_through = closed


def initialise_business_date(session: Session, *, business_date: dt.date) -> dt.date:
    """Set the business date if it was never set; return the date in force either way."""
    require_transaction(session)
    if not isinstance(business_date, dt.date) or isinstance(business_date, dt.datetime):
        raise TypeError("the business date must be a date")
    session.execute(
        insert(BusinessCalendar)
        .values(id=CALENDAR_ROW_ID, business_date=business_date)
        .on_conflict_do_nothing(index_elements=[BusinessCalendar.id])
    )
    return current_business_date(session)


def current_business_date(session: Session) -> dt.date:
    """The business date, share-locked until the caller's transaction ends (see above); the
    ledger then refuses entries dated after it in that transaction (`FutureDated`)."""
    # Whoever works under today's date posts nothing dated later in this transaction: the
    # same statement sets the ledger's posting horizon (ledger.periods.limit_postings_to).
    row = session.execute(
        select(
            BusinessCalendar.business_date,
            func.set_config(
                POSTING_HORIZON_SETTING, cast(BusinessCalendar.business_date, String), True
            ),
        )
        .where(BusinessCalendar.id == CALENDAR_ROW_ID)
        .with_for_update(read=True)
    ).first()
    if row is None:
        raise BusinessDateNotInitialised()
    value: dt.date = row[0]
    return value


def business_date_or_first(session: Session, *, zone: zoneinfo.ZoneInfo) -> dt.date:
    """The business date; before `creditunion init` set one, the date init would start it
    at (today in `zone`). Only for commands about logins, which may come before the books:
    signing in, and the command line's first admin."""
    try:
        return current_business_date(session)
    except BusinessDateNotInitialised:
        return today_in_zone(zone)


def advance_business_date(session: Session, *, from_date: dt.date) -> dt.date:
    """Move the business date from `from_date` to the next day; return the new date.

    Refused unless `from_date` is the current business date and every day before it is
    closed in the ledger, so at most one day is ever between cut-off and close, and the
    date never moves twice for one close of business.
    """
    require_transaction(session)
    closed = closed_through(session)
    if closed is not None and closed != from_date - dt.timedelta(days=1):
        raise BusinessDateStillOpen(from_date, closed)
    moved = session.execute(
        update(BusinessCalendar)
        .where(
            BusinessCalendar.id == CALENDAR_ROW_ID,
            BusinessCalendar.business_date == from_date,
        )
        .values(business_date=from_date + dt.timedelta(days=1), updated_at=func.now())
        .returning(BusinessCalendar.business_date)
    ).scalar_one_or_none()
    if moved is None:
        raise BusinessDateMoved(from_date, current_business_date(session))
    return moved
