"""The members table and its enumerations."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Identity,
    Index,
    Sequence,
    String,
    func,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ledger.base import Base
from ledger.models import string_enum


class MemberStatus(enum.StrEnum):
    PENDING = "pending"  # registered, not yet holding the minimum share
    ACTIVE = "active"
    DORMANT = "dormant"  # set by staff; no money leaves until reactivated
    CLOSED = "closed"  # final


class CommonBond(enum.StrEnum):
    """How the member qualifies under the credit union's common bond."""

    LIVES_IN_AREA = "lives_in_area"
    WORKS_IN_AREA = "works_in_area"
    EMPLOYER = "employer"
    ASSOCIATIONAL = "associational"


# Member tables' enumerations are VARCHAR(32) with a CHECK of their values.
ENUM_LENGTH = 32


# Membership numbers come from a sequence, which never hands out a value twice (not even
# one whose transaction rolled back), so a number is never reused.
MEMBERSHIP_NUMBER_SEQUENCE = Sequence(
    "membership_number_seq", minvalue=1, maxvalue=99_999_999, cycle=False, metadata=Base.metadata
)


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (
        CheckConstraint("(status = 'closed') = (closed_on IS NOT NULL)", name="closed_on_set"),
        CheckConstraint(
            "status NOT IN ('active', 'dormant') OR activated_on IS NOT NULL",
            name="activated_on_set",
        ),
        # One live membership per person; a closed member may rejoin under a new number.
        Index(
            "uq_members_ni_number_live",
            "ni_number",
            unique=True,
            postgresql_where=text("ni_number IS NOT NULL AND status <> 'closed'"),
        ),
        # Name-prefix search: lower(name) LIKE 'smi%' needs the pattern operator class.
        Index(
            "ix_members_family_name_prefix",
            func.lower(literal_column("family_name")).label("family_lower"),
            postgresql_ops={"family_lower": "text_pattern_ops"},
        ),
        Index(
            "ix_members_given_name_prefix",
            func.lower(literal_column("given_name")).label("given_lower"),
            postgresql_ops={"given_lower": "text_pattern_ops"},
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    membership_number: Mapped[str] = mapped_column(String(16), unique=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[dt.date] = mapped_column(Date)
    address_line1: Mapped[str] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    town: Mapped[str] = mapped_column(String(100))
    postcode: Mapped[str] = mapped_column(String(8), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    ni_number: Mapped[str | None] = mapped_column(String(9))
    common_bond: Mapped[CommonBond] = mapped_column(
        string_enum(CommonBond, "common_bond", length=ENUM_LENGTH)
    )
    bond_detail: Mapped[str] = mapped_column(String(200))
    status: Mapped[MemberStatus] = mapped_column(
        string_enum(MemberStatus, "member_status", length=ENUM_LENGTH),
        server_default=MemberStatus.PENDING.value,
    )
    joined_on: Mapped[dt.date] = mapped_column(Date)
    activated_on: Mapped[dt.date | None] = mapped_column(Date)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )
