"""Members, as branch staff see them: register, find, read, change details and status.

National Insurance numbers are shown in full only to roles holding `members:read_ni`
(managers); everyone else sees them masked.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from api.commands import staff_command
from api.context import request_context
from api.domain import ID_MAX, as_query_problem, ni_visibility, page_after_id
from api.members.schemas import (
    MemberChangesIn,
    MemberIn,
    MemberLoginIn,
    MemberLoginOut,
    MemberOut,
    MemberRegisteredOut,
    MemberStatusIn,
)
from api.pagination import Page, PageRequest, paginate
from api.problems import problem_responses
from api.security import require
from api.shares.schemas import ShareAccountOut
from api.transactions import DbSession, api_router
from creditunion.auth.actor import Actor
from creditunion.auth.roles import Permission
from creditunion.commands import CommandContext
from creditunion.field_problems import ValidationProblem
from creditunion.lending.closure import MEMBER_CLOSURE_CHECKS
from creditunion.members import commands
from creditunion.members import service as members
from creditunion.members.commands import AppLogin
from creditunion.members.models import MemberStatus
from creditunion.shares.service import list_member_share_accounts

router = api_router(prefix="/members", tags=["members"])

MemberId = Annotated[int, Path(ge=1, le=ID_MAX, description="The member's id.", examples=[1])]
Reader = Annotated[Actor, require(Permission.MEMBERS_READ)]
Writer = Annotated[CommandContext, staff_command(Permission.MEMBERS_WRITE)]


@router.post("", status_code=201, responses=problem_responses(409, 422))
def register_member(
    request: Request, session: DbSession, body: MemberIn, context: Writer
) -> MemberRegisteredOut:
    """Register a member (pending until they hold the minimum share)

    With `login`, the member's app login is created in the same transaction: if the
    username is taken, nothing is registered.
    """
    login = body.login
    registered = commands.register_member(
        session,
        context,
        application=body.application(),
        login=None if login is None else AppLogin(login.username, login.password),
        settings=request_context(request).settings,
        ni_visibility=ni_visibility(context.actor),
    )
    user = registered.login
    return MemberRegisteredOut(
        member=MemberOut.of(registered.member),
        login=None if user is None else MemberLoginOut.of(user),
    )


@router.get("")
def search_members(
    session: DbSession,
    actor: Reader,
    page: Annotated[PageRequest, Depends(paginate("members"))],
    name_prefix: Annotated[
        str | None,
        Query(min_length=1, max_length=100, description="Start of the given or family name."),
    ] = None,
    postcode: Annotated[
        str | None, Query(max_length=16, description='A full postcode or an outward code ("M1").')
    ] = None,
    membership_number: Annotated[str | None, Query(max_length=16)] = None,
    status: Annotated[MemberStatus | None, Query()] = None,
) -> Page[MemberOut]:
    """Find members (every filter given must match), in id order"""
    try:
        found = members.search_members(
            session,
            name_prefix=name_prefix,
            postcode=postcode,
            membership_number=membership_number,
            status=status,
            after_id=page.after_int(),
            limit=page.limit,
            ni_visibility=ni_visibility(actor),
        )
    except ValidationProblem as exc:
        raise as_query_problem(exc) from None
    return page_after_id(page, found.items, found.next_after_id, MemberOut.of)


@router.get("/{member_id}", responses=problem_responses(404))
def get_member(session: DbSession, member_id: MemberId, actor: Reader) -> MemberOut:
    """One member"""
    return MemberOut.of(
        members.get_member(session, member_id=member_id, ni_visibility=ni_visibility(actor))
    )


@router.patch("/{member_id}", responses=problem_responses(404, 409))
def update_member(
    session: DbSession, member_id: MemberId, body: MemberChangesIn, context: Writer
) -> MemberOut:
    """Change a member's names, address, contact details or common bond"""
    member = commands.update_member_details(
        session,
        context,
        member_id=member_id,
        changes=body.model_dump(exclude_unset=True, mode="json"),
        ni_visibility=ni_visibility(context.actor),
    )
    return MemberOut.of(member)


@router.post("/{member_id}/status", responses=problem_responses(404, 409))
def change_status(
    session: DbSession, member_id: MemberId, body: MemberStatusIn, context: Writer
) -> MemberOut:
    """Move a member to another status

    Activating needs the minimum share held; closing needs no open account.
    """
    member = commands.change_member_status(
        session,
        context,
        member_id=member_id,
        status=body.status,
        ni_visibility=ni_visibility(context.actor),
        closure_checks=MEMBER_CLOSURE_CHECKS,
    )
    return MemberOut.of(member)


@router.post("/{member_id}/login", status_code=201, responses=problem_responses(404, 409))
def create_login(
    request: Request, session: DbSession, member_id: MemberId, body: MemberLoginIn, context: Writer
) -> MemberLoginOut:
    """Create the app login of a member who has none"""
    user = commands.create_login(
        session,
        context,
        member_id=member_id,
        login=AppLogin(body.username, body.password),
        settings=request_context(request).settings,
    )
    return MemberLoginOut.of(user)


@router.get(
    "/{member_id}/accounts",
    dependencies=[require(Permission.ACCOUNTS_READ)],
    responses=problem_responses(404),
)
def list_accounts(session: DbSession, member_id: MemberId) -> list[ShareAccountOut]:
    """A member's share accounts with their balances"""
    members.get_member(session, member_id=member_id)
    return [
        ShareAccountOut.of(view)
        for view in list_member_share_accounts(session, member_id=member_id)
    ]
