"""Savings interest carried between postings, and dividends declared by a manager."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Integer,
    Numeric,
    String,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ledger.base import Base
from ledger.models import string_enum


class ShareAccrual(Base):
    """Interest accrued on one share account and not yet posted, in 10^-10 minor units."""

    __tablename__ = "share_accruals"
    __table_args__ = (
        CheckConstraint("accrued_units >= 0", name="not_negative"),
        # Rewritten daily for every account: leave room on each page for HOT updates.
        {"postgresql_with": {"fillfactor": 70}},
    )

    share_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("share_accounts.id"), primary_key=True
    )
    accrued_units: Mapped[Decimal] = mapped_column(Numeric(38, 0), server_default=text("0"))
    last_accrued_on: Mapped[dt.date] = mapped_column(Date)
    posted_total_minor: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    last_posted_on: Mapped[dt.date | None] = mapped_column(Date)


class ShareAccrualHistory(Base):
    """An account's `share_accruals` figures as at the end of a business date on which they
    changed: written by the accrual step for every account that accrued that day and by
    the posting step for every account it posted to. The figures as at any date D are the
    account's row with the latest business date on or before D (none: nothing recorded)."""

    __tablename__ = "share_accrual_history"
    __table_args__ = (CheckConstraint("accrued_units >= 0", name="not_negative"),)

    share_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("share_accounts.id"), primary_key=True
    )
    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    accrued_units: Mapped[Decimal] = mapped_column(Numeric(38, 0))
    accrued_through: Mapped[dt.date] = mapped_column(Date)


class DividendStatus(enum.StrEnum):
    DECLARED = "declared"
    PAID = "paid"


class DividendDeclaration(Base):
    """A rate a manager declared for a closed period, paid by COB on `pay_on`."""

    __tablename__ = "dividend_declarations"
    __table_args__ = (
        CheckConstraint("period_end >= period_start", name="period_order"),
        CheckConstraint("pay_on > period_end", name="paid_after_period"),
        CheckConstraint("annual_rate > 0 AND annual_rate < 1", name="rate_range"),
        CheckConstraint("(status = 'paid') = (paid_total_minor IS NOT NULL)", name="paid_total"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer, ForeignKey("share_products.id"))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    pay_on: Mapped[dt.date] = mapped_column(Date)
    annual_rate: Mapped[Decimal] = mapped_column(Numeric(10, 8))
    status: Mapped[DividendStatus] = mapped_column(
        string_enum(DividendStatus, "dividend_status"), server_default=DividendStatus.DECLARED.value
    )
    declared_by: Mapped[str] = mapped_column(String(100))
    declared_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    paid_members: Mapped[int | None] = mapped_column(Integer)
    paid_total_minor: Mapped[int | None] = mapped_column(BigInteger)
    # What the declaration owes members, fixed by the first close of business after it is
    # declared (creditunion.savings.payable) and carried as payable until it is paid.
    owed_minor: Mapped[int | None] = mapped_column(BigInteger)
