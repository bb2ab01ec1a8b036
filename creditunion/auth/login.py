"""Signing in with a username and password, with lockout after repeated failures.

Every refusal looks the same to the caller (unknown user, wrong password, locked,
deactivated) and takes about as long, so neither the answer nor its timing tells which
usernames exist. What happened is told to the audit trail instead.

A refused attempt (at signing in, or a wrong current password when changing one) writes
its own audit record here, beside the failure count it raises: it is no command, since
nobody is signed in to run one as (or, for a password change, the change did not happen),
and the record commits with the count whatever the answer. What succeeds is done by the
commands in `creditunion.auth.session_commands`, which record it once.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class Verified:
    """A login whose password was right, its row locked for this transaction."""

    user: User
    # The password hashed under today's settings, when it was stored under weaker ones.
    rehashed: str | None

    @property
    def actor(self) -> Actor:
        return actor_of(self.user)


def check_sign_in(
    session: Session, *, username: str, password: str, settings: Settings, now: dt.datetime
) -> Verified | None:
    """The login, for the right password of an active, unlocked login; else None.

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
    return Verified(user, rehashed=new_hash)


def start_session(
    session: Session, *, verified: Verified, codec: TokenCodec, settings: Settings, now: dt.datetime
) -> IssuedTokens:
    """Sign a verified login in: the failure count starts again and a new token pair."""
    require_transaction(session)
    user = verified.user
    if verified.rehashed is not None:
        user.password_hash = verified.rehashed  # stored under weaker settings: upgraded
    user.failed_login_count = 0
    user.locked_until = None
    session.flush()
    return issue_tokens(session, user=user, codec=codec, settings=settings, now=now)


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


class PasswordCheck(enum.Enum):
    RIGHT = "right"
    WRONG_CURRENT_PASSWORD = "wrong_current_password"
    LOGIN_LOCKED = "login_locked"


def check_current_password(
    session: Session,
    *,
    actor: Actor,
    current_password: str,
    new_password: str,
    settings: Settings,
    now: dt.datetime,
) -> PasswordCheck:
    """Whether the actor may change their own password to `new_password` (`WeakPassword`
    if it breaks the rules): `current_password` is right and the login is not locked.

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
        return PasswordCheck.LOGIN_LOCKED
    matches, _ = passwords.verify(current_password, user.password_hash)
    if not matches:
        _count_wrong_password(
            session, user, reason="wrong_current_password", settings=settings, now=now
        )
        return PasswordCheck.WRONG_CURRENT_PASSWORD
    return PasswordCheck.RIGHT


def change_own_password(
    session: Session, *, actor: Actor, new_password: str, settings: Settings, now: dt.datetime
) -> None:
    """Replace the actor's own password (after `check_current_password` found it right):
    every session of theirs ends."""
    require_transaction(session)
    assert actor.user_id is not None, "the system has no password"
    user = session.get(User, actor.user_id, with_for_update=True)
    assert user is not None, "the actor's login exists"
    replace_password(session, user, new_password, now=now, settings=settings)
