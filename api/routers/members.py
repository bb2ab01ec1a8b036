"""Members, as branch staff see them: register, find, read, change details and status.

National Insurance numbers are shown in full only to roles holding `members:read_ni`
(managers); everyone else sees them masked.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Query, Request

from api import domain_problems  # noqa: F401  (registers the members' problem types)
from api.context import request_context
from api.domain import (
    ID_MAX,
    actor_label,
    as_query_problem,
    business_date,
    ni_visibility,
    page_after_id,
)
from api.pagination import Page, PageRequest, paginate
from api.problems import problem_responses
from api.schemas.members import (
    MemberChangesIn,
    MemberIn,
    MemberLoginIn,
    MemberLoginOut,
    MemberOut,
    MemberRegisteredOut,
    MemberStatusIn,
)
from api.schemas.shares import ShareAccountOut
from api.security import require
from api.transactions import DbSession, api_router
from creditunion import audit
from creditunion.auth.actor import Actor
from creditunion.auth.roles import Permission
from creditunion.auth.users import create_member_login
from creditunion.field_problems import ValidationProblem
from creditunion.members import service as members
from creditunion.members.models import MemberStatus
from creditunion.shares.service import list_member_share_accounts

router = api_router(prefix="/members", tags=["members"])

MemberId = Annotated[int, Path(ge=1, le=ID_MAX, description="The member's id.", examples=[1])]
Reader = Annotated[Actor, require(Permission.MEMBERS_READ)]
Writer = Annotated[Actor, require(Permission.MEMBERS_WRITE)]


@router.post(
    "",
    status_code=201,
    response_model=MemberRegisteredOut,
    responses=problem_responses(409, 422),
    summary="Register a member (pending until they hold the minimum share)",
)
def register_member(
    request: Request, session: DbSession, body: MemberIn, actor: Writer
) -> MemberRegisteredOut:
    """With `login`, the member's app login is created in the same transaction: if the
    username is taken, nothing is registered."""
    today = business_date(session)
    member = members.register_member(
        session,
        application=body.application(),
        actor=actor_label(actor),
        business_date=today,
        ni_visibility=ni_visibility(actor),
    )
    login = None
    if body.login is not None:
        login = create_member_login(
            session,
            member_id=member.id,
            username=body.login.username,
            password=body.login.password,
            actor=actor,
            settings=request_context(request).settings,
        )
    audit.record(
        session,
        actor=actor,
        action="member.register",
        target_type="member",
        target_id=member.id,
        summary={
            "membership_number": member.membership_number,
            "common_bond": member.common_bond.value,
            "login_user_id": None if login is None else login.id,
        },
        business_date=today,
    )
    return MemberRegisteredOut(
        member=MemberOut.of(member), login=None if login is None else MemberLoginOut.of(login)
    )


@router.get(
    "",
    response_model=Page[MemberOut],
    summary="Find members (every filter given must match), in id order",
)
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


@router.get(
    "/{member_id}",
    response_model=MemberOut,
    responses=problem_responses(404),
    summary="One member",
)
def get_member(session: DbSession, member_id: MemberId, actor: Reader) -> MemberOut:
    return MemberOut.of(
        members.get_member(session, member_id=member_id, ni_visibility=ni_visibility(actor))
    )


@router.patch(
    "/{member_id}",
    response_model=MemberOut,
    responses=problem_responses(404, 409),
    summary="Change a member's names, address, contact details or common bond",
)
def update_member(
    session: DbSession, member_id: MemberId, body: MemberChangesIn, actor: Writer
) -> MemberOut:
    changes = body.model_dump(exclude_unset=True, mode="json")
    member = members.update_member_details(
        session,
        member_id=member_id,
        changes=changes,
        actor=actor_label(actor),
        ni_visibility=ni_visibility(actor),
    )
    audit.record(
        session,
        actor=actor,
        action="member.update",
        target_type="member",
        target_id=member_id,
        summary={"fields": sorted(changes)},
    )
    return MemberOut.of(member)


@router.post(
    "/{member_id}/status",
    response_model=MemberOut,
    responses=problem_responses(404, 409),
    summary="Move a member to another status",
)
def change_status(
    session: DbSession, member_id: MemberId, body: MemberStatusIn, actor: Writer
) -> MemberOut:
    """Activating needs the minimum share held; closing needs no open account."""
    today = business_date(session)
    # Locked first, so the status recorded as "from" is the one the change starts from.
    before = members.lock_member(session, member_id).status
    member = members.change_member_status(
        session,
        member_id=member_id,
        status=body.status,
        actor=actor_label(actor),
        business_date=today,
        ni_visibility=ni_visibility(actor),
    )
    audit.record(
        session,
        actor=actor,
        action="member.status_change",
        target_type="member",
        target_id=member_id,
        summary={"from": before.value, "to": member.status.value},
        business_date=today,
    )
    return MemberOut.of(member)


@router.post(
    "/{member_id}/login",
    status_code=201,
    response_model=MemberLoginOut,
    responses=problem_responses(404, 409),
    summary="Create the app login of a member who has none",
)
def create_login(
    request: Request, session: DbSession, member_id: MemberId, body: MemberLoginIn, actor: Writer
) -> MemberLoginOut:
    members.get_member(session, member_id=member_id)
    login = create_member_login(
        session,
        member_id=member_id,
        username=body.username,
        password=body.password,
        actor=actor,
        settings=request_context(request).settings,
    )
    return MemberLoginOut.of(login)


@router.get(
    "/{member_id}/accounts",
    response_model=list[ShareAccountOut],
    dependencies=[require(Permission.ACCOUNTS_READ)],
    responses=problem_responses(404),
    summary="A member's share accounts with their balances",
)
def list_accounts(session: DbSession, member_id: MemberId) -> list[ShareAccountOut]:
    members.get_member(session, member_id=member_id)
    return [
        ShareAccountOut.of(view)
        for view in list_member_share_accounts(session, member_id=member_id)
    ]
