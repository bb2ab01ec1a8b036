"""A member's nominated external bank account: the one account money is paid out to.

Changing it is the classic step of an account takeover (change the account, then empty
the shares), so a nomination made by the member in the app, or one that replaces another,
is usable only after the configured cooling-off period; payments made meanwhile are held
until then, not refused. A first nomination made by staff at the branch, who have checked
the member's identity, is usable at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from creditunion.errors import Conflict, NotFound
from creditunion.field_problems import FieldError, ValidationProblem
from creditunion.members.models import MemberStatus
from creditunion.members.service import lock_member
from creditunion.members.text import clean_text
from creditunion.payments.bank_accounts import (
    UsAccountKind,
    parse_uk_account,
    parse_us_account,
)
from creditunion.payments.models import NominatedAccount, NominationStatus, Scheme
from ledger.ownership import Scope

HOLDER_NAME_LENGTH_MAX = 70


class NoNominatedAccount(NotFound):
    def __init__(self, member_id: int) -> None:
        super().__init__(f"member {member_id} has no nominated bank account")
        self.member_id = member_id


class MemberCannotNominate(Conflict):
    def __init__(self, member_id: int, status: MemberStatus) -> None:
        super().__init__(f"member {member_id} is {status.value}: no account can be nominated")


@dataclass(frozen=True, slots=True)
class BankDetails:
    """What a member or teller typed: a UK sort code, or a US routing number and kind."""

    holder_name: str
    account_number: str
    sort_code: str | None = None
    routing_number: str | None = None
    account_kind: str | None = None


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a payment goes, checked and normalised."""

    scheme: Scheme
    holder_name: str
    bank_id: str
    account_number: str
    account_kind: str | None

    @property
    def masked_account_number(self) -> str:
        return "****" + self.account_number[-4:]


@dataclass(frozen=True, slots=True)
class NominationView:
    id: int
    member_id: int
    destination: Destination
    status: NominationStatus
    nominated_on: dt.date
    usable_on: dt.date
    nominated_by: str


def destination_of(details: BankDetails, scheme: Scheme) -> Destination:
    """Raises `ValidationProblem` (holder name) or `InvalidBankAccount`."""
    try:
        holder = clean_text(details.holder_name, max_length=HOLDER_NAME_LENGTH_MAX)
    except FieldError as exc:
        raise ValidationProblem.single("holder_name", str(exc)) from None
    if scheme is Scheme.UK:
        uk = parse_uk_account(details.sort_code or "", details.account_number)
        return Destination(scheme, holder, uk.sort_code, uk.account_number, None)
    try:
        kind = UsAccountKind(details.account_kind or "")
    except ValueError:
        raise ValidationProblem.single(
            "account_kind", "must be one of " + ", ".join(k.value for k in UsAccountKind)
        ) from None
    us = parse_us_account(details.routing_number or "", details.account_number, kind)
    return Destination(scheme, holder, us.routing_number, us.account_number, us.kind.value)


def _destination(row: NominatedAccount) -> Destination:
    return Destination(
        row.scheme, row.holder_name, row.bank_id, row.account_number, row.account_kind
    )


def _view(row: NominatedAccount) -> NominationView:
    return NominationView(
        id=row.id,
        member_id=row.member_id,
        destination=_destination(row),
        status=row.status,
        nominated_on=row.nominated_on,
        usable_on=row.usable_on,
        nominated_by=row.nominated_by,
    )


def _active(session: Session, member_id: int) -> NominatedAccount | None:
    return session.scalar(
        select(NominatedAccount).where(
            NominatedAccount.member_id == member_id,
            NominatedAccount.status == NominationStatus.ACTIVE,
        )
    )


def _owned(member_id: int, scope: Scope) -> None:
    if scope.member_id is not None and scope.member_id != member_id:
        raise NoNominatedAccount(member_id)


def nominate(
    session: Session,
    *,
    member_id: int,
    scope: Scope,
    destination: Destination,
    by_member: bool,
    cooling_off_days: int,
    actor: str,
    business_date: dt.date,
) -> NominationView:
    """Make `destination` the member's nominated account; the same one again changes
    nothing. Raises `MemberNotFound`, `MemberCannotNominate`."""
    _owned(member_id, scope)
    member = lock_member(session, member_id)
    if member.status is MemberStatus.CLOSED:
        raise MemberCannotNominate(member_id, member.status)
    current = _active(session, member_id)
    if current is not None and _destination(current) == destination:
        return _view(current)
    cooling = current is not None or by_member
    if current is not None:
        current.status = NominationStatus.REPLACED
        current.replaced_at = func.now()
        session.flush()
    row = NominatedAccount(
        member_id=member_id,
        scheme=destination.scheme,
        holder_name=destination.holder_name,
        bank_id=destination.bank_id,
        account_number=destination.account_number,
        account_kind=destination.account_kind,
        status=NominationStatus.ACTIVE,
        nominated_on=business_date,
        usable_on=business_date + dt.timedelta(days=cooling_off_days if cooling else 0),
        nominated_by=actor,
    )
    session.add(row)
    session.flush()
    return _view(row)


def current_nomination(session: Session, *, member_id: int, scope: Scope) -> NominationView:
    """Raises `NoNominatedAccount`."""
    _owned(member_id, scope)
    row = _active(session, member_id)
    if row is None:
        raise NoNominatedAccount(member_id)
    return _view(row)


def nomination_row(session: Session, member_id: int) -> NominatedAccount:
    row = _active(session, member_id)
    if row is None:
        raise NoNominatedAccount(member_id)
    return row
