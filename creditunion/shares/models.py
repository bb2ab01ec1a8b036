"""Tables of share products and share accounts.

Amounts are BIGINT minor units of the product's currency, as in the ledger. A share
account's money lives in its own ledger account (a child of the chart's members' shares
control header); this table holds what the ledger does not know: whose it is, under which
product, and its life cycle.
"""

from __future__ import annotations

import datetime as dt
import enum
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
    Integer,
    Numeric,
    Sequence,
    SmallInteger,
    String,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from creditunion.members.models import ENUM_LENGTH
from ledger.base import Base
from ledger.models import string_enum
from ledger.money_attribute import StoredMoney, StoredOptionalMoney
from loans.daycount import DayCount


class ProductKind(enum.StrEnum):
    INSTANT_ACCESS = "instant_access"
    CHRISTMAS_SAVER = "christmas_saver"  # withdrawals only inside its window(s)
    JUNIOR_SAVER = "junior_saver"  # opened only for a member under the product's age limit


class ReturnBasis(enum.StrEnum):
    """What the scheduler pays: interest at a fixed annual rate, or a dividend a manager
    declares for a closed period (the usual basis for UK credit union shares)."""

    INTEREST = "interest"
    DIVIDEND = "dividend"


class PostingFrequency(enum.StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUALLY = "annually"


class ShareAccountStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ShareProduct(Base):
    __tablename__ = "share_products"
    __table_args__ = (
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso"),
        CheckConstraint("minimum_balance_minor >= 0", name="minimum_not_negative"),
        CheckConstraint(
            "maximum_balance_minor IS NULL OR maximum_balance_minor > minimum_balance_minor",
            name="maximum_above_minimum",
        ),
        CheckConstraint(
            "maximum_age_years IS NULL OR maximum_age_years BETWEEN 1 AND 25",
            name="age_limit_range",
        ),
        CheckConstraint(
            "(return_basis = 'interest') = (annual_rate IS NOT NULL)", name="rate_for_interest"
        ),
        CheckConstraint(
            "annual_rate IS NULL OR (annual_rate >= 0 AND annual_rate < 1)", name="rate_range"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[ProductKind] = mapped_column(
        string_enum(ProductKind, "share_product_kind", length=ENUM_LENGTH)
    )
    currency: Mapped[str] = mapped_column(String(3))
    minimum_balance_minor: Mapped[int] = mapped_column(BigInteger)
    maximum_balance_minor: Mapped[int | None] = mapped_column(BigInteger)
    minimum_balance = StoredMoney("minimum_balance_minor")
    maximum_balance = StoredOptionalMoney("maximum_balance_minor")
    # [{"from": "11-01", "to": "12-31"}, ...]: month-day ranges, inclusive, which may wrap
    # the year end; NULL means withdrawals at any time.
    withdrawal_windows: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONB)
    # The member must be younger than this many years when the account is opened.
    maximum_age_years: Mapped[int | None] = mapped_column(SmallInteger)
    return_basis: Mapped[ReturnBasis] = mapped_column(
        string_enum(ReturnBasis, "return_basis", length=ENUM_LENGTH)
    )
    annual_rate: Mapped[Decimal | None] = mapped_column(Numeric(10, 8))
    day_count: Mapped[DayCount] = mapped_column(
        string_enum(DayCount, "share_day_count", length=ENUM_LENGTH)
    )
    posting_frequency: Mapped[PostingFrequency] = mapped_column(
        string_enum(PostingFrequency, "posting_frequency", length=ENUM_LENGTH)
    )
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


# Account numbers: a serial from this sequence plus a check digit (see account_number.py).
ACCOUNT_NUMBER_SEQUENCE = Sequence(
    "share_account_number_seq", minvalue=1, maxvalue=9_999_999, cycle=False, metadata=Base.metadata
)


class ShareAccount(Base):
    __tablename__ = "share_accounts"
    __table_args__ = (
        CheckConstraint("(status = 'closed') = (closed_on IS NOT NULL)", name="closed_on_set"),
        CheckConstraint("account_number ~ '^[0-9]{8}$'", name="account_number_digits"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    account_number: Mapped[str] = mapped_column(String(8), unique=True)
    member_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("members.id"), index=True)
    product_id: Mapped[int] = mapped_column(Integer, ForeignKey("share_products.id"))
    ledger_account_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("ledger_accounts.id"), unique=True
    )
    status: Mapped[ShareAccountStatus] = mapped_column(
        string_enum(ShareAccountStatus, "share_account_status", length=ENUM_LENGTH),
        server_default=ShareAccountStatus.OPEN.value,
    )
    opened_on: Mapped[dt.date] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    # The member authorised collecting loan repayments from this account (used by COB).
    repayment_mandate: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # When the balance first reached the product minimum and the ledger floor was raised.
    minimum_reached_on: Mapped[dt.date | None] = mapped_column(Date)
    opened_by: Mapped[str] = mapped_column(String(100))
    closed_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
