"""Loans' figures as they stood at each close of business, for reports as at a past date.

The arrears step rewrites a loan's days past due, arrears and bucket every day; it also
writes them here, keyed by business date and loan (`loans.services.arrears`), and the
month-end provisioning adds the provision it made to that day's rows
(`loans.services.provisioning`), so the loan book as at any date since is read back rather
than recomputed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ledger.base import Base


class LoanArrearsHistoryRow(Base):
    """One active loan's arrears at the end of one business date (written by COB)."""

    __tablename__ = "loan_arrears_history"
    __table_args__ = (
        CheckConstraint(
            "days_past_due >= 0 AND arrears_minor >= 0 AND coalesce(provision_minor, 0) >= 0",
            name="figures_non_negative",
        ),
        # A loan's provision in force at a date: its last month-end row on or before it.
        Index(
            "ix_loan_arrears_history_provisions",
            "loan_id",
            "business_date",
            postgresql_where=text("provision_minor IS NOT NULL"),
        ),
    )

    # Date first: the loan book as at a date reads one date's rows.
    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    loan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("loans.id"), primary_key=True)
    days_past_due: Mapped[int] = mapped_column(Integer)
    arrears_minor: Mapped[int] = mapped_column(BigInteger)
    arrears_bucket: Mapped[str] = mapped_column(String(8))
    # The provision made at this date's close (month ends only); None on other days.
    provision_minor: Mapped[int | None] = mapped_column(BigInteger)


class LoanAllowanceHistoryRow(Base):
    """What one month end's provisioning left in the allowance for no loan's history row.

    The allowance as at a month end is the provisions on that date's history rows plus
    what write-offs dated later, already posted when the step ran, had taken from it (the
    step reads the allowance as it stands). The reconciliation's allowance book starts
    from these two figures (`creditunion.reconciliation`); the row also marks the date as
    one the provisioning ran on, rows or not.
    """

    __tablename__ = "loan_allowance_history"

    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    unassigned_minor: Mapped[int] = mapped_column(BigInteger)
