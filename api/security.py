"""Who is calling, and whether their role may call this endpoint.

Declare the permission next to the endpoint; it shows in the OpenAPI document as the
OAuth2 scope the operation needs and in the role matrix (`python -m api.permissions_matrix`):

    @router.get("/audit-log", dependencies=[require(Permission.AUDIT_READ)])
    def list_audit_log(actor: CurrentActor, ...): ...

or take the actor from the declaration itself: `actor: Actor = require(Permission.X)`.
An endpoint anyone may call says so with `openapi_extra=PUBLIC`.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import Depends, Request, Security
from fastapi.security import OAuth2PasswordBearer, SecurityScopes

from api.context import request_context
from api.problems import Forbidden, Unauthenticated
from api.transactions import DbSession
from creditunion.auth.actor import Actor
from creditunion.auth.models import User
from creditunion.auth.roles import Permission
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


def current_actor(
    request: Request,
    session: DbSession,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Actor:
    """The signed-in user, or 401. Checked against the database on every request, so a
    deactivated login or a changed password ends existing tokens at once."""
    cached = getattr(request.state, "actor", None)
    if isinstance(cached, Actor):
        return cached
    if not token:
        raise Unauthenticated()
    try:
        claims = request_context(request).tokens.decode(token, expected=TokenType.ACCESS)
    except InvalidToken as exc:
        raise Unauthenticated("the access token is invalid or expired", invalid=True) from exc
    user = session.get(User, claims.user_id)
    if (
        user is None
        or not user.active
        or password_version(user.password_changed_at) != claims.password_version
        or user.role is not claims.role
        or user.member_id != claims.member_id
    ):
        raise Unauthenticated("the access token is no longer valid", invalid=True)
    actor = Actor(user_id=user.id, username=user.username, role=user.role, member_id=user.member_id)
    request.state.actor = actor
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


class PermissionRequirement:
    """A dependency refusing callers whose role lacks `permission` (403)."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    def __call__(self, security_scopes: SecurityScopes, actor: CurrentActor) -> Actor:
        if not actor.can(self.permission):
            raise Forbidden(f"this needs the {self.permission.value} permission")
        return actor

    def __repr__(self) -> str:
        return f"require({self.permission!r})"


def require(permission: Permission) -> Any:
    """`Security(...)` for `dependencies=[...]` or a parameter's default; returns the Actor."""
    return Security(PermissionRequirement(permission), scopes=[permission.value])
