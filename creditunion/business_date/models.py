"""The single-row table holding the credit union's current business date."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, DateTime, SmallInteger, func
from sqlalchemy.orm import Mapped, mapped_column

from ledger.base import Base

CALENDAR_ROW_ID = 1


class BusinessCalendar(Base):
    __tablename__ = "business_calendar"
    # One credit union per database: the CHECK makes a second row impossible.
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    business_date: Mapped[dt.date] = mapped_column(Date)
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
