"""The pending approvals table: one row per command awaiting (or given) a second pair of eyes."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    String,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from creditunion.members.models import ENUM_LENGTH
from ledger.base import Base
from ledger.models import string_enum


class ApprovalKind(enum.StrEnum):
    CASH_WITHDRAWAL = "cash_withdrawal"  # above the configured limit
    REVERSAL = "reversal"  # always
    LOAN_WRITE_OFF = "loan_write_off"  # always: a manager asks, another manager approves
    PAYMENT = "payment"  # a payment out above the limit; its money has left the account


class ApprovalStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"  # and posted: journal_entry_id says what
    REJECTED = "rejected"
    EXPIRED = "expired"  # still pending when its business day closed


class PendingApproval(Base):
    __tablename__ = "pending_approvals"
    __table_args__ = (
        # Maker-checker in the database itself: no code path can approve its own request.
        CheckConstraint("checker IS NULL OR checker <> maker", name="checker_is_not_maker"),
        CheckConstraint(
            "(status = 'approved') = (journal_entry_id IS NOT NULL)", name="approved_has_entry"
        ),
        CheckConstraint(
            "(status = 'pending') = (decided_at IS NULL)", name="decided_unless_pending"
        ),
        CheckConstraint(
            "kind <> 'cash_withdrawal' OR (share_account_id IS NOT NULL AND amount_minor > 0)",
            name="withdrawal_has_account",
        ),
        CheckConstraint(
            "kind <> 'reversal' OR target_entry_id IS NOT NULL", name="reversal_has_target"
        ),
        CheckConstraint(
            "kind <> 'loan_write_off' OR loan_id IS NOT NULL", name="write_off_has_loan"
        ),
        # Funds reserved by withdrawals awaiting approval, summed per account.
        Index(
            "ix_pending_approvals_share_account_pending",
            "share_account_id",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_pending_approvals_status_id", "status", "id"),
        # At most one reversal of an entry awaiting approval at a time.
        Index(
            "uq_pending_approvals_target_entry_pending",
            "target_entry_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
        # At most one write-off of a loan awaiting approval at a time.
        Index(
            "uq_pending_approvals_loan_pending",
            "loan_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    kind: Mapped[ApprovalKind] = mapped_column(
        string_enum(ApprovalKind, "approval_kind", length=ENUM_LENGTH)
    )
    status: Mapped[ApprovalStatus] = mapped_column(
        string_enum(ApprovalStatus, "approval_status", length=ENUM_LENGTH),
        server_default=ApprovalStatus.PENDING.value,
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # The key the command posts under once approved; creating it again with the same key
    # returns this row instead of a second request.
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    maker: Mapped[str] = mapped_column(String(100))
    requested_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    checker: Mapped[str | None] = mapped_column(String(100))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    decision_note: Mapped[str | None] = mapped_column(String(500))
    journal_entry_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("journal_entries.id")
    )
    share_account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("share_accounts.id")
    )
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    target_entry_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("journal_entries.id")
    )
    loan_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("loans.id"))
