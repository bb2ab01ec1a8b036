"""Sign-in sessions: issuing an access and refresh token pair, rotating, revoking.

A refresh token is a signed JWT of type "refresh" whose id names a row here; only its
SHA-256 is stored. Each use marks the row used and issues the next token of the same
family. A used token presented again means two parties hold it, so the whole family is
revoked and everyone holding it must sign in again (OAuth 2.0 Security BCP, 4.14).

That reuse is refused with an audit record of its own, written here: whoever presented the
token is not known (it may be a thief), so there is no one to run a command as. So is a
refresh refused because the login changed since the sign-in, which revokes its tokens. A refresh
and a sign-out are done by the commands in `creditunion.auth.session_commands`, as the
login the presented token belongs to.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from creditunion import audit
from creditunion.auth.actor import Actor
from creditunion.auth.models import RefreshToken, User
from creditunion.auth.tokens import (
    InvalidToken,
    TokenClaims,
    TokenCodec,
    TokenType,
    password_version,
)
from creditunion.platform.settings import Settings
from ledger.transaction import require_transaction


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    access_token: str
    access_expires_in: int
    refresh_token: str
    refresh_expires_in: int
    user_id: int
    # An administrator reset the password: these tokens serve only to change it.
    password_change_required: bool = False


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def actor_of(user: User) -> Actor:
    return Actor(user_id=user.id, username=user.username, role=user.role, member_id=user.member_id)


def issue_tokens(
    session: Session,
    *,
    user: User,
    codec: TokenCodec,
    settings: Settings,
    now: dt.datetime,
    family_id: uuid.UUID | None = None,
) -> IssuedTokens:
    """A new access token and a refresh token (of a new family unless one is given)."""
    require_transaction(session)
    access_ttl = dt.timedelta(minutes=settings.access_token_minutes)
    refresh_ttl = dt.timedelta(days=settings.refresh_token_days)
    issued_at = now.replace(microsecond=0)
    common = {
        "user_id": user.id,
        "role": user.role,
        "member_id": user.member_id,
        "issued_at": issued_at,
        "password_version": password_version(user.password_changed_at),
    }
    refresh_id = uuid.uuid4()
    family = family_id or uuid.uuid4()
    access = codec.encode(
        TokenClaims(
            **common,  # type: ignore[arg-type]
            token_type=TokenType.ACCESS,
            token_id=uuid.uuid4(),
            expires_at=issued_at + access_ttl,
            family_id=family,
        )
    )
    refresh = codec.encode(
        TokenClaims(
            **common,  # type: ignore[arg-type]
            token_type=TokenType.REFRESH,
            token_id=refresh_id,
            expires_at=issued_at + refresh_ttl,
            family_id=family,
        )
    )
    session.add(
        RefreshToken(
            id=refresh_id,
            family_id=family,
            user_id=user.id,
            token_hash=token_hash(refresh),
            issued_at=issued_at,
            expires_at=issued_at + refresh_ttl,
        )
    )
    session.flush()
    return IssuedTokens(
        access_token=access,
        access_expires_in=int(access_ttl.total_seconds()),
        refresh_token=refresh,
        refresh_expires_in=int(refresh_ttl.total_seconds()),
        user_id=user.id,
        password_change_required=user.must_change_password,
    )


@dataclass(frozen=True, slots=True)
class PresentedToken:
    """A genuine refresh token presented, its row locked: the sign-in it belongs to."""

    row: RefreshToken
    user: User
    claims: TokenClaims

    @property
    def actor(self) -> Actor:
        return actor_of(self.user)


def presented_token(session: Session, *, token: str, codec: TokenCodec) -> PresentedToken | None:
    """The row of a refresh token this service signed and stored, locked; else None."""
    require_transaction(session)
    try:
        claims = codec.decode(token, expected=TokenType.REFRESH)
    except InvalidToken:
        return None
    row = session.get(RefreshToken, claims.token_id, with_for_update=True)
    if row is None or not hmac.compare_digest(row.token_hash, token_hash(token)):
        return None
    user = session.get(User, row.user_id)
    assert user is not None, "refresh tokens reference their user"
    return PresentedToken(row, user, claims)


def check_refresh_token(
    session: Session, *, token: str, codec: TokenCodec, now: dt.datetime
) -> PresentedToken | None:
    """A refresh token that may be exchanged now, or None (with any revocation done).

    Returns rather than raises on refusal so that a revocation it made commits with the
    caller's transaction.
    """
    presented = presented_token(session, token=token, codec=codec)
    if presented is None:
        return None
    row, user, claims = presented.row, presented.user, presented.claims
    if row.revoked_at is not None:
        return None
    if row.used_at is not None:
        revoked = revoke_family(session, family_id=row.family_id, reason="reuse_detected", now=now)
        # The refusal's own record (see the module's docstring): no actor is known.
        audit.record(
            session,
            actor=None,
            action="auth.refresh_reuse",
            target_type="user",
            target_id=user.id,
            summary={"family_id": str(row.family_id), "tokens_revoked": revoked},
        )
        return None
    if row.expires_at <= now:
        return None
    if (
        not user.active
        or user.approval_pending
        or password_version(user.password_changed_at) != claims.password_version
    ):
        revoked = revoke_family(session, family_id=row.family_id, reason="login_changed", now=now)
        # Recorded as the reuse is: the holder no longer speaks for the login (it was
        # deactivated, awaits approval again, or its password changed), so no one acts.
        audit.record(
            session,
            actor=None,
            action="auth.refresh_revoked",
            target_type="user",
            target_id=user.id,
            summary={
                "family_id": str(row.family_id),
                "reason": "login_changed",
                "tokens_revoked": revoked,
            },
        )
        return None
    return presented


def rotate_refresh_token(
    session: Session,
    *,
    presented: PresentedToken,
    codec: TokenCodec,
    settings: Settings,
    now: dt.datetime,
) -> IssuedTokens:
    """The next token pair of the sign-in, for a token `check_refresh_token` accepted."""
    row = presented.row
    issued = issue_tokens(
        session,
        user=presented.user,
        codec=codec,
        settings=settings,
        now=now,
        family_id=row.family_id,
    )
    row.used_at = now
    row.replaced_by_id = codec.decode(issued.refresh_token, expected=TokenType.REFRESH).token_id
    session.flush()
    return issued


def access_holder(session: Session, claims: TokenClaims) -> User | None:
    """The user an access token speaks for, or None if its sign-in has ended.

    One statement on the hot path of every request: the user's row by its key and one
    probe of the refresh-token family index. A sign-in is alive while any token of its
    family is unrevoked; signing out and refresh-token reuse revoke them all.
    """
    sign_in_alive = (
        select(RefreshToken.id)
        .where(RefreshToken.family_id == claims.family_id, RefreshToken.revoked_at.is_(None))
        .exists()
    )
    found = session.execute(
        select(User, sign_in_alive).where(User.id == claims.user_id)
    ).one_or_none()
    if found is None or not found[1]:
        return None
    user: User = found[0]
    return user


def revoke_family(session: Session, *, family_id: uuid.UUID, reason: str, now: dt.datetime) -> int:
    result = session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def revoke_user_tokens(session: Session, *, user_id: int, reason: str, now: dt.datetime) -> int:
    result = session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
