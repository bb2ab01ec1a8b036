"""Tables of the day seals: a hash chain over each closed business day's journal.

Append-only like the journal itself: a trigger refuses UPDATE, DELETE and TRUNCATE, so
a seal, once written, can only be changed by someone who disables triggers, and `verify`
then sees the change.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Uuid,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from ledger.base import Base


class DaySeal(Base):
    """One sealed business date, linked to the seal of the day before it."""

    __tablename__ = "ledger_day_seals"
    __table_args__ = (
        CheckConstraint("octet_length(previous_seal_hash) = 32", name="previous_hash_length"),
        CheckConstraint("octet_length(seal_hash) = 32", name="seal_hash_length"),
        CheckConstraint("octet_length(last_link) = 32", name="last_link_length"),
        CheckConstraint("entry_count >= 0 AND posting_count >= 0", name="counts_not_negative"),
        # An empty day has no sequence range; a day with entries has both ends.
        CheckConstraint(
            "(entry_count = 0) = (first_sequence_no IS NULL AND last_sequence_no IS NULL)",
            name="sequence_range_iff_entries",
        ),
    )

    # No foreign key to ledger_day_closes: closing a date closes every date before it, so
    # a closed date need not have a row there; seal_day checks it is closed.
    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    previous_seal_hash: Mapped[bytes] = mapped_column(LargeBinary)
    # The chain's link after the day's last entry (the previous seal hash on an empty day).
    last_link: Mapped[bytes] = mapped_column(LargeBinary)
    seal_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    entry_count: Mapped[int] = mapped_column(Integer)
    posting_count: Mapped[int] = mapped_column(BigInteger)
    first_sequence_no: Mapped[int | None] = mapped_column(BigInteger)
    last_sequence_no: Mapped[int | None] = mapped_column(BigInteger)
    sealed_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    sealed_by: Mapped[str] = mapped_column(String(100))


class DaySealTotal(Base):
    """A sealed day's debit and credit totals in one currency (minor units)."""

    __tablename__ = "ledger_day_seal_totals"
    __table_args__ = (
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso"),
        CheckConstraint("debit_minor >= 0 AND credit_minor >= 0", name="totals_not_negative"),
    )

    business_date: Mapped[dt.date] = mapped_column(
        Date, ForeignKey("ledger_day_seals.business_date"), primary_key=True
    )
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    debit_minor: Mapped[int] = mapped_column(BigInteger)
    credit_minor: Mapped[int] = mapped_column(BigInteger)


class EntryChainLink(Base):
    """One sealed entry's place in the chain: its own digest and the link after it.

    No foreign keys, on purpose: a row-by-row key check would double the time to seal a
    day of a million postings, and `verify` checks every link against its entry and its
    day's seal anyway (a link whose entry is gone is reported as an entry missing).
    """

    __tablename__ = "ledger_entry_chain"
    __table_args__ = (
        CheckConstraint("octet_length(entry_digest) = 32", name="digest_length"),
        CheckConstraint("octet_length(chain_hash) = 32", name="chain_hash_length"),
        # Verify reads a day's links in sequence order beside its entries.
        Index("uq_ledger_entry_chain_date_sequence", "business_date", "sequence_no", unique=True),
    )

    entry_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    business_date: Mapped[dt.date] = mapped_column(Date)
    sequence_no: Mapped[int] = mapped_column(BigInteger)
    entry_digest: Mapped[bytes] = mapped_column(LargeBinary)
    chain_hash: Mapped[bytes] = mapped_column(LargeBinary)
