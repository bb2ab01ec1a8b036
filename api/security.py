"""Who is calling, and whether their role may call this endpoint.

Declare the permission next to the endpoint; it shows in the OpenAPI document as the
OAuth2 scope the operation needs and in the role matrix (`python -m api.permissions_matrix`):

   @router.get("/audit-log", dependencies=[require(Permission.AUDIT_READ)])
    def list_audit_log(actor: CurrentActor, ...): ...

or take the actor from the declaration itself: `actor: Actor = require(Permission.X)`.
An endpoint anyone may call says so with `openapi_extra=PUBLIC`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Final

from fastapi import Depends, Request, Security
from fastapi.security import OAuth2PasswordBearer, SecurityScopes
from sqlalchemy.orm import Session

from api.context import request_context
from api.problems import Forbidden, Unauthenticated
from api.transactions import DbSession
from creditunion.auth.actor import Actor
from creditunion.auth.roles import Permission
from creditunion.auth.sessions import access_holder
from creditunion.auth.tokens import InvalidToken, TokenType, password_version

TOKEN_URL: Final = "/v1/auth/token"
SCHEME_NAME: Final = "OAuth2"
PUBLIC: Final[dict[str, Any]] = {"x-permission": "public"}

oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl=TOKEN_URL,
    scheme_name=SCHEME_NAME,
    scopes={p.value: f"the {p.value} permission (granted by role)" for p in Permission},
    auto_error=False,
)


class PasswordChangeRequired(Exception):
    """An administrator reset the password: the user must choose their own first."""


@dataclass(frozen=True, slots=True)
class SignedIn:
    actor: Actor
    must_change_password: bool


def _signed_in(request: Request, session: Session, token: str | None) -> SignedIn:
    """The caller behind a valid access token, or 401. Checked against the database on
    every request, in one statement (the user's row by its key and one probe of the
    refresh-token family index): a deactivated login, a changed password, or a sign-in
    that was signed out or revoked for refresh-token reuse ends its access tokens at once."""
    cached = getattr(request.state, "signed_in", None)
    if isinstance(cached, SignedIn):
        return cached
    if not token:
        raise Unauthenticated()
    try:
        claims = request_context(request).tokens.decode(token, expected=TokenType.ACCESS)
    except InvalidToken as exc:
        raise Unauthenticated("the access token is invalid or expired", invalid=True) from exc
    user = access_holder(session, claims)
    if (
        user is None
        or not user.active
        or user.approval_pending
        or password_version(user.password_changed_at) != claims.password_version
        or user.role is not claims.role
        or user.member_id != claims.member_id
    ):
        raise Unauthenticated("the access token is no longer valid", invalid=True)
    actor = Actor(user_id=user.id, username=user.username, role=user.role, member_id=user.member_id)
    signed_in = SignedIn(actor, user.must_change_password)
    request.state.signed_in = signed_in
    return signed_in


def current_actor(
    request: Request,
    session: DbSession,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Actor:
    """The signed-in user, or 401; 403 while an administrator's reset awaits the user's
    own new password."""
    signed_in = _signed_in(request, session, token)
    if signed_in.must_change_password:
        raise PasswordChangeRequired(
            "an administrator reset your password: choose your own at POST /v1/auth/password"
        )
    return signed_in.actor


def actor_changing_password(
    request: Request,
    session: DbSession,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Actor:
    """The signed-in user, even one who must change their password (only for doing so)."""
    return _signed_in(request, session, token).actor


CurrentActor = Annotated[Actor, Depends(current_actor)]
ActorChangingPassword = Annotated[Actor, Depends(actor_changing_password)]


class PermissionRequirement:
    """A dependency refusing callers whose role lacks `permission` (403)."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    def __call__(self, security_scopes: SecurityScopes, actor: CurrentActor) -> Actor:
        return self.check(actor)

    def check(self, actor: Actor) -> Actor:
        if not actor.can(self.permission):
            raise Forbidden(f"this needs the {self.permission.value} permission")
        return actor

    def __repr__(self) -> str:
        return f"require({self.permission!r})"


class PasswordChangePermission(PermissionRequirement):
    """The one requirement a user who must change their password still meets."""

    def __call__(self, security_scopes: SecurityScopes, actor: ActorChangingPassword) -> Actor:
        return self.check(actor)


def require(permission: Permission) -> Any:
    """`Security(...)` for `dependencies=[...]` or a parameter's default; returns the Actor."""
    return Security(PermissionRequirement(permission), scopes=[permission.value])


def require_for_password_change(permission: Permission) -> Any:
    """Like `require`, but also for a user whose password an administrator reset."""
    return Security(PasswordChangePermission(permission), scopes=[permission.value])
