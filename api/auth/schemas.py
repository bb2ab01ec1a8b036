"""Bodies of the sign-in endpoints."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from api.out import OutModel
from creditunion.auth.roles import Permission, Role


class TokenOut(OutModel):
    """OAuth 2.0 token response (RFC 6749 section 5.1)."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(
        description="Seconds until the access token expires.",
        validation_alias=AliasChoices("expires_in", "access_expires_in"),
    )
    refresh_token: str
    refresh_expires_in: int = Field(description="Seconds until the refresh token expires.")
    password_change_required: bool = Field(
        description="An administrator reset the password: until the user sets their own at "
        "`POST /v1/auth/password`, every other endpoint answers 403 "
        "`/problems/password-change-required`."
    )


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=4096)


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(min_length=1, max_length=128)


class MeOut(OutModel):
    user_id: int
    username: str
    role: Role
    member_id: int | None
    permissions: list[Permission]
