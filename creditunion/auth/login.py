"""Signing in with a username and password, with lockout after repeated failures.

Every refusal looks the same to the caller (unknown user, wrong password, locked,
deactivated) and takes about as long, so neither the answer nor its timing tells which
usernames exist. What happened is told to the audit trail instead.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from creditunion import audit
from creditunion.auth.actor import Actor
from creditunion.auth.models import USERNAME_LENGTH_MAX, User
from creditunion.auth.passwords import check_password_rules, passwords_for
from creditunion.auth.sessions import IssuedTokens, actor_of, issue_tokens
from creditunion.auth.tokens import TokenCodec
from creditunion.auth.users import replace_password
from creditunion.platform.settings import Settings
from ledger.transaction import require_transaction


def sign_in(
    session: Session,
    *,
    username: str,
    password: str,
    codec: TokenCodec,
    settings: Settings,
    now: dt.datetime,
) -> IssuedTokens | None:
    """Tokens for the right password of an active, unlocked login; else None.

    A refusal still changes state (the failure count, perhaps a lock, an audit record),
    so the caller commits either way.
    """
    require_transaction(session)
    passwords = passwords_for(settings)
    user = None
    # No username holds a NUL (PostgreSQL text cannot), so one is unknown, not an error.
    if 0 < len(username) <= USERNAME_LENGTH_MAX and "\x00" not in username:
        # Locked so that concurrent attempts count one by one.
        user = session.scalars(
            select(User).where(func.lower(User.username) == username.lower()).with_for_update()
        ).one_or_none()
    if user is None:
        passwords.burn_time(password)
        audit.record(
            session,
            actor=None,
            action="auth.login_failed",
            target_type=None,
            target_id=None,
            summary={"reason": "unknown_user"},
        )
        return None
    locked = _is_locked(user, now)
    if locked or not user.active or user.approval_pending:
        passwords.burn_time(password)
        reason = "locked" if locked else "inactive" if not user.active else "awaiting_approval"
        _record_failure(session, user, reason=reason)
        return None
    matches, new_hash = passwords.verify(password, user.password_hash)
    if not matches:
        _count_wrong_password(session, user, reason="wrong_password", settings=settings, now=now)
        return None
    if new_hash is not None:
        user.password_hash = new_hash  # stored under weaker settings: upgraded on the way in
    user.failed_login_count = 0
    user.locked_until = None
    session.flush()
    issued = issue_tokens(session, user=user, codec=codec, settings=settings, now=now)
    audit.record(
        session,
        actor=actor_of(user),
        action="auth.login",
        target_type="user",
        target_id=user.id,
        summary={},
    )
    return issued


def _is_locked(user: User, now: dt.datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def _count_wrong_password(
    session: Session, user: User, *, reason: str, settings: Settings, now: dt.datetime
) -> None:
    """One more wrong password in a row; the threshold-th locks the login for a while."""
    user.failed_login_count += 1
    locked_now = user.failed_login_count >= settings.login_lockout_threshold
    if locked_now:
        user.locked_until = now + dt.timedelta(minutes=settings.login_lockout_minutes)
        user.failed_login_count = 0
    session.flush()
    _record_failure(
        session, user, reason=reason, locked_until=user.locked_until if locked_now else None
    )


def _record_failure(
    session: Session, user: User, *, reason: str, locked_until: dt.datetime | None = None
) -> None:
    summary: dict[str, object] = {"reason": reason}
    if locked_until is not None:
        summary["locked_until"] = locked_until.isoformat()
    audit.record(
        session,
        actor=None,
        action="auth.login_locked" if locked_until is not None else "auth.login_failed",
        target_type="user",
        target_id=user.id,
        summary=summary,
    )


class PasswordChange(enum.Enum):
    CHANGED = "changed"
    WRONG_CURRENT_PASSWORD = "wrong_current_password"
    LOGIN_LOCKED = "login_locked"


def change_own_password(
    session: Session,
    *,
    actor: Actor,
    current_password: str,
    new_password: str,
    settings: Settings,
    now: dt.datetime,
) -> PasswordChange:
    """Change the actor's own password if `current_password` is right and the login is
    not locked.

    A wrong current password counts towards the lockout exactly like a failed sign-in, and
    a locked login changes nothing whatever password is given, so a stolen access token
    cannot be used to guess the password. The caller commits whatever the outcome.
    """
    require_transaction(session)
    assert actor.user_id is not None, "the system has no password"
    user = session.get(User, actor.user_id, with_for_update=True)
    assert user is not None, "the actor's login exists"
    check_password_rules(new_password, username=user.username, settings=settings)
    passwords = passwords_for(settings)
    if _is_locked(user, now):
        passwords.burn_time(current_password)
        _record_failure(session, user, reason="password_change_while_locked")
        return PasswordChange.LOGIN_LOCKED
    matches, _ = passwords.verify(current_password, user.password_hash)
    if not matches:
        _count_wrong_password(
            session, user, reason="wrong_current_password", settings=settings, now=now
        )
        return PasswordChange.WRONG_CURRENT_PASSWORD
    replace_password(session, user, new_password, now=now, settings=settings)
    audit.record(
        session,
        actor=actor,
        action="auth.password_change",
        target_type="user",
        target_id=user.id,
        summary={},
    )
    return PasswordChange.CHANGED
