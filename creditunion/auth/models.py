"""Tables of logins: users (staff and members alike) and their refresh tokens."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
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

from creditunion.auth.roles import Role
from ledger.base import Base

USERNAME_LENGTH_MAX = 64


class User(Base):
    """A login. Staff users have a role and no member; a member's login has both."""

    __tablename__ = "users"
    __table_args__ = (
        # Case-insensitive uniqueness: "Alice" and "alice" are the same login.
        Index("uq_users_username_lower", func.lower(text("username")), unique=True),
        # One login per member.
        Index(
            "uq_users_member_id",
            "member_id",
            unique=True,
            postgresql_where=text("member_id IS NOT NULL"),
        ),
        CheckConstraint(
            "(role = 'member') = (member_id IS NOT NULL)", name="member_role_has_member"
        ),
        CheckConstraint("failed_login_count >= 0", name="failed_count_non_negative"),
        CheckConstraint("username ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$'", name="username_format"),
        # Maker-checker for privileged roles, in the database itself: nobody approves a
        # login they created, and only a manager's or an admin's login awaits approval.
        CheckConstraint(
            "approved_by_user_id IS NULL OR created_by_user_id IS NULL "
            "OR approved_by_user_id <> created_by_user_id",
            name="approver_is_not_creator",
        ),
        CheckConstraint(
            "NOT approval_pending OR role IN ('manager', 'admin')",
            name="approval_only_for_privileged_roles",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_LENGTH_MAX))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            name="user_role",
            native_enum=False,
            create_constraint=True,
            length=16,
            values_callable=lambda members: [m.value for m in members],
            validate_strings=True,
        )
    )
    active: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    member_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("members.id"))
    failed_login_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    created_at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    # Set by an administrator's reset: until the user picks their own password, their
    # tokens may do nothing but change it.
    must_change_password: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # A manager's or admin's login created by one administrator cannot sign in until a
    # second one approves it.
    approval_pending: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_by_user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    approved_by_user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))


class RefreshToken(Base):
    """One issued refresh token. Only its SHA-256 is kept, never the token.

    Tokens of one sign-in form a family: each use rotates to a new token of the family, and
    a token used twice (a copy in a thief's hands) revokes the whole family.
    """

    __tablename__ = "refresh_tokens"
    __table_args__ = (CheckConstraint("octet_length(token_hash) = 32", name="hash_length"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"), index=True)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary, unique=True)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    replaced_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_reason: Mapped[str | None] = mapped_column(String(40))
