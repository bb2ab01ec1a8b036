"""Registering members, changing their details and status, and giving them an app login, as
commands: each runs in the caller's transaction and is audited once from its result."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from creditunion.auth.users import UserView, create_member_login
from creditunion.commands import Audited, CommandContext, command
from creditunion.members import service
from creditunion.members.closure import ClosureCheck
from creditunion.members.models import MemberStatus
from creditunion.members.validation import MemberApplication
from creditunion.members.views import MemberView, NiVisibility
from creditunion.platform.settings import Settings


@dataclass(frozen=True, slots=True)
class AppLogin:
    """The app login a member asks for: a username and a password."""

    username: str
    password: str


@dataclass(frozen=True, slots=True)
class Registered:
    member: MemberView
    login: UserView | None


@command(action="member.register", target_type="member")
def register_member(
    session: Session,
    context: CommandContext,
    *,
    application: MemberApplication,
    login: AppLogin | None,
    settings: Settings,
    ni_visibility: NiVisibility,
) -> Audited[Registered]:
    """Register a member and, when asked, their app login: one change, recorded once (the
    login's id is in the record), so a taken username registers nothing."""
    member = service.register_member(
        session,
        application=application,
        actor=context.actor_ref,
        business_date=context.business_date,
        ni_visibility=ni_visibility,
    )
    user = None
    if login is not None:
        user = create_member_login(
            session,
            member_id=member.id,
            username=login.username,
            password=login.password,
            actor=context.actor,
            settings=settings,
        )
    summary = {
        "membership_number": member.membership_number,
        "common_bond": member.common_bond.value,
        "login_user_id": None if user is None else user.id,
    }
    return Audited(Registered(member, user), target_id=member.id, summary=summary)


@command(action="member.update", target_type="member")
def update_member_details(
    session: Session,
    context: CommandContext,
    *,
    member_id: int,
    changes: Mapping[str, object],
    ni_visibility: NiVisibility,
) -> Audited[MemberView]:
    member = service.update_member_details(
        session,
        member_id=member_id,
        changes=changes,
        actor=context.actor_ref,
        ni_visibility=ni_visibility,
    )
    return Audited(member, target_id=member_id, summary={"fields": sorted(changes)})


@command(action="member.status_change", target_type="member")
def change_member_status(
    session: Session,
    context: CommandContext,
    *,
    member_id: int,
    status: MemberStatus,
    ni_visibility: NiVisibility,
    closure_checks: Sequence[ClosureCheck],
) -> Audited[MemberView]:
    """Activating needs the minimum share held; closing needs no open account and passes
    `closure_checks` (see `service.change_member_status`)."""
    # Locked first, so the status recorded as "from" is the one the change starts from.
    before = service.lock_member(session, member_id).status
    member = service.change_member_status(
        session,
        member_id=member_id,
        status=status,
        actor=context.actor_ref,
        business_date=context.business_date,
        closure_checks=closure_checks,
        ni_visibility=ni_visibility,
    )
    summary = {"from": before.value, "to": member.status.value}
    return Audited(member, target_id=member_id, summary=summary)


@command(action="user.member_login_create", target_type="user")
def create_login(
    session: Session,
    context: CommandContext,
    *,
    member_id: int,
    login: AppLogin,
    settings: Settings,
) -> Audited[UserView]:
    """The app login of a registered member who has none (`MemberNotFound` if no member)."""
    service.get_member(session, member_id=member_id)
    user = create_member_login(
        session,
        member_id=member_id,
        username=login.username,
        password=login.password,
        actor=context.actor,
        settings=settings,
    )
    summary = {"username": user.username, "member_id": member_id}
    return Audited(user, target_id=user.id, summary=summary)
