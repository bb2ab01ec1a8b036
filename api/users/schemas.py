"""Bodies of the user administration endpoints."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from api.out import OutModel
from creditunion.auth.roles import Role


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


class UserOut(OutModel):
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
