"""Signing in, refreshing, signing out and changing one's own password, as commands: each
runs as the login concerned, in the caller's transaction, and is audited once.

The credentials are checked first, outside these commands (`creditunion.auth.login`,
`creditunion.auth.sessions`): until then nobody is known to act as, and a refusal writes
its own record there.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from creditunion.auth import login, sessions
from creditunion.auth.login import Verified
from creditunion.auth.sessions import IssuedTokens, PresentedToken
from creditunion.auth.tokens import TokenCodec
from creditunion.commands import Audited, CommandContext, ScopeMismatch, command
from creditunion.platform.settings import Settings


def _acting_as(context: CommandContext, user_id: int) -> None:
    if context.actor.user_id != user_id:
        raise ScopeMismatch("a login's session is only ever changed as that login")


@command(action="auth.login", target_type="user")
def sign_in(
    session: Session,
    context: CommandContext,
    *,
    verified: Verified,
    codec: TokenCodec,
    settings: Settings,
    now: dt.datetime,
) -> Audited[IssuedTokens]:
    _acting_as(context, verified.user.id)
    issued = login.start_session(
        session, verified=verified, codec=codec, settings=settings, now=now
    )
    return Audited(issued, target_id=verified.user.id)


@command(action="auth.token_refresh", target_type="user")
def refresh(
    session: Session,
    context: CommandContext,
    *,
    presented: PresentedToken,
    codec: TokenCodec,
    settings: Settings,
    now: dt.datetime,
) -> Audited[IssuedTokens]:
    _acting_as(context, presented.user.id)
    issued = sessions.rotate_refresh_token(
        session, presented=presented, codec=codec, settings=settings, now=now
    )
    summary = {"family_id": str(presented.row.family_id)}
    return Audited(issued, target_id=presented.user.id, summary=summary)


@command(action="auth.logout", target_type="user")
def sign_out(
    session: Session, context: CommandContext, *, presented: PresentedToken, now: dt.datetime
) -> Audited[int]:
    """End the sign-in the refresh token belongs to: every token of its family is revoked.
    Returns how many were."""
    _acting_as(context, presented.user.id)
    revoked = sessions.revoke_family(
        session, family_id=presented.row.family_id, reason="signed_out", now=now
    )
    return Audited(revoked, target_id=presented.user.id)


@command(action="auth.password_change", target_type="user")
def change_own_password(
    session: Session,
    context: CommandContext,
    *,
    new_password: str,
    settings: Settings,
    now: dt.datetime,
) -> Audited[None]:
    """The actor's own new password, once `login.check_current_password` found the current
    one right."""
    login.change_own_password(
        session, actor=context.actor, new_password=new_password, settings=settings, now=now
    )
    return Audited(None, target_id=context.actor.user_id)
