"""Tables of the double-entry ledger.

Amounts are BIGINT minor units. A posting's amount is signed: positive is a debit,
negative a credit, so every entry's postings sum to zero and an account's stored
`balance_minor` is exactly the sum of its postings (debit-positive).
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Identity,
    Index,
    LargeBinary,
    String,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ledger.base import Base


class AccountType(enum.StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"

    @property
    def debit_normal(self) -> bool:
        return self in (AccountType.ASSET, AccountType.EXPENSE)


class AccountStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


def string_enum(enum_cls: type[enum.StrEnum], name: str, *, length: int = 16) -> Enum:
    """A VARCHAR with a CHECK of the values (adding a value is then a plain migration)."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class LedgerAccount(Base):
    __tablename__ = "ledger_accounts"
    __table_args__ = (
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso"),
        # The floor is on the account's normal side: a member's shares (a liability,
        # credit-normal) with floor 0 may never be overdrawn.
        CheckConstraint(
            "floor_minor IS NULL OR (CASE WHEN type IN ('asset', 'expense') "
            "THEN balance_minor ELSE -balance_minor END) >= floor_minor",
            name="balance_at_or_above_floor",
        ),
        CheckConstraint("status = 'open' OR balance_minor = 0", name="closed_at_zero"),
        CheckConstraint("NOT header OR balance_minor = 0", name="header_holds_nothing"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[AccountType] = mapped_column(string_enum(AccountType, "account_type"))
    currency: Mapped[str] = mapped_column(String(3))
    floor_minor: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[AccountStatus] = mapped_column(
        string_enum(AccountStatus, "account_status"), server_default=AccountStatus.OPEN.value
    )
    header: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    parent_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("ledger_accounts.id"), index=True
    )
    balance_minor: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    opened_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class JournalEntry(Base):
    """One balanced transaction. Append-only: a trigger refuses UPDATE and DELETE."""

    __tablename__ = "journal_entries"
    __table_args__ = (
        CheckConstraint("kind ~ '^[a-z][a-z0-9_.]{0,39}$'", name="kind_format"),
        CheckConstraint("length(idempotency_key) BETWEEN 1 AND 200", name="key_length"),
        CheckConstraint("octet_length(content_hash) = 32", name="hash_length"),
        CheckConstraint("reverses_entry_id IS NULL OR kind = 'reversal'", name="reversal_kind"),
        # The day's journal in sequence order: what a seal hashes and an export reads.
        Index("ix_journal_entries_date_sequence", "business_date", "sequence_no"),
        # Partial, so the common entry (no reference, reversing nothing) costs no index entry.
        Index(
            "ix_journal_entries_reference",
            "reference",
            postgresql_where=text("reference IS NOT NULL"),
        ),
        # Unique: an entry is reversed at most once, whatever the interleaving.
        Index(
            "uq_journal_entries_reverses_entry_id",
            "reverses_entry_id",
            unique=True,
            postgresql_where=text("reverses_entry_id IS NOT NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    sequence_no: Mapped[int] = mapped_column(BigInteger, Identity(always=True), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    content_hash: Mapped[bytes] = mapped_column(LargeBinary)
    business_date: Mapped[dt.date] = mapped_column(Date)
    posted_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    description: Mapped[str] = mapped_column(String(500))
    reference: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    reverses_entry_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("journal_entries.id")
    )
    meta: Mapped[dict[str, Any]] = mapped_column(
        "metadata", JSONB, server_default=text("'{}'::jsonb")
    )
    posted_by: Mapped[str] = mapped_column(String(100))


class Posting(Base):
    """One line of a journal entry. Append-only like its entry."""

    __tablename__ = "postings"
    __table_args__ = (
        CheckConstraint("amount_minor <> 0", name="non_zero"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso"),
        Index("ix_postings_account_date", "account_id", "business_date", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("journal_entries.id"), index=True)
    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ledger_accounts.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # Copied from the entry so balance-as-of and statements need no join.
    business_date: Mapped[dt.date] = mapped_column(Date)


class DayClose(Base):
    """A closed business date: nothing may be posted on or before the latest one."""

    __tablename__ = "ledger_day_closes"

    business_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    closed_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    closed_by: Mapped[str] = mapped_column(String(100))
