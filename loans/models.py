"""Tables of the loans package: products (versioned), applications, loans, schedules, activity.

Amounts are BIGINT minor units beside the currency they are in; on a row with a `currency`
column each amount the services use is also declared as `Money` (`StoredMoney`, named as
its column without `_minor`), and written through it. Instalment, transaction and fee
recognition rows have no currency but their loan's: `loans.services.amounts` reads
instalments and transactions as `Money` and writes transactions; the set-based statements
that write the rest take minor units. `member_id` is the
membership side's member id, a foreign key to `members.id` named by table only, so this
package never imports the application's member model. Ledger accounts and journal entries
are referenced by foreign key.
A product row's terms are never changed: an update writes the next version, and a loan
keeps a snapshot of the terms it was made on.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Any

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
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ledger.base import Base
from ledger.models import string_enum
from ledger.money_attribute import StoredMoney, StoredOptionalMoney


class ApplicationStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"  # passed through on the way to an offer; kept in the history
    DECLINED = "declined"
    REFERRED = "referred"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    WITHDRAWN_BY_MEMBER = "withdrawn_by_member"
    EXPIRED = "expired"


class DecisionKind(enum.StrEnum):
    AUTOMATED = "automated"
    OFFICER = "officer"


class LoanStatus(enum.StrEnum):
    ACTIVE = "active"
    SETTLED = "settled"
    WITHDRAWN = "withdrawn"  # the member used the 14-day right to withdraw
    WRITTEN_OFF = "written_off"


class TransactionKind(enum.StrEnum):
    DISBURSEMENT = "disbursement"
    REPAYMENT = "repayment"
    COLLECTION = "collection"
    WITHDRAWAL = "withdrawal"
    LATE_FEE = "late_fee"
    NSF_FEE = "nsf_fee"
    WRITE_OFF = "write_off"
    RECOVERY = "recovery"
    UNPAID = "unpaid"  # a collection from the member's bank that came back


class PaymentSource(enum.StrEnum):
    SHARES = "shares"
    CASH = "cash"
    EXTERNAL = "external"
    DIRECT_DEBIT = "direct_debit"  # collected from the member's bank under their mandate


class LoanProductRow(Base):
    """One version of a product; `(code, version)` is unique and the terms never change."""

    __tablename__ = "loan_products"
    __table_args__ = (
        UniqueConstraint("code", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso"),
        CheckConstraint(
            "0 < min_amount_minor AND min_amount_minor <= max_amount_minor", name="amount_range"
        ),
        CheckConstraint("1 <= term_min AND term_min <= term_max", name="term_range"),
        CheckConstraint("rate >= 0", name="rate_non_negative"),
        CheckConstraint("min_membership_days >= 0", name="membership_non_negative"),
        CheckConstraint("cardinality(frequencies) >= 1", name="has_frequency"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    rule_set: Mapped[str] = mapped_column(String(16))
    min_amount_minor: Mapped[int] = mapped_column(BigInteger)
    max_amount_minor: Mapped[int] = mapped_column(BigInteger)
    term_min: Mapped[int] = mapped_column(Integer)
    term_max: Mapped[int] = mapped_column(Integer)
    term_unit: Mapped[str] = mapped_column(String(16))
    frequencies: Mapped[list[str]] = mapped_column(ARRAY(String(16)))
    rate: Mapped[Decimal] = mapped_column(Numeric())
    rate_basis: Mapped[str] = mapped_column(String(16))
    day_count: Mapped[str] = mapped_column(String(16))
    fees: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    min_membership_days: Mapped[int] = mapped_column(Integer)
    late_fee_minor: Mapped[int | None] = mapped_column(BigInteger)
    nsf_fee_minor: Mapped[int | None] = mapped_column(BigInteger)
    early_repayment_charge_minor: Mapped[int | None] = mapped_column(BigInteger)
    exempt_threshold: Mapped[str] = mapped_column(String(8))
    interest_rounding: Mapped[str] = mapped_column(String(20))
    instalment_rounding: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    # Set once, when a newer version replaces this one; nothing else on the row changes.
    updated_by: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    superseded_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("loan_products.id"))

    min_amount = StoredMoney("min_amount_minor")
    max_amount = StoredMoney("max_amount_minor")
    late_fee = StoredOptionalMoney("late_fee_minor")
    nsf_fee = StoredOptionalMoney("nsf_fee_minor")
    early_repayment_charge = StoredOptionalMoney("early_repayment_charge_minor")


class LoanApplicationRow(Base):
    __tablename__ = "loan_applications"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("term >= 1", name="term_positive"),
        CheckConstraint("monthly_income_minor >= 0", name="income_non_negative"),
        CheckConstraint("dependants >= 0", name="dependants_non_negative"),
        CheckConstraint(
            "status <> 'offered' OR offer_expires_on IS NOT NULL", name="offer_has_expiry"
        ),
        # The referral queue and other status lists page by id within a status.
        Index("ix_loan_applications_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    member_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("members.id"), index=True)
    product_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("loan_products.id"))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    term: Mapped[int] = mapped_column(Integer)
    frequency: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(500))
    refinances_existing: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    monthly_income_minor: Mapped[int] = mapped_column(BigInteger)
    outgoings: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    dependants: Mapped[int] = mapped_column(Integer)
    status: Mapped[ApplicationStatus] = mapped_column(
        string_enum(ApplicationStatus, "loan_application_status", length=24)
    )
    submitted_on: Mapped[dt.date] = mapped_column(Date)
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    decision_kind: Mapped[DecisionKind | None] = mapped_column(
        string_enum(DecisionKind, "loan_decision_kind", length=16)
    )
    decided_by: Mapped[str | None] = mapped_column(String(100))
    decision_note: Mapped[str | None] = mapped_column(Text)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    offer_expires_on: Mapped[dt.date | None] = mapped_column(Date)
    offered_instalment_minor: Mapped[int | None] = mapped_column(BigInteger)
    offered_apr: Mapped[Decimal | None] = mapped_column(Numeric(7, 2))
    offered_total_payable_minor: Mapped[int | None] = mapped_column(BigInteger)
    # The offer's APR is above the UK 42.6% line: not an exempt agreement (PERG 2.7.19I G(1)).
    above_exempt_threshold: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    amount = StoredMoney("amount_minor")
    monthly_income = StoredMoney("monthly_income_minor")
    offered_instalment = StoredOptionalMoney("offered_instalment_minor")
    offered_total_payable = StoredOptionalMoney("offered_total_payable_minor")


class LoanApplicationEventRow(Base):
    """Every status change of an application: who, when, from what, why."""

    __tablename__ = "loan_application_events"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    application_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("loan_applications.id"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    business_date: Mapped[dt.date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class LoanRow(Base):
    __tablename__ = "loans"
    __table_args__ = (
        CheckConstraint("amount_minor > 0 AND principal_minor > 0", name="amounts_positive"),
        CheckConstraint("accrual_denominator >= 1", name="denominator_positive"),
        CheckConstraint("days_past_due >= 0", name="days_past_due_non_negative"),
        CheckConstraint(
            "recovered_minor >= 0 AND recovered_minor <= written_off_minor", name="recoveries"
        ),
        CheckConstraint(
            "provision_minor >= 0 AND suspended_interest_minor >= 0",
            name="provision_and_suspense_non_negative",
        ),
        CheckConstraint(
            "(withdrawal_notice_on IS NULL) = (withdrawal_repay_by IS NULL)",
            name="withdrawal_notice_complete",
        ),
        # The active book, which every close of business step reads.
        Index("ix_loans_active", "id", postgresql_where=text("status = 'active'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    member_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("members.id"), index=True)
    application_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("loan_applications.id"), unique=True
    )
    product_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("loan_products.id"))
    product_code: Mapped[str] = mapped_column(String(40))
    rule_set: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    # The terms the loan was made on, whatever happens to the product later.
    terms: Mapped[dict[str, Any]] = mapped_column(JSONB)
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # the amount lent
    principal_minor: Mapped[int] = mapped_column(BigInteger)  # scheduled: amount + financed fees
    credit_minor: Mapped[int] = mapped_column(BigInteger)  # credit provided, the APR's advance
    fees_minor: Mapped[int] = mapped_column(BigInteger)  # every fee charged at disbursement
    apr: Mapped[Decimal] = mapped_column(Numeric(7, 2))
    # Made above the UK 42.6% line: a regulated agreement, not an exempt one.
    above_exempt_threshold: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    rate: Mapped[Decimal] = mapped_column(Numeric())
    rate_basis: Mapped[str] = mapped_column(String(16))
    day_count: Mapped[str] = mapped_column(String(16))
    frequency: Mapped[str] = mapped_column(String(16))
    interest_rounding: Mapped[str] = mapped_column(String(20))
    instalment_minor: Mapped[int] = mapped_column(BigInteger)  # the level instalment
    instalments: Mapped[int] = mapped_column(Integer)  # as first scheduled
    late_fee_minor: Mapped[int | None] = mapped_column(BigInteger)
    nsf_fee_minor: Mapped[int | None] = mapped_column(BigInteger)
    principal_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("ledger_accounts.id"), unique=True
    )
    interest_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("ledger_accounts.id"), unique=True
    )
    fees_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("ledger_accounts.id"), unique=True
    )
    disbursement_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("ledger_accounts.id")
    )
    # The member's mandate to collect instalments from this share account, if given.
    collection_account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("ledger_accounts.id")
    )
    status: Mapped[LoanStatus] = mapped_column(string_enum(LoanStatus, "loan_status", length=16))
    disbursed_on: Mapped[dt.date] = mapped_column(Date)
    maturity_date: Mapped[dt.date] = mapped_column(Date)  # the last instalment's due date
    last_instalment_no: Mapped[int] = mapped_column(Integer)
    disbursement_entry_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("journal_entries.id")
    )
    # Units of the accrual carry: minor units x this (loans.accrual.denominator).
    accrual_denominator: Mapped[int] = mapped_column(Integer)
    # Arrears as last aged.
    days_past_due: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    arrears_bucket: Mapped[str] = mapped_column(String(8), server_default=text("'current'"))
    arrears_minor: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    aged_on: Mapped[dt.date | None] = mapped_column(Date)
    settled_on: Mapped[dt.date | None] = mapped_column(Date)
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)
    # Notice of withdrawal (CCA s.66A) given on this day; the credit and interest to the day
    # of repayment are due by `withdrawal_repay_by` (30 days on); cleared, it is withdrawn.
    withdrawal_notice_on: Mapped[dt.date | None] = mapped_column(Date)
    withdrawal_repay_by: Mapped[dt.date | None] = mapped_column(Date)
    written_off_on: Mapped[dt.date | None] = mapped_column(Date)
    written_off_minor: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    recovered_minor: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    # Loan-loss provision as last made at a month end (loans.services.provisioning); its
    # sum over the book is what close of business holds in the allowance.
    provision_minor: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    provisioned_on: Mapped[dt.date | None] = mapped_column(Date)
    # Non-accrual (loans.services.non_accrual): since when, and the interest receivable
    # held in suspense rather than income, recognised as cash for it comes in.
    non_accrual_since: Mapped[dt.date | None] = mapped_column(Date)
    suspended_interest_minor: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    amount = StoredMoney("amount_minor")
    principal = StoredMoney("principal_minor")
    credit = StoredMoney("credit_minor")
    fees = StoredMoney("fees_minor")
    instalment = StoredMoney("instalment_minor")
    late_fee = StoredOptionalMoney("late_fee_minor")
    nsf_fee = StoredOptionalMoney("nsf_fee_minor")
    arrears = StoredMoney("arrears_minor")
    written_off = StoredMoney("written_off_minor")
    recovered = StoredMoney("recovered_minor")
    provision = StoredMoney("provision_minor")
    suspended_interest = StoredMoney("suspended_interest_minor")


class LoanAccrualRow(Base):
    """A loan's accrual state (`loans.accrual.AccrualState`): the period in progress, its carry.

    Apart from the loan's row so the daily update is narrow and indexes nothing it changes
    (PostgreSQL can then update in place), whatever the size of the loan's terms.
    """

    __tablename__ = "loan_accruals"
    __table_args__ = (
        CheckConstraint("period_start < period_end", name="period_ordered"),
        CheckConstraint(
            "period_start <= accrued_through AND accrued_through <= period_end",
            name="accrued_in_period",
        ),
        CheckConstraint("period_units >= 0 AND period_posted_minor >= 0", name="carry_positive"),
        {"postgresql_with": {"fillfactor": "70"}},
    )

    loan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("loans.id"), primary_key=True)
    accrued_through: Mapped[dt.date] = mapped_column(Date)
    period_no: Mapped[int] = mapped_column(Integer)
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    period_whole_months: Mapped[int] = mapped_column(Integer)
    period_extra_days: Mapped[int] = mapped_column(Integer)
    # Exact interest accrued in the period, minor units x the loan's accrual_denominator.
    period_units: Mapped[Decimal] = mapped_column(Numeric())
    period_posted_minor: Mapped[int] = mapped_column(BigInteger)


class LoanInstalmentRow(Base):
    """One due date of a loan's schedule; `number` is the accrual period it closes.

    An instalment counts as paid (`paid_on`) once its amount is paid; the last one only when
    the loan is cleared, because whatever the loan still owes is due with it.
    """

    __tablename__ = "loan_instalments"
    __table_args__ = (
        UniqueConstraint("loan_id", "number"),
        CheckConstraint(
            "principal_minor >= 0 AND interest_minor >= 0 AND fees_minor >= 0 AND paid_minor >= 0",
            name="amounts_non_negative",
        ),
        # What is due and unpaid, by date: collection and arrears read only these.
        Index(
            "ix_loan_instalments_unpaid",
            "due_date",
            "loan_id",
            postgresql_where=text("paid_on IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    loan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("loans.id"))
    number: Mapped[int] = mapped_column(Integer)
    due_date: Mapped[dt.date] = mapped_column(Date)
    principal_minor: Mapped[int] = mapped_column(BigInteger)
    interest_minor: Mapped[int] = mapped_column(BigInteger)
    fees_minor: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    paid_minor: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    paid_on: Mapped[dt.date | None] = mapped_column(Date)
    late_fee_charged: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    nsf_fee_charged: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class LoanTransactionRow(Base):
    """Money that moved on a loan (interest accruals live in the journal only)."""

    __tablename__ = "loan_transactions"
    __table_args__ = (
        CheckConstraint("amount_minor >= 0", name="amount_non_negative"),
        CheckConstraint(
            "(in_advance_minor IS NULL) = (balance_reduction_minor IS NULL) "
            "AND in_advance_minor >= 0 AND balance_reduction_minor >= 0 "
            "AND in_advance_minor + balance_reduction_minor <= amount_minor",
            name="applied_within_amount",
        ),
        Index("ix_loan_transactions_loan_id_id", "loan_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    loan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("loans.id"))
    kind: Mapped[TransactionKind] = mapped_column(
        string_enum(TransactionKind, "loan_transaction_kind", length=16)
    )
    business_date: Mapped[dt.date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    fees_minor: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    interest_minor: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    principal_minor: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    source: Mapped[PaymentSource | None] = mapped_column(
        string_enum(PaymentSource, "loan_payment_source", length=16)
    )
    source_account_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("ledger_accounts.id")
    )
    journal_entry_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("journal_entries.id")
    )
    # The client's key for a command it may retry (a repayment); unique per loan.
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    actor: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    # A repayment the member asked to reduce the balance rather than pay an instalment ahead.
    reduce_balance: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # How a repayment met the schedule: the part that paid the next instalment before its
    # due date and the part that reduced the balance; the rest met what was due. Null on
    # other kinds and on repayments made before migration 0020 kept it.
    in_advance_minor: Mapped[int | None] = mapped_column(BigInteger)
    balance_reduction_minor: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class LoanFeeRecognitionRow(Base):
    """A loan's deferred fees, recognised as income period by period (loans.effective_interest).

    One row per instalment period: the part of the fees earned by its due date at the
    loan's effective interest rate. The rows of a loan sum to its fees exactly; a period
    can earn a little less than nothing (an odd first period's interest above its share).
    """

    __tablename__ = "loan_fee_recognition"
    __table_args__ = (
        Index(
            "ix_loan_fee_recognition_open",
            "due_date",
            postgresql_where=text("recognised_on IS NULL"),
        ),
    )

    loan_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("loans.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    due_date: Mapped[dt.date] = mapped_column(Date)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    recognised_on: Mapped[dt.date | None] = mapped_column(Date)
    # The member withdrew from the agreement and the fees were refunded: never earned.
    cancelled_on: Mapped[dt.date | None] = mapped_column(Date)
