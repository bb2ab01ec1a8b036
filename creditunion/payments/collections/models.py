"""Tables of mandates, the advance notices given under them, and each collection.

Amounts are BIGINT minor units in the loan's currency. The money moves only by journal
entries (collection clearing, the loan, the settlement bank); these rows hold what the
ledger does not know: the member's authority, what they were told and when, which file
carried each collection and what the bank said.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Uuid,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from creditunion.members.models import ENUM_LENGTH
from creditunion.payments.models import Scheme
from ledger.base import Base
from ledger.models import string_enum
from ledger.money_attribute import StoredMoney


class MandateStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # by staff: nothing is collected until it is resumed
    CANCELLED = "cancelled"  # by the member, staff or the member's bank; final


class CancelledBy(enum.StrEnum):
    MEMBER = "member"
    STAFF = "staff"
    BANK = "bank"  # ADDACS, an ACH return or notification of change
    LOAN_ENDED = "loan_ended"


class CollectionStatus(enum.StrEnum):
    SCHEDULED = "scheduled"  # the member has been told; not yet in a file
    SENT = "sent"  # in a file given to the bank
    COLLECTED = "collected"  # on its date: the loan met, the bank credited us
    UNPAID = "unpaid"  # the member's bank did not pay; the loan put back
    CANCELLED = "cancelled"  # not sent: replaced by a new notice, or the mandate ended

    @classmethod
    def live(cls) -> tuple[CollectionStatus, ...]:
        return (cls.SCHEDULED, cls.SENT, cls.COLLECTED)


class NoticeReason(enum.StrEnum):
    FIRST = "first"  # the schedule, before the first collection
    CHANGED = "changed"  # a collection's amount or date changed
    REPRESENTED = "represented"  # an unpaid collection asked for again
    FAILED = "failed"  # a collection came back unpaid
    STOPPED = "stopped"  # no further attempt will be made for an instalment
    CANCELLED = "cancelled"  # the mandate ended


class CollectionMandate(Base):
    """The member's authority to collect one loan's instalments from their bank account:
    a Bacs Direct Debit Instruction or an ACH debit authorisation."""

    __tablename__ = "collection_mandates"
    __table_args__ = (
        CheckConstraint(
            "(status = 'cancelled') = (cancelled_on IS NOT NULL AND cancelled_by IS NOT NULL)",
            name="cancelled_has_when",
        ),
        # One live mandate per loan; the ones before stay as history.
        Index(
            "uq_collection_mandates_loan_live",
            "loan_id",
            unique=True,
            postgresql_where=text("status <> 'cancelled'"),
        ),
        Index("ix_collection_mandates_member", "member_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    # The reference the member's bank knows the instruction by (Bacs: 6 to 18 characters).
    reference: Mapped[str] = mapped_column(String(18), unique=True)
    member_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("members.id"))
    loan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("loans.id"))
    nominated_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("nominated_accounts.id")
    )
    scheme: Mapped[Scheme] = mapped_column(string_enum(Scheme, "payment_scheme", length=4))
    holder_name: Mapped[str] = mapped_column(String(70))
    bank_id: Mapped[str] = mapped_column(String(9))
    account_number: Mapped[str] = mapped_column(String(17))
    account_kind: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[MandateStatus] = mapped_column(
        string_enum(MandateStatus, "collection_mandate_status", length=ENUM_LENGTH)
    )
    # The member agreed that an unpaid collection may be asked for again where the scheme
    # allows it.
    represent_agreed: Mapped[bool] = mapped_column(Boolean)
    signed_on: Mapped[dt.date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(16))  # "app" or "branch"
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    suspended_on: Mapped[dt.date | None] = mapped_column(Date)
    cancelled_on: Mapped[dt.date | None] = mapped_column(Date)
    cancelled_by: Mapped[CancelledBy | None] = mapped_column(
        string_enum(CancelledBy, "mandate_cancelled_by", length=ENUM_LENGTH)
    )
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    updated_by: Mapped[str] = mapped_column(String(100))


class CollectionNotice(Base):
    """What the member was told, and when: the Direct Debit Guarantee's advance notice."""

    __tablename__ = "collection_notices"
    __table_args__ = (Index("ix_collection_notices_member", "member_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    mandate_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("collection_mandates.id"))
    member_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("members.id"))
    loan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("loans.id"))
    reason: Mapped[NoticeReason] = mapped_column(
        string_enum(NoticeReason, "collection_notice_reason", length=ENUM_LENGTH)
    )
    given_on: Mapped[dt.date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(String(1000))


class Collection(Base):
    """One attempt to collect one instalment under a mandate."""

    __tablename__ = "collections"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("attempt >= 1", name="attempt_positive"),
        CheckConstraint(
            "(status IN ('sent', 'collected', 'unpaid') AND file_id IS NOT NULL) "
            "OR status IN ('scheduled', 'cancelled')",
            name="sent_has_file",
        ),
        CheckConstraint(
            "(status = 'collected') <= (collect_entry_id IS NOT NULL)", name="collected_has_entry"
        ),
        # One live attempt per instalment.
        Index(
            "uq_collections_instalment_live",
            "loan_id",
            "instalment_number",
            unique=True,
            postgresql_where=text("status IN ('scheduled', 'sent', 'collected')"),
        ),
        Index("ix_collections_status_date", "status", "collection_date", "id"),
        Index("ix_collections_mandate", "mandate_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    mandate_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("collection_mandates.id"))
    member_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("members.id"))
    loan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("loans.id"))
    instalment_number: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer)
    status: Mapped[CollectionStatus] = mapped_column(
        string_enum(CollectionStatus, "collection_status", length=ENUM_LENGTH)
    )
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    amount = StoredMoney("amount_minor")
    collection_date: Mapped[dt.date] = mapped_column(Date)
    notice_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("collection_notices.id"))
    end_to_end_id: Mapped[str] = mapped_column(String(35), unique=True)
    trace_number: Mapped[str | None] = mapped_column(String(15), unique=True)
    file_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("payment_files.id"))
    collect_entry_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("journal_entries.id")
    )
    # What met the loan and what went to the member's shares, to put back if unpaid.
    loan_transaction_id: Mapped[int | None] = mapped_column(BigInteger)
    fees_minor: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    interest_minor: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    principal_minor: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    excess_minor: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    excess_account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("ledger_accounts.id")
    )
    settle_entry_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("journal_entries.id")
    )
    unpaid_entry_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("journal_entries.id")
    )
    reason_code: Mapped[str | None] = mapped_column(String(8))
    reason_text: Mapped[str | None] = mapped_column(String(200))
    # Unpaid, and to be asked for again: the scheme allows it, the member agreed and the
    # attempts allowed are not used up.
    represent: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # The bank's reference for the unpaid advice, so the same one told twice posts once.
    unpaid_reference: Mapped[str | None] = mapped_column(String(35))
    created_on: Mapped[dt.date] = mapped_column(Date)
    updated_on: Mapped[dt.date] = mapped_column(Date)
    updated_by: Mapped[str] = mapped_column(String(100))
