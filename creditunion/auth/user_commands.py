"""Creating and administering logins, as commands: each runs in the caller's transaction
and is audited once from its result (the services in `creditunion.auth.users` record
nothing themselves). The acting administrator, the operator's command line or the demo is
the context's actor; the services check what that actor may do."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from creditunion.auth import users
from creditunion.auth.roles import Role
from creditunion.auth.users import UserView
from creditunion.commands import Audited, CommandContext, command
from creditunion.platform.settings import Settings


@command(action="user.create", target_type="user")
def create_staff_user(
    session: Session,
    context: CommandContext,
    *,
    username: str,
    password: str,
    role: Role,
    settings: Settings,
) -> Audited[UserView]:
    user = users.create_staff_user(
        session,
        username=username,
        password=password,
        role=role,
        actor=context.actor,
        settings=settings,
    )
    summary: dict[str, Any] = {"username": user.username, "role": user.role.value}
    if user.approval_pending:
        summary["approval_pending"] = True
    return Audited(user, target_id=user.id, summary=summary)


@command(action="user.approve", target_type="user")
def approve_staff_user(
    session: Session, context: CommandContext, *, user_id: int
) -> Audited[UserView]:
    user = users.approve_staff_user(session, user_id=user_id, actor=context.actor)
    summary = {"role": user.role.value, "created_by_user_id": user.created_by_user_id}
    return Audited(user, target_id=user_id, summary=summary)


@command(action="user.create_first_admin", target_type="user")
def create_first_admin(
    session: Session,
    context: CommandContext,  # noqa: ARG001  (who acts is only recorded: there is no admin yet)
    *,
    username: str,
    password: str,
    settings: Settings,
) -> Audited[UserView]:
    user = users.create_first_admin(
        session, username=username, password=password, settings=settings
    )
    summary = {"username": user.username, "role": user.role.value}
    return Audited(user, target_id=user.id, summary=summary)


@command(action="user.deactivate", target_type="user")
def deactivate_user(
    session: Session, context: CommandContext, *, user_id: int, now: dt.datetime
) -> Audited[UserView]:
    done = users.deactivate_user(session, user_id=user_id, actor=context.actor, now=now)
    summary = {
        "was_active": done.was_active,
        "refresh_tokens_revoked": done.refresh_tokens_revoked,
    }
    return Audited(done.user, target_id=user_id, summary=summary)


@command(action="user.unlock", target_type="user")
def unlock_user(session: Session, context: CommandContext, *, user_id: int) -> Audited[UserView]:
    done = users.unlock_user(session, user_id=user_id, actor=context.actor)
    summary = {
        "locked_until": None if done.locked_until is None else done.locked_until.isoformat(),
        "failed_login_count": done.failed_login_count,
    }
    return Audited(done.user, target_id=user_id, summary=summary)


@command(action="user.password_reset", target_type="user")
def reset_password(
    session: Session,
    context: CommandContext,
    *,
    user_id: int,
    new_password: str,
    now: dt.datetime,
    settings: Settings,
) -> Audited[UserView]:
    user = users.reset_password(
        session,
        user_id=user_id,
        new_password=new_password,
        actor=context.actor,
        now=now,
        settings=settings,
    )
    return Audited(user, target_id=user_id)
