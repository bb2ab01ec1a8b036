"""Registering members, reading and searching them, changing their details and status."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Final

from sqlalchemy import Select, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from creditunion.actors import require_actor
from creditunion.errors import Conflict, NotFound
from creditunion.field_problems import FieldError, Problems
from creditunion.members.closure import ClosureCheck, MemberClosureRefused, closure_refusals
from creditunion.members.models import MEMBERSHIP_NUMBER_SEQUENCE, Member, MemberStatus
from creditunion.members.postcode import normalise_outward_code, normalise_postcode
from creditunion.members.status import StatusTransitionRefused, check_transition
from creditunion.members.validation import (
    MemberApplication,
    validate_application,
    validate_changes,
)
from creditunion.members.views import MemberPage, MemberView, NiVisibility
from creditunion.shares.models import ShareAccount, ShareAccountStatus
from ledger.transaction import require_transaction

PAGE_LIMIT_MAX: Final = 200
NAME_PREFIX_LENGTH_MAX: Final = 100
MEMBERSHIP_NUMBER_PREFIX: Final = "M"


class MemberNotFound(NotFound):
    def __init__(self, what: object) -> None:
        super().__init__(f"member {what} not found")


class DuplicateMember(Conflict):
    """A live member already holds this National Insurance number."""

    def __init__(self) -> None:
        super().__init__("a member with this National Insurance number already exists")


class MemberClosed(Conflict):
    def __init__(self, member_id: int) -> None:
        super().__init__(f"member {member_id} is closed")
        self.member_id = member_id


def format_membership_number(serial: int) -> str:
    return f"{MEMBERSHIP_NUMBER_PREFIX}{serial:08d}"


def register_member(
    session: Session,
    *,
    application: MemberApplication,
    actor: str,
    business_date: dt.date,
    ni_visibility: NiVisibility = NiVisibility.MASKED,
) -> MemberView:
    """Register a member as `pending`; they become active on holding the minimum share.

    Raises `ValidationProblem` (every bad field) or `DuplicateMember`.
    """
    require_transaction(session)
    require_actor(actor)
    valid = validate_application(application, business_date=business_date)
    serial = session.scalar(select(MEMBERSHIP_NUMBER_SEQUENCE.next_value()))
    assert isinstance(serial, int)
    member = Member(
        membership_number=format_membership_number(serial),
        given_name=valid.given_name,
        family_name=valid.family_name,
        date_of_birth=valid.date_of_birth,
        address_line1=valid.address_line1,
        address_line2=valid.address_line2,
        town=valid.town,
        postcode=valid.postcode,
        email=valid.email,
        phone=valid.phone,
        ni_number=valid.ni_number,
        common_bond=valid.common_bond,
        bond_detail=valid.bond_detail,
        status=MemberStatus.PENDING,
        joined_on=business_date,
        created_by=actor,
    )
    _insert_or_duplicate(session, member)
    return MemberView.of(member, ni_visibility)


def _insert_or_duplicate(session: Session, member: Member) -> None:
    # A savepoint, so that losing the race on the NI number leaves the caller's
    # transaction usable and the refusal is a typed error, not a broken session.
    try:
        with session.begin_nested():
            session.add(member)
            session.flush()
    except IntegrityError as exc:
        if "uq_members_ni_number_live" in str(exc.orig):
            raise DuplicateMember() from None
        raise


def get_member(
    session: Session, *, member_id: int, ni_visibility: NiVisibility = NiVisibility.MASKED
) -> MemberView:
    """One member (a member's own profile too). Raises `MemberNotFound`."""
    return MemberView.of(_row(session, member_id), ni_visibility)


def get_member_by_number(
    session: Session,
    *,
    membership_number: str,
    ni_visibility: NiVisibility = NiVisibility.MASKED,
) -> MemberView:
    row = session.scalar(
        select(Member).where(Member.membership_number == _clean_number(membership_number))
    )
    if row is None:
        raise MemberNotFound(repr(membership_number)[:40])
    return MemberView.of(row, ni_visibility)


def member_id_for_number(session: Session, membership_number: str) -> int:
    """The id of the member with this number. Raises `MemberNotFound`."""
    found = session.scalar(
        select(Member.id).where(Member.membership_number == _clean_number(membership_number))
    )
    if found is None:
        raise MemberNotFound(repr(membership_number)[:40])
    return found


def _clean_number(membership_number: object) -> str:
    # Not printable (a NUL, which PostgreSQL text cannot hold): no member has that number.
    if (
        not isinstance(membership_number, str)
        or len(membership_number) > 32
        or not membership_number.isprintable()
    ):
        return ""
    return membership_number.strip().upper()


def _row(session: Session, member_id: int, *, lock: bool = False) -> Member:
    row = session.get(Member, member_id, with_for_update=lock, populate_existing=True)
    if row is None:
        raise MemberNotFound(member_id)
    return row


def lock_member(session: Session, member_id: int) -> Member:
    """The member's row, locked until the transaction ends. Raises `MemberNotFound`."""
    require_transaction(session)
    return _row(session, member_id, lock=True)


def update_member_details(
    session: Session,
    *,
    member_id: int,
    changes: Mapping[str, object],
    actor: str,
    ni_visibility: NiVisibility = NiVisibility.MASKED,
) -> MemberView:
    """Change names, address, contact details or common bond (see `CHANGEABLE_FIELDS`).

    `changes` maps field names to new values; None clears an optional field. Raises
    `ValidationProblem`, `MemberNotFound` or `MemberClosed`.
    """
    require_transaction(session)
    require_actor(actor)
    valid = validate_changes(changes)
    row = lock_member(session, member_id)
    if row.status is MemberStatus.CLOSED:
        raise MemberClosed(member_id)
    for field, value in valid.items():
        setattr(row, field, value)
    session.flush()
    session.refresh(row)
    return MemberView.of(row, ni_visibility)


def change_member_status(
    session: Session,
    *,
    member_id: int,
    status: MemberStatus,
    actor: str,
    business_date: dt.date,
    closure_checks: Sequence[ClosureCheck],
    ni_visibility: NiVisibility = NiVisibility.MASKED,
) -> MemberView:
    """Move a member to `status` along the transition table (see `members.status`).

    `closure_checks` are the checks of the packages built on members that a closure must
    pass besides the open share accounts: required, so no caller closes a member without
    saying which (the application's are `creditunion.lending.closure.MEMBER_CLOSURE_CHECKS`).
    Raises `MemberNotFound`, `StatusTransitionRefused` (no such transition, or activating a
    member who does not hold the minimum share) or `MemberClosureRefused`.
    """
    require_transaction(session)
    require_actor(actor)
    target = MemberStatus(status)
    row = lock_member(session, member_id)
    check_transition(row.status, target)
    if target is MemberStatus.ACTIVE and row.status is MemberStatus.PENDING:
        if not holds_minimum_share(session, member_id):
            raise StatusTransitionRefused(
                row.status, target, "the member does not yet hold the minimum share"
            )
        row.activated_on = business_date
    if target is MemberStatus.CLOSED:
        reasons = closure_refusals(session, member_id, closure_checks)
        if reasons:
            raise MemberClosureRefused(member_id, reasons)
        row.closed_on = business_date
    row.status = target
    session.flush()
    session.refresh(row)
    return MemberView.of(row, ni_visibility)


def holds_minimum_share(session: Session, member_id: int) -> bool:
    """Whether an open share account of the member has reached its product's minimum."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    ShareAccount.member_id == member_id,
                    ShareAccount.status == ShareAccountStatus.OPEN,
                    ShareAccount.minimum_reached_on.is_not(None),
                )
            )
        )
    )


def activate_if_pending(session: Session, *, member_id: int, business_date: dt.date) -> bool:
    """Make a pending member active (they now hold the minimum share); True if it did."""
    activated = session.execute(
        update(Member)
        .where(Member.id == member_id, Member.status == MemberStatus.PENDING)
        .values(status=MemberStatus.ACTIVE, activated_on=business_date)
        .returning(Member.id)
    ).scalar_one_or_none()
    return activated is not None


def search_members(
    session: Session,
    *,
    name_prefix: str | None = None,
    postcode: str | None = None,
    membership_number: str | None = None,
    status: MemberStatus | str | None = None,
    after_id: int | None = None,
    limit: int = 50,
    ni_visibility: NiVisibility = NiVisibility.MASKED,
) -> MemberPage:
    """Members matching every filter given, in id order, `limit` at a time.

    `name_prefix` matches the start of the given or family name, ignoring case;
    `postcode` is a full postcode or an outward code ("SW1A"). Raises `ValidationProblem`.
    """
    query = _search_query(
        name_prefix=name_prefix,
        postcode=postcode,
        membership_number=membership_number,
        status=status,
        after_id=after_id,
        limit=limit,
    )
    rows = list(session.scalars(query))
    items = tuple(MemberView.of(row, ni_visibility) for row in rows[:limit])
    more = len(rows) > limit
    return MemberPage(items=items, next_after_id=items[-1].id if more and items else None)


def _search_query(
    *,
    name_prefix: str | None,
    postcode: str | None,
    membership_number: str | None,
    status: MemberStatus | str | None,
    after_id: int | None,
    limit: int,
) -> Select[Member]:
    problems = Problems()
    query = select(Member).order_by(Member.id)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= PAGE_LIMIT_MAX:
        problems.add("limit", f"must be between 1 and {PAGE_LIMIT_MAX}")
    else:
        query = query.limit(limit + 1)
    if after_id is not None:
        if isinstance(after_id, bool) or not isinstance(after_id, int) or after_id < 0:
            problems.add("after_id", "must be a non-negative integer")
        else:
            query = query.where(Member.id > after_id)
    if name_prefix is not None:
        prefix = _like_prefix(name_prefix, problems)
        if prefix is not None:
            query = query.where(
                or_(
                    func.lower(Member.family_name).like(prefix, escape="\\"),
                    func.lower(Member.given_name).like(prefix, escape="\\"),
                )
            )
    if postcode is not None:
        try:
            query = query.where(Member.postcode == normalise_postcode(postcode))
        except FieldError:
            try:
                outward = normalise_outward_code(postcode)
                query = query.where(Member.postcode.like(f"{outward} %"))
            except FieldError as exc:
                problems.add("postcode", str(exc))
    if membership_number is not None:
        query = query.where(Member.membership_number == _clean_number(membership_number))
    if status is not None:
        try:
            query = query.where(Member.status == MemberStatus(status))
        except ValueError:
            problems.add("status", f"must be one of {', '.join(s.value for s in MemberStatus)}")
    problems.raise_if_any()
    return query


def _like_prefix(raw: object, problems: Problems) -> str | None:
    if not isinstance(raw, str):
        problems.add("name_prefix", "must be a string")
        return None
    text = unicodedata.normalize("NFC", raw).strip().lower()
    if not text or len(text) > NAME_PREFIX_LENGTH_MAX:
        problems.add("name_prefix", f"must be 1 to {NAME_PREFIX_LENGTH_MAX} characters")
        return None
    if not text.isprintable():
        problems.add("name_prefix", "must not contain control characters")
        return None
    # A typed "%" or "_" is a character to find, not a wildcard.
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"
