"""Tables of payments to and from members' external bank accounts.

Amounts are BIGINT minor units in the payment's currency, as in the ledger. The money
itself moves only by journal entries (member, clearing, settlement bank, suspense); these
tables hold what the ledger does not know: where the money is going or came from, which
file carried it, what the bank said, and who resolved what.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from creditunion.members.models import ENUM_LENGTH
from ledger.base import Base
from ledger.models import string_enum
from ledger.money_attribute import StoredMoney


class Scheme(enum.StrEnum):
    """How an external account is identified: UK sort code, or US ABA routing number."""

    UK = "uk"
    US = "us"


class NominationStatus(enum.StrEnum):
    ACTIVE = "active"
    REPLACED = "replaced"


class PaymentPurpose(enum.StrEnum):
    PAYOUT = "payout"  # from a share account, asked for by the member or a teller
    LOAN_DISBURSEMENT = "loan_disbursement"  # an accepted loan paid to the nominated account
    RETURN_TO_SENDER = "return_to_sender"  # an unmatched incoming credit sent back


class PaymentStatus(enum.StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"  # above the limit: a second staff member decides
    PENDING = "pending"  # not yet in a file (perhaps held until `not_before`)
    SENT = "sent"  # in a file given to the bank
    SETTLED = "settled"
    REJECTED = "rejected"  # refused by the bank before settlement; reversed
    RETURNED = "returned"  # paid, then sent back by the receiving bank; reversed
    CANCELLED = "cancelled"  # by staff before it was sent, or refused by the checker

    @classmethod
    def in_flight(cls) -> tuple[PaymentStatus, ...]:
        """Statuses whose money has left the member but not yet reached the bank."""
        return (cls.AWAITING_APPROVAL, cls.PENDING, cls.SENT)


class CreditStatus(enum.StrEnum):
    APPLIED = "applied"  # matched by its reference and posted to the member
    UNMATCHED = "unmatched"  # in suspense, in the staff work queue
    ASSIGNED = "assigned"  # a staff member posted it from suspense to a member
    RETURNED = "returned"  # sent back to the payer from suspense


class FileDirection(enum.StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class LineStatus(enum.StrEnum):
    MATCHED = "matched"
    BREAK = "break"  # on the statement, not in the books: to be resolved
    RESOLVED = "resolved"  # a break a staff member explained


class NominatedAccount(Base):
    __tablename__ = "nominated_accounts"
    __table_args__ = (
        CheckConstraint(
            "(scheme = 'uk' AND bank_id ~ '^[0-9]{6}$' AND account_number ~ '^[0-9]{8}$' "
            "AND account_kind IS NULL) OR (scheme = 'us' AND bank_id ~ '^[0-9]{9}$' "
            "AND account_kind IS NOT NULL)",
            name="scheme_details",
        ),
        CheckConstraint("usable_on >= nominated_on", name="usable_after_nomination"),
        # One nominated account per member at a time; the ones it replaced stay as history.
        Index(
            "uq_nominated_accounts_member_active",
            "member_id",
            unique=True,
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    member_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("members.id"))
    scheme: Mapped[Scheme] = mapped_column(string_enum(Scheme, "payment_scheme", length=4))
    holder_name: Mapped[str] = mapped_column(String(70))
    bank_id: Mapped[str] = mapped_column(String(9))  # sort code or routing number
    account_number: Mapped[str] = mapped_column(String(17))
    account_kind: Mapped[str | None] = mapped_column(String(8))  # US: checking or savings
    status: Mapped[NominationStatus] = mapped_column(
        string_enum(NominationStatus, "nomination_status", length=ENUM_LENGTH)
    )
    nominated_on: Mapped[dt.date] = mapped_column(Date)
    # The cooling-off period: payments to this account are held until this business date.
    usable_on: Mapped[dt.date] = mapped_column(Date)
    nominated_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    replaced_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class PaymentFile(Base):
    """A file given to the bank or received from it, kept byte for byte."""

    __tablename__ = "payment_files"
    __table_args__ = (
        CheckConstraint("octet_length(content) > 0", name="not_empty"),
        Index(
            "uq_payment_files_direction_kind_message",
            "direction",
            "kind",
            "message_id",
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    direction: Mapped[FileDirection] = mapped_column(
        string_enum(FileDirection, "payment_file_direction", length=ENUM_LENGTH)
    )
    kind: Mapped[str] = mapped_column(String(20))  # "pain.001.001.09", "nacha", ...
    message_id: Mapped[str] = mapped_column(String(35))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    business_date: Mapped[dt.date] = mapped_column(Date)
    item_count: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class OutboundPayment(Base):
    __tablename__ = "outbound_payments"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso"),
        CheckConstraint(
            "(status IN ('sent', 'settled', 'rejected', 'returned')) = (file_id IS NOT NULL)",
            name="sent_has_file",
        ),
        CheckConstraint(
            "(status = 'settled' OR status = 'returned') = (settle_entry_id IS NOT NULL)",
            name="settled_has_entry",
        ),
        CheckConstraint(
            "(status IN ('rejected', 'returned', 'cancelled')) = (reverse_entry_id IS NOT NULL)",
            name="reversed_has_entry",
        ),
        CheckConstraint(
            "purpose = 'return_to_sender' OR share_account_id IS NOT NULL",
            name="member_payment_has_account",
        ),
        # File production picks what is due; staff lists filter by status.
        Index("ix_outbound_payments_status_not_before", "status", "not_before", "id"),
        Index("ix_outbound_payments_member", "member_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    # ACH only: the trace number the entry was sent under, which returns and NOCs quote.
    trace_number: Mapped[str | None] = mapped_column(String(15), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    purpose: Mapped[PaymentPurpose] = mapped_column(
        string_enum(PaymentPurpose, "payment_purpose", length=ENUM_LENGTH)
    )
    status: Mapped[PaymentStatus] = mapped_column(
        string_enum(PaymentStatus, "payment_status", length=ENUM_LENGTH)
    )
    member_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("members.id"))
    share_account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("share_accounts.id")
    )
    nominated_account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("nominated_accounts.id")
    )
    loan_id: Mapped[int | None] = mapped_column(BigInteger)
    incoming_credit_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("incoming_credits.id")
    )
    # Where it goes, as it was when the payment was made (a later nomination changes nothing).
    scheme: Mapped[Scheme] = mapped_column(string_enum(Scheme, "payment_scheme", length=4))
    creditor_name: Mapped[str] = mapped_column(String(70))
    bank_id: Mapped[str] = mapped_column(String(9))
    account_number: Mapped[str] = mapped_column(String(17))
    account_kind: Mapped[str | None] = mapped_column(String(8))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    amount = StoredMoney("amount_minor")
    reference: Mapped[str] = mapped_column(String(35))
    created_on: Mapped[dt.date] = mapped_column(Date)
    not_before: Mapped[dt.date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(100))
    approval_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("pending_approvals.id"))
    file_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("payment_files.id"))
    settlement_date: Mapped[dt.date | None] = mapped_column(Date)
    debit_entry_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("journal_entries.id"))
    settle_entry_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("journal_entries.id")
    )
    reverse_entry_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("journal_entries.id")
    )
    reason_code: Mapped[str | None] = mapped_column(String(8))
    reason_text: Mapped[str | None] = mapped_column(String(200))
    # The bank's reference for the return, so the same return told twice posts once.
    return_reference: Mapped[str | None] = mapped_column(String(35))
    updated_on: Mapped[dt.date] = mapped_column(Date)
    updated_by: Mapped[str] = mapped_column(String(100))


class IncomingCredit(Base):
    __tablename__ = "incoming_credits"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso"),
        CheckConstraint(
            "(status = 'unmatched') OR (status = 'returned') OR share_account_id IS NOT NULL",
            name="applied_has_account",
        ),
        Index("ix_incoming_credits_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    # The bank's own reference for the entry: the same credit notified twice posts once.
    bank_reference: Mapped[str] = mapped_column(String(35), unique=True)
    file_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("payment_files.id"))
    status: Mapped[CreditStatus] = mapped_column(
        string_enum(CreditStatus, "incoming_credit_status", length=ENUM_LENGTH)
    )
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    amount = StoredMoney("amount_minor")
    booking_date: Mapped[dt.date] = mapped_column(Date)
    payer_name: Mapped[str | None] = mapped_column(String(140))
    scheme: Mapped[Scheme] = mapped_column(string_enum(Scheme, "payment_scheme", length=4))
    payer_bank_id: Mapped[str | None] = mapped_column(String(9))
    payer_account_number: Mapped[str | None] = mapped_column(String(17))
    reference: Mapped[str | None] = mapped_column(String(140))
    member_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("members.id"))
    share_account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("share_accounts.id")
    )
    entry_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("journal_entries.id"))
    resolve_entry_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("journal_entries.id")
    )
    received_on: Mapped[dt.date] = mapped_column(Date)
    resolved_on: Mapped[dt.date | None] = mapped_column(Date)
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolution_note: Mapped[str | None] = mapped_column(String(500))


class StatementLine(Base):
    """A line of the settlement bank's statement, and what in the books it matched."""

    __tablename__ = "bank_statement_lines"
    __table_args__ = (
        CheckConstraint("amount_minor <> 0", name="amount_not_zero"),
        CheckConstraint(
            "(status = 'matched') = (outbound_payment_id IS NOT NULL "
            "OR incoming_credit_id IS NOT NULL OR collection_id IS NOT NULL)",
            name="matched_has_target",
        ),
        CheckConstraint(
            "(status = 'resolved') = (resolved_by IS NOT NULL)", name="resolved_has_who"
        ),
        Index("ix_bank_statement_lines_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    file_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("payment_files.id"))
    statement_id: Mapped[str] = mapped_column(String(35))
    bank_reference: Mapped[str] = mapped_column(String(35), unique=True)
    booking_date: Mapped[dt.date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    # Signed as the bank sees the credit union's account: credits positive.
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    end_to_end_id: Mapped[str | None] = mapped_column(String(35))
    status: Mapped[LineStatus] = mapped_column(
        string_enum(LineStatus, "statement_line_status", length=ENUM_LENGTH)
    )
    outbound_payment_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("outbound_payments.id")
    )
    incoming_credit_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("incoming_credits.id")
    )
    # A direct debit the bank credited, or debited back unpaid.
    collection_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("collections.id"))
    resolved_by: Mapped[str | None] = mapped_column(String(100))
    resolution_note: Mapped[str | None] = mapped_column(String(500))
