"""Administering logins: staff users, and looking after members' logins (admins only)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends, Path, Query, Request, Response

from api.commands import staff_command
from api.context import request_context
from api.pagination import Page, PageRequest, paginate
from api.problems import problem_responses
from api.security import require
from api.transactions import DbSession, api_router
from api.users.schemas import PasswordResetIn, StaffUserIn, UserOut
from creditunion.auth import user_commands, users
from creditunion.auth.roles import Permission, Role
from creditunion.commands import CommandContext

router = api_router(prefix="/users", tags=["users"])

UserId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The user's id.")]
Manager = Annotated[CommandContext, staff_command(Permission.USERS_MANAGE)]


@router.post("", status_code=201, responses=problem_responses(409, 422))
def create_staff_user(
    request: Request, session: DbSession, body: StaffUserIn, context: Manager
) -> UserOut:
    """Create a staff user

    Staff roles only: a member's login is created when the member registers. A manager's
    or admin's login is created awaiting approval (`approval_pending`): it cannot sign in
    until a second administrator approves it at `POST /v1/users/{user_id}/approve`.
    """
    user = user_commands.create_staff_user(
        session,
        context,
        username=body.username,
        password=body.password,
        role=body.role,
        settings=request_context(request).settings,
    )
    return UserOut.of(user)


@router.get("", dependencies=[require(Permission.USERS_READ)])
def list_users(
    session: DbSession,
    page: Annotated[PageRequest, Depends(paginate("users"))],
    role: Annotated[Role | None, Query(description="Only this role.")] = None,
    active: Annotated[bool | None, Query(description="Only active (or inactive) logins.")] = None,
) -> Page[UserOut]:
    """List users, in id order"""
    rows = users.list_users(
        session, after_id=page.after_int(), limit=page.fetch, role=role, active=active
    )
    return page.build(rows, position=lambda u: [u.id], convert=UserOut.of)


@router.get(
    "/{user_id}", dependencies=[require(Permission.USERS_READ)], responses=problem_responses(404)
)
def get_user(session: DbSession, user_id: UserId) -> UserOut:
    """One user"""
    return UserOut.of(users.get_user(session, user_id))


@router.post("/{user_id}/deactivate", responses=problem_responses(404))
def deactivate_user(session: DbSession, user_id: UserId, context: Manager) -> UserOut:
    """Deactivate a login (its tokens stop working at once)

    An administrator cannot deactivate their own login (403).
    """
    now = dt.datetime.now(dt.UTC)
    return UserOut.of(user_commands.deactivate_user(session, context, user_id=user_id, now=now))


@router.post("/{user_id}/approve", responses=problem_responses(404, 409))
def approve_user(session: DbSession, user_id: UserId, context: Manager) -> UserOut:
    """Approve a manager's or admin's login another administrator created

    Maker-checker: the administrator who created the login cannot approve it (403
    `/problems/self-approval`); a login not awaiting approval is a 409. To refuse one,
    deactivate it.
    """
    return UserOut.of(user_commands.approve_staff_user(session, context, user_id=user_id))


@router.post("/{user_id}/unlock", responses=problem_responses(404))
def unlock_user(session: DbSession, user_id: UserId, context: Manager) -> UserOut:
    """Lift a lock after failed sign-ins"""
    return UserOut.of(user_commands.unlock_user(session, context, user_id=user_id))


@router.post("/{user_id}/password", status_code=204, responses=problem_responses(404, 422))
def reset_password(
    request: Request, session: DbSession, user_id: UserId, body: PasswordResetIn, context: Manager
) -> Response:
    """Reset someone else's password (their sessions end; they must choose a new one)

    The new password only lets the user sign in and choose their own: until they have,
    their tokens get 403 `/problems/password-change-required` everywhere else.
    """
    user_commands.reset_password(
        session,
        context,
        user_id=user_id,
        new_password=body.new_password,
        now=dt.datetime.now(dt.UTC),
        settings=request_context(request).settings,
    )
    return Response(status_code=204)
