"""Bodies of the user administration endpoints."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from creditunion.auth.roles import Role
from creditunion.auth.users import UserView


class StaffUserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(
        min_length=3, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$"
    )
    password: str = Field(min_length=1, max_length=128)
    role: Role = Field(description="A staff role; member logins come with member registration.")


class PasswordResetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    new_password: str = Field(min_length=1, max_length=128)


class UserOut(BaseModel):
    id: int
    username: str
    role: Role
    active: bool
    member_id: int | None
    failed_login_count: int
    locked_until: dt.datetime | None
    password_changed_at: dt.datetime
    created_at: dt.datetime
    must_change_password: bool = Field(
        description="An administrator reset the password: the user may only change it."
    )
    approval_pending: bool = Field(
        description="A manager's or admin's login awaiting a second administrator's approval "
        "(`POST /v1/users/{user_id}/approve`); it cannot sign in until then."
    )
    created_by_user_id: int | None = Field(description="The administrator who created it.")
    approved_by_user_id: int | None = Field(description="The administrator who approved it.")

    @classmethod
    def of(cls, user: UserView) -> UserOut:
        return cls(
            id=user.id,
            username=user.username,
            role=user.role,
            active=user.active,
            member_id=user.member_id,
            failed_login_count=user.failed_login_count,
            locked_until=user.locked_until,
            password_changed_at=user.password_changed_at,
            created_at=user.created_at,
            must_change_password=user.must_change_password,
            approval_pending=user.approval_pending,
            created_by_user_id=user.created_by_user_id,
            approved_by_user_id=user.approved_by_user_id,
        )
