"""Signing in (OAuth 2.0 password flow), refreshing, signing out, and the caller's own login."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Final

from fastapi import Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm

from api.auth.schemas import MeOut, PasswordChangeIn, RefreshIn, TokenOut
from api.commands import own_login_context
from api.context import request_context
from api.middleware.login_throttle import client_address, throttle_of, too_many
from api.problems import (
    PROBLEM_TYPE_PREFIX,
    problem_response,
    problem_responses,
    validation_response,
)
from api.security import PUBLIC, require, require_for_password_change
from api.transactions import DbSession, api_router
from creditunion.auth import session_commands
from creditunion.auth.actor import Actor
from creditunion.auth.login import PasswordCheck, check_current_password, check_sign_in
from creditunion.auth.roles import ROLE_PERMISSIONS, Permission
from creditunion.auth.sessions import check_refresh_token, presented_token

router = api_router(prefix="/auth", tags=["auth"])

# One answer for every refused sign-in, so it never tells which usernames exist or are locked.
REFUSED_DETAIL: Final = "the username or password is wrong, or the login is locked or disabled"
NO_STORE: Final = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _refused(request: Request, detail: str) -> JSONResponse:
    return problem_response(
        request,
        status=401,
        title="Invalid credentials",
        type=PROBLEM_TYPE_PREFIX + "invalid-credentials",
        detail=detail,
        headers={"WWW-Authenticate": 'Bearer realm="creditunion"', **NO_STORE},
        extensions={"error": "invalid_grant"},
    )


@router.post(
    "/token",
    response_model=TokenOut,
    openapi_extra=PUBLIC,
    responses=problem_responses(401, 422, 429),
)
def issue_token(
    request: Request,
    response: Response,
    session: DbSession,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Any:
    """Sign in with a username and password (OAuth 2.0 password grant)

    Lockout: after the configured number of wrong passwords in a row the login is locked
    for a while; a locked login is refused exactly like a wrong password. Too many refusals
    for one username, or from one address, within a short window get 429 before any password
    is checked (api/middleware/login_throttle.py).
    """
    context = request_context(request)
    throttle, address = throttle_of(request), client_address(request)
    if throttle is not None:
        wait_s = throttle.retry_after(address=address, username=form.username)
        if wait_s is not None:
            return too_many(request, wait_s, NO_STORE)
    now = dt.datetime.now(dt.UTC)
    # A refused attempt is recorded by the check itself (creditunion.auth.login): nobody is
    # signed in to run a command as, and its record commits with the failure count.
    verified = check_sign_in(
        session, username=form.username, password=form.password, settings=context.settings, now=now
    )
    if verified is None:
        if throttle is not None:
            throttle.refused(address=address, username=form.username)
        return _refused(request, REFUSED_DETAIL)
    issued = session_commands.sign_in(
        session,
        own_login_context(session, verified.actor, zone=context.settings.zone),
        verified=verified,
        codec=context.tokens,
        settings=context.settings,
        now=now,
    )
    response.headers.update(NO_STORE)
    return TokenOut.of(issued)


@router.post(
    "/refresh", response_model=TokenOut, openapi_extra=PUBLIC, responses=problem_responses(401, 422)
)
def refresh_token(request: Request, response: Response, session: DbSession, body: RefreshIn) -> Any:
    """Exchange a refresh token for a new token pair (the old one stops working)

    Presenting a refresh token that was already exchanged revokes its whole family:
    whoever holds any token of that sign-in must sign in again.
    """
    context = request_context(request)
    now = dt.datetime.now(dt.UTC)
    presented = check_refresh_token(
        session, token=body.refresh_token, codec=context.tokens, now=now
    )
    if presented is None:
        return _refused(request, "the refresh token is invalid, expired, used or revoked")
    issued = session_commands.refresh(
        session,
        own_login_context(session, presented.actor, zone=context.settings.zone),
        presented=presented,
        codec=context.tokens,
        settings=context.settings,
        now=now,
    )
    response.headers.update(NO_STORE)
    return TokenOut.of(issued)


@router.post("/logout", status_code=204, openapi_extra=PUBLIC, responses=problem_responses(422))
def logout(request: Request, session: DbSession, body: RefreshIn) -> Response:
    """Sign out: revoke the refresh token and every token of its sign-in

    Always 204, whether or not the token was valid (it reveals nothing). The sign-out is
    recorded as the login the token belongs to: holding it is that login's credential.
    """
    presented = presented_token(
        session, token=body.refresh_token, codec=request_context(request).tokens
    )
    if presented is not None:
        session_commands.sign_out(
            session,
            own_login_context(
                session, presented.actor, zone=request_context(request).settings.zone
            ),
            presented=presented,
            now=dt.datetime.now(dt.UTC),
        )
    return Response(status_code=204)


@router.get("/me")
def me(actor: Annotated[Actor, require(Permission.SESSION)]) -> MeOut:
    """The signed-in user and their permissions"""
    assert actor.user_id is not None and actor.role is not None
    return MeOut.of(actor, permissions=sorted(ROLE_PERMISSIONS[actor.role]))


@router.post("/password", status_code=204, responses=problem_responses(422, 429))
def change_password(
    request: Request,
    session: DbSession,
    body: PasswordChangeIn,
    actor: Annotated[Actor, require_for_password_change(Permission.SESSION)],
) -> Response:
    """Change your own password (every session of yours ends)

    A wrong current password counts towards the lockout and the throttle exactly like a
    failed sign-in; while the login is locked nothing changes (403 `/problems/login-locked`),
    whatever password is given. The one endpoint open to a user whose password an
    administrator reset.
    """
    context = request_context(request)
    throttle, address = throttle_of(request), client_address(request)
    if throttle is not None:
        wait_s = throttle.retry_after(address=address, username=actor.username)
        if wait_s is not None:
            return too_many(request, wait_s, {})
    now = dt.datetime.now(dt.UTC)
    # A wrong or locked attempt is recorded by the check itself, like a refused sign-in.
    outcome = check_current_password(
        session,
        actor=actor,
        current_password=body.current_password,
        new_password=body.new_password,
        settings=context.settings,
        now=now,
    )
    if outcome is PasswordCheck.RIGHT:
        session_commands.change_own_password(
            session,
            own_login_context(session, actor, zone=context.settings.zone),
            new_password=body.new_password,
            settings=context.settings,
            now=now,
        )
        return Response(status_code=204)
    if throttle is not None:
        throttle.refused(address=address, username=actor.username)
    # Returned, not raised: the failed attempt it counted must be committed.
    if outcome is PasswordCheck.LOGIN_LOCKED:
        return problem_response(
            request,
            status=403,
            title="Login locked",
            type=PROBLEM_TYPE_PREFIX + "login-locked",
            detail="the login is locked after wrong passwords; try again later",
        )
    return validation_response(
        request,
        [
            {
                "location": "body",
                "pointer": "#/current_password",
                "detail": "is not your current password",
            }
        ],
    )
