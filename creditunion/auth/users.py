"""Creating and administering logins: staff users (by an admin) and members' logins.

Permissions come from the role alone. An admin creates staff users and looks after
logins (deactivate, unlock, reset a password) but never acts on money, and cannot act on
their own login through these functions (an admin changes their own password like anyone).

No administrator acts alone on what would let them take power or a login over:
- a manager's or admin's login they create cannot sign in until a second administrator
  approves it (maker-checker, `approve_staff_user`; the database refuses a creator
  approving their own);
- a password they reset serves only to choose a new one: until the user has, their tokens
  may do nothing else (api.security), so the reset is seen by the user and cannot be used
  quietly.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from creditunion.auth.actor import Actor
from creditunion.auth.maker_checker import require_checker
from creditunion.auth.models import USERNAME_LENGTH_MAX, User
from creditunion.auth.passwords import check_password_rules, passwords_for
from creditunion.auth.roles import STAFF_ROLES, Permission, Role
from creditunion.auth.sessions import revoke_user_tokens
from creditunion.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from creditunion.platform.settings import Settings, get_settings
from ledger.transaction import require_transaction

PAGE_SIZE_MAX: Final = 1_000
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$")
# Roles one administrator may only propose: a second one approves (maker-checker).
APPROVED_ROLES: Final = frozenset({Role.MANAGER, Role.ADMIN})


class UserNotFound(NotFound):
    def __init__(self, user_id: int) -> None:
        super().__init__(f"user {user_id} does not exist")
        self.user_id = user_id


class UsernameTaken(Conflict):
    def __init__(self, username: str) -> None:
        super().__init__(f"the username {username!r} is taken")


class MemberLoginExists(Conflict):
    def __init__(self, member_id: int) -> None:
        super().__init__(f"member {member_id} already has a login")


class InvalidUsername(InvalidInput):
    pass


class RoleNotAssignable(InvalidInput):
    pass


class NotAllowed(PermissionDenied):
    pass


class NothingToApprove(Conflict):
    def __init__(self, user_id: int) -> None:
        super().__init__(f"user {user_id} is not awaiting approval")
        self.user_id = user_id


class ApprovalOfInactiveLogin(Conflict):
    def __init__(self, user_id: int) -> None:
        super().__init__(f"user {user_id} was deactivated: create the login again instead")
        self.user_id = user_id


@dataclass(frozen=True, slots=True)
class UserView:
    id: int
    username: str
    role: Role
    active: bool
    member_id: int | None
    failed_login_count: int
    locked_until: dt.datetime | None
    password_changed_at: dt.datetime
    created_at: dt.datetime
    must_change_password: bool
    approval_pending: bool
    created_by_user_id: int | None
    approved_by_user_id: int | None

    @classmethod
    def of(cls, row: User) -> UserView:
        return cls(
            id=row.id,
            username=row.username,
            role=row.role,
            active=row.active,
            member_id=row.member_id,
            failed_login_count=row.failed_login_count,
            locked_until=row.locked_until,
            password_changed_at=row.password_changed_at,
            created_at=row.created_at,
            must_change_password=row.must_change_password,
            approval_pending=row.approval_pending,
            created_by_user_id=row.created_by_user_id,
            approved_by_user_id=row.approved_by_user_id,
        )

    def is_locked(self, now: dt.datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    def actor(self) -> Actor:
        return Actor(
            user_id=self.id, username=self.username, role=self.role, member_id=self.member_id
        )


def _require(actor: Actor, permission: Permission) -> None:
    if not actor.can(permission):
        raise NotAllowed(f"this needs the {permission.value} permission")


def _check_username(username: str) -> None:
    if len(username) > USERNAME_LENGTH_MAX or not USERNAME.match(username):
        raise InvalidUsername(
            "a username is 3 to 64 letters, digits or . _ @ - and starts with a letter or digit"
        )


def _insert_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    member_id: int | None,
    settings: Settings,
    created_by_user_id: int | None = None,
    approval_pending: bool = False,
) -> User:
    _check_username(username)
    check_password_rules(password, username=username, settings=settings)
    taken = session.scalar(select(User.id).where(func.lower(User.username) == username.lower()))
    if taken is not None:
        raise UsernameTaken(username)
    row = User(
        username=username,
        password_hash=passwords_for(settings).hash(password),
        role=role,
        member_id=member_id,
        created_by_user_id=created_by_user_id,
        approval_pending=approval_pending,
    )
    try:
        # A savepoint, so a lost race on the unique indexes leaves the caller's work intact.
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
        if constraint == "uq_users_member_id" and member_id is not None:
            raise MemberLoginExists(member_id) from exc
        if constraint == "uq_users_username_lower":
            raise UsernameTaken(username) from exc
        raise
    session.refresh(row)
    return row


def create_staff_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    actor: Actor,
    settings: Settings | None = None,
) -> UserView:
    """An admin creates a staff login with one of the staff roles (never a member's).

    A manager's or admin's login awaits a second administrator's approval
    (`approve_staff_user`) before it can sign in.
    """
    require_transaction(session)
    _require(actor, Permission.USERS_MANAGE)
    if role not in STAFF_ROLES:
        raise RoleNotAssignable("member logins are created when the member registers")
    pending = role in APPROVED_ROLES
    row = _insert_user(
        session,
        username=username,
        password=password,
        role=role,
        member_id=None,
        settings=settings or get_settings(),
        created_by_user_id=actor.user_id,
        approval_pending=pending,
    )
    return UserView.of(row)


def approve_staff_user(session: Session, *, user_id: int, actor: Actor) -> UserView:
    """A second administrator lets a manager's or admin's login sign in.

    The checker is an admin other than the one who created the login (or the operator's
    command line, a system actor: whoever runs it holds the server and its database).
    """
    require_transaction(session)
    if not actor.is_system:
        _require(actor, Permission.USERS_MANAGE)
    row = session.get(User, user_id, with_for_update=True)
    if row is None:
        raise UserNotFound(user_id)
    if not actor.is_system:
        require_checker(
            maker_user_id=row.created_by_user_id, checker=actor, permission=Permission.USERS_MANAGE
        )
        if actor.user_id == user_id:
            raise NotAllowed("an administrator cannot approve their own login")
    if not row.approval_pending:
        raise NothingToApprove(user_id)
    if not row.active:
        raise ApprovalOfInactiveLogin(user_id)
    row.approval_pending = False
    row.approved_by_user_id = actor.user_id
    session.flush()
    return UserView.of(row)


class AdminExists(Conflict):
    def __init__(self) -> None:
        super().__init__("an active admin login exists: it creates the others")


def create_first_admin(
    session: Session, *, username: str, password: str, settings: Settings | None = None
) -> UserView:
    """The first admin of a new database (creating users takes an admin, and there is none).

    Refused once an active admin exists, so it cannot be used to take over an installation.
    """
    require_transaction(session)
    existing = session.scalar(
        select(User.id).where(User.role == Role.ADMIN, User.active.is_(True)).limit(1)
    )
    if existing is not None:
        raise AdminExists()
    row = _insert_user(
        session,
        username=username,
        password=password,
        role=Role.ADMIN,
        member_id=None,
        settings=settings or get_settings(),
    )
    return UserView.of(row)


def create_member_login(
    session: Session,
    *,
    member_id: int,
    username: str,
    password: str,
    actor: Actor,
    settings: Settings | None = None,
) -> UserView:
    """Give member `member_id` a login with the member role, in the caller's transaction.

    Called by member registration. `actor` is the staff user registering the member (who
    needs `members:write`) or a system actor (demo data, imports). One login per member:
    a second raises `MemberLoginExists`; a taken username `UsernameTaken`; a password
    that breaks the rules `WeakPassword`.
    """
    require_transaction(session)
    if not actor.is_system:
        _require(actor, Permission.MEMBERS_WRITE)
    if isinstance(member_id, bool) or not isinstance(member_id, int) or member_id <= 0:
        raise InvalidInput("member_id must be a positive integer")
    row = _insert_user(
        session,
        username=username,
        password=password,
        role=Role.MEMBER,
        member_id=member_id,
        settings=settings or get_settings(),
    )
    return UserView.of(row)


def get_user(session: Session, user_id: int) -> UserView:
    row = session.get(User, user_id)
    if row is None:
        raise UserNotFound(user_id)
    return UserView.of(row)


def list_users(
    session: Session,
    *,
    after_id: int | None,
    limit: int,
    role: Role | None = None,
    active: bool | None = None,
) -> list[UserView]:
    """Up to `limit` users with ids above `after_id`, in id order."""
    if not 0 < limit <= PAGE_SIZE_MAX:
        raise ValueError(f"limit must be 1 to {PAGE_SIZE_MAX}")
    query = select(User).order_by(User.id).limit(limit)
    if after_id is not None:
        query = query.where(User.id > after_id)
    if role is not None:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active == active)
    return [UserView.of(row) for row in session.scalars(query)]


def _locked_target(session: Session, user_id: int, actor: Actor) -> User:
    _require(actor, Permission.USERS_MANAGE)
    if actor.user_id == user_id:
        raise NotAllowed("an administrator cannot change their own login this way")
    row = session.get(User, user_id, with_for_update=True)
    if row is None:
        raise UserNotFound(user_id)
    return row


@dataclass(frozen=True, slots=True)
class Deactivated:
    user: UserView
    was_active: bool
    refresh_tokens_revoked: int


def deactivate_user(
    session: Session, *, user_id: int, actor: Actor, now: dt.datetime
) -> Deactivated:
    """Stop a login: its tokens stop working at once and its refresh tokens are revoked."""
    require_transaction(session)
    row = _locked_target(session, user_id, actor)
    was_active = row.active
    row.active = False
    session.flush()
    revoked = revoke_user_tokens(session, user_id=user_id, reason="deactivated", now=now)
    return Deactivated(UserView.of(row), was_active=was_active, refresh_tokens_revoked=revoked)


@dataclass(frozen=True, slots=True)
class Unlocked:
    """A login unlocked, with the lock and the count of failed sign-ins it had."""

    user: UserView
    locked_until: dt.datetime | None
    failed_login_count: int


def unlock_user(session: Session, *, user_id: int, actor: Actor) -> Unlocked:
    """Lift a lock after failed sign-ins and start the count again."""
    require_transaction(session)
    row = _locked_target(session, user_id, actor)
    locked_until, failed = row.locked_until, row.failed_login_count
    row.locked_until = None
    row.failed_login_count = 0
    session.flush()
    return Unlocked(UserView.of(row), locked_until=locked_until, failed_login_count=failed)


def reset_password(
    session: Session,
    *,
    user_id: int,
    new_password: str,
    actor: Actor,
    now: dt.datetime,
    settings: Settings | None = None,
) -> UserView:
    """Set a new password for someone else's login; their existing tokens stop working,
    and the new password serves only to choose their own at the next sign-in."""
    require_transaction(session)
    settings = settings or get_settings()
    row = _locked_target(session, user_id, actor)
    check_password_rules(new_password, username=row.username, settings=settings)
    replace_password(session, row, new_password, now=now, settings=settings)
    row.must_change_password = True
    session.flush()
    return UserView.of(row)


def replace_password(
    session: Session, row: User, password: str, *, now: dt.datetime, settings: Settings
) -> None:
    row.password_hash = passwords_for(settings).hash(password)
    row.password_changed_at = now
    row.must_change_password = False
    row.failed_login_count = 0
    row.locked_until = None
    session.flush()
    revoke_user_tokens(session, user_id=row.id, reason="password_changed", now=now)
